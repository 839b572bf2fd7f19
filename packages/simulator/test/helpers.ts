/** Runs the simulator CLI in files mode into a fresh temporary directory. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimCli } from '../src/index.ts';

export const TZ = 'Europe/Stockholm';

export interface SimRun {
  readonly dir: string;
  readonly code: number;
  readonly reads: string[];
  readonly events: string[];
  readonly topology: string[];
  readonly truth: string[];
}

const lines = (path: string): string[] => {
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
};

export async function runFiles(args: string[]): Promise<SimRun> {
  process.env.AMI_TIMEZONE = TZ;
  const dir = mkdtempSync(join(tmpdir(), 'ami-sim-test-'));
  const code = await runSimCli([...args, '--to', 'files', '--out', dir, '--truth', join(dir, 'truth.jsonl')]);
  return {
    dir,
    code,
    reads: lines(join(dir, 'reads.jsonl')),
    events: lines(join(dir, 'events.jsonl')),
    topology: lines(join(dir, 'topology.jsonl')),
    truth: lines(join(dir, 'truth.jsonl')),
  };
}

export interface TruthInterval {
  readonly meter_id: string;
  readonly interval_start: string;
  readonly wh: number;
}

export type TruthFault = { readonly fault: string } & Record<string, unknown>;

export function splitTruth(truth: readonly string[]): { intervals: TruthInterval[]; faults: TruthFault[] } {
  const intervals: TruthInterval[] = [];
  const faults: TruthFault[] = [];
  for (const line of truth) {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.fault === 'string') faults.push(v as TruthFault);
    else intervals.push(v as unknown as TruthInterval);
  }
  return { intervals, faults };
}
