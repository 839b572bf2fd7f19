/**
 * Command-line options of `pnpm ami sim` (SPEC 8), parsed into a checked SimOptions. Any bad
 * argument throws a UsageError with one line naming it (the CLI prints it and exits with 2).
 */
import { UsageError, flagArgs } from './argv.ts';
export { UsageError } from './argv.ts';
import { isValidLocalDate } from '@ami/shared/time';
import {
  ALL_FAULTS,
  FAULTS,
  FAULT_KINDS,
  NO_FAULTS,
  READ_FAULTS,
  type FaultKind,
  type FaultRates,
} from './faults.ts';

export type SinkTarget = 'kafka' | 'files';

export interface SimOptions {
  readonly meters: number;
  /** Local days to simulate; Infinity = until stopped (the default of --live). */
  readonly days: number;
  /** Local date; undefined = today in AMI_TIMEZONE. */
  readonly start: string | undefined;
  readonly seed: number;
  readonly to: SinkTarget;
  readonly out: string | undefined;
  readonly truth: string | undefined;
  /** Reads per second; undefined = as fast as possible. */
  readonly rate: number | undefined;
  readonly faults: FaultRates;
  /** Kafka client of kafka mode: the simulator's wire producer (default) or kafkajs. */
  readonly producer: 'wire' | 'kafkajs';
  /** Live mode: never produce a message before its timestamp has come (kafka mode only). */
  readonly live: boolean;
  /** Live mode: simulated seconds per wall second from the paced-from day until caught up (≥ 1). */
  readonly speedup: number;
  /** Live mode: first paced local day; undefined = today in AMI_TIMEZONE. Earlier days are history. */
  readonly pacedFrom: string | undefined;
  /** Live mode: port of the control server on 127.0.0.1 (0 = any free port). */
  readonly controlPort: number | undefined;
  /** Live mode: port of the Prometheus /metrics server on 127.0.0.1 (0 = any free port). */
  readonly metricsPort: number | undefined;
  /** Write the fleet's topology JSONL to this file before producing. */
  readonly topologyOut: string | undefined;
  readonly help: boolean;
}

const FLAG_TO_FAULT: ReadonlyMap<string, FaultKind> = new Map(FAULT_KINDS.map((k) => [FAULTS[k].flag, k]));

function intArg(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

function rateArg(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`${flag} must be a rate between 0 and 1, got "${raw}"`);
  }
  return n;
}

function portArg(flag: string, raw: string): number {
  return intArg(flag, raw, 0, 65_535);
}

/** Parses argv (without the command name). */
export function parseSimArgs(argv: readonly string[]): SimOptions {
  let meters = 1000;
  let days: number | undefined;
  let live = false;
  let speedup: number | undefined;
  let pacedFrom: string | undefined;
  let controlPort: number | undefined;
  let metricsPort: number | undefined;
  let topologyOut: string | undefined;
  let start: string | undefined;
  let seed = 1;
  let to: SinkTarget | undefined;
  let out: string | undefined;
  let truth: string | undefined;
  let rate: number | undefined;
  let help = false;
  let producer: 'wire' | 'kafkajs' = 'wire';
  let base: Record<FaultKind, number> = { ...NO_FAULTS };
  const explicit = new Map<FaultKind, number>();

  for (const arg of flagArgs(argv)) {
    const { flag } = arg;
    if (flag === '--help') {
      help = true;
      continue;
    }
    const value = (): string => arg.value();
    const fault = FLAG_TO_FAULT.get(flag);
    if (fault !== undefined) {
      explicit.set(fault, rateArg(flag, value()));
      continue;
    }
    switch (flag) {
      case '--meters':
        meters = intArg(flag, value(), 1, 5_000_000);
        break;
      case '--days':
        days = intArg(flag, value(), 1, 3660);
        break;
      case '--start': {
        const s = value();
        if (!isValidLocalDate(s)) throw new UsageError(`--start must be a date YYYY-MM-DD, got "${s}"`);
        start = s;
        break;
      }
      case '--live':
        if (arg.inline) throw new UsageError('--live takes no value');
        live = true;
        break;
      case '--speedup': {
        const raw = value();
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n) || n < 1 || n > 1_000_000) {
          throw new UsageError(`--speedup must be a number from 1 to 1000000, got "${raw}"`);
        }
        speedup = n;
        break;
      }
      case '--paced-from': {
        const s = value();
        if (!isValidLocalDate(s)) throw new UsageError(`--paced-from must be a date YYYY-MM-DD, got "${s}"`);
        pacedFrom = s;
        break;
      }
      case '--control-port':
        controlPort = portArg(flag, value());
        break;
      case '--metrics-port':
        metricsPort = portArg(flag, value());
        break;
      case '--topology-out':
        topologyOut = value();
        break;
      case '--seed':
        seed = intArg(flag, value(), 0, 4_294_967_295);
        break;
      case '--to': {
        const t = value();
        if (t !== 'kafka' && t !== 'files') throw new UsageError(`--to must be kafka or files, got "${t}"`);
        to = t;
        break;
      }
      case '--out':
        out = value();
        break;
      case '--truth':
        truth = value();
        break;
      case '--rate': {
        const raw = value();
        const r = Number(raw);
        if (!Number.isFinite(r) || r <= 0)
          throw new UsageError(`--rate must be a positive number of reads/s, got "${raw}"`);
        rate = r;
        break;
      }
      case '--producer': {
        const p = value();
        if (p !== 'wire' && p !== 'kafkajs')
          throw new UsageError(`--producer must be wire or kafkajs, got "${p}"`);
        producer = p;
        break;
      }
      case '--faults': {
        const list = value();
        if (list === 'all') {
          base = { ...ALL_FAULTS };
        } else {
          for (const name of list.split(',')) {
            const kind = FAULT_KINDS.find((k) => k === name.trim());
            if (kind === undefined) {
              throw new UsageError(
                `--faults takes "all" or a list of ${FAULT_KINDS.join(', ')}; unknown "${name}"`,
              );
            }
            base[kind] = FAULTS[kind].defaultRate;
          }
        }
        break;
      }
      default:
        throw new UsageError(`unknown option ${flag} (see pnpm ami sim --help)`);
    }
  }
  const faults = { ...base };
  for (const [k, r] of explicit) faults[k] = r;
  if (!help) {
    if (to === undefined) throw new UsageError('--to kafka|files is required');
    if (to === 'files' && out === undefined) throw new UsageError('--to files needs --out DIR');
    const perRead = READ_FAULTS.reduce((s, k) => s + faults[k], 0);
    if (perRead > 1) throw new UsageError(`the per-read fault rates add up to ${perRead}, more than 1`);
    if (live) {
      if (to !== 'kafka') throw new UsageError('--live needs --to kafka');
      if (rate !== undefined)
        throw new UsageError('--rate cannot be combined with --live (the clock paces it)');
    } else {
      const liveOnly: [string, unknown][] = [
        ['--speedup', speedup],
        ['--paced-from', pacedFrom],
        ['--control-port', controlPort],
        ['--metrics-port', metricsPort],
      ];
      const used = liveOnly.find(([, v]) => v !== undefined);
      if (used !== undefined) throw new UsageError(`${used[0]} needs --live`);
    }
  }
  return {
    meters,
    days: days ?? (live ? Infinity : 1),
    start,
    seed,
    to: to ?? 'files',
    out,
    truth,
    rate,
    faults,
    producer,
    live,
    speedup: speedup ?? 1,
    pacedFrom,
    controlPort,
    metricsPort,
    topologyOut,
    help,
  };
}
