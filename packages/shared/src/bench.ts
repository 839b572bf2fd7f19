/**
 * Benchmark result files (SPEC 9): `bench/results/<name>.json` is a flat JSON object — `commit`,
 * `machine`, `at`, then the figures — and every bench prints the same figures as a Markdown table.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Figure = number | string | boolean | null;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const benchResultsDir = join(repoRoot, 'bench', 'results');

export function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function machineDescription(): string {
  const c = cpus();
  return `${c.length}x ${c[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}, ${hostname()}`;
}

export function markdownTable(figures: Readonly<Record<string, Figure>>): string {
  const rows = Object.entries(figures).map(
    ([k, v]) => `| ${k} | ${typeof v === 'number' ? formatNumber(v) : String(v)} |`,
  );
  return ['| figure | value |', '|---|---|', ...rows].join('\n');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** Writes `bench/results/<name>.json` and prints the Markdown table to stdout; returns the record. */
export function writeBenchResult(
  name: string,
  figures: Readonly<Record<string, Figure>>,
): Record<string, Figure> {
  const record: Record<string, Figure> = {
    commit: currentCommit(),
    machine: machineDescription(),
    at: new Date().toISOString(),
    ...figures,
  };
  mkdirSync(benchResultsDir, { recursive: true });
  writeFileSync(join(benchResultsDir, `${name}.json`), JSON.stringify(record, null, 2) + '\n');
  process.stdout.write(`\n### bench ${name}\n\n${markdownTable(record)}\n\n`);
  return record;
}
