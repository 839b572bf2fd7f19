/**
 * Command-line options of `pnpm ami sim` (SPEC 8), parsed into a checked SimOptions: a table of
 * flags (each checks its value), read with node:util parseArgs (argv.ts), then the rules between
 * flags. Any bad argument throws a UsageError with one line naming it (the CLI prints it and exits
 * with 2).
 */
import { UsageError, flagArgs, type FlagArg, type FlagTypes } from './argv.ts';
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

function dateArg(flag: string, raw: string): string {
  if (!isValidLocalDate(raw)) throw new UsageError(`${flag} must be a date YYYY-MM-DD, got "${raw}"`);
  return raw;
}

/** The options as the flags set them, before defaults and the checks between flags. */
interface SimDraft {
  meters: number;
  days: number | undefined;
  live: boolean;
  speedup: number | undefined;
  pacedFrom: string | undefined;
  controlPort: number | undefined;
  metricsPort: number | undefined;
  topologyOut: string | undefined;
  start: string | undefined;
  seed: number;
  to: SinkTarget | undefined;
  out: string | undefined;
  truth: string | undefined;
  rate: number | undefined;
  help: boolean;
  /** Fault rates of --faults. */
  base: Record<FaultKind, number>;
  /** Fault rates of the per-fault flags (they win over --faults). */
  explicit: Map<FaultKind, number>;
}

interface SimFlag {
  readonly type: 'string' | 'boolean';
  /** Checks the flag's value and sets it in the draft (a UsageError when it is wrong). */
  apply(d: SimDraft, arg: FlagArg): void;
}

const text = (apply: (d: SimDraft, value: string) => void): SimFlag => ({
  type: 'string',
  apply: (d, arg) => apply(d, arg.value()),
});

/** `pnpm ami sim` flags by name (without `--`): the fault rates, then the others. */
const SIM_FLAGS: Readonly<Record<string, SimFlag>> = {
  ...Object.fromEntries(
    FAULT_KINDS.map((k): [string, SimFlag] => [
      FAULTS[k].flag.slice(2),
      text((d, v) => d.explicit.set(k, rateArg(FAULTS[k].flag, v))),
    ]),
  ),
  meters: text((d, v) => (d.meters = intArg('--meters', v, 1, 5_000_000))),
  days: text((d, v) => (d.days = intArg('--days', v, 1, 3660))),
  start: text((d, v) => (d.start = dateArg('--start', v))),
  live: {
    type: 'boolean',
    apply: (d, arg) => {
      if (arg.inline) throw new UsageError('--live takes no value');
      d.live = true;
    },
  },
  speedup: text((d, v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 1 || n > 1_000_000) {
      throw new UsageError(`--speedup must be a number from 1 to 1000000, got "${v}"`);
    }
    d.speedup = n;
  }),
  'paced-from': text((d, v) => (d.pacedFrom = dateArg('--paced-from', v))),
  'control-port': text((d, v) => (d.controlPort = portArg('--control-port', v))),
  'metrics-port': text((d, v) => (d.metricsPort = portArg('--metrics-port', v))),
  'topology-out': text((d, v) => (d.topologyOut = v)),
  seed: text((d, v) => (d.seed = intArg('--seed', v, 0, 4_294_967_295))),
  to: text((d, v) => {
    if (v !== 'kafka' && v !== 'files') throw new UsageError(`--to must be kafka or files, got "${v}"`);
    d.to = v;
  }),
  out: text((d, v) => (d.out = v)),
  truth: text((d, v) => (d.truth = v)),
  rate: text((d, v) => {
    const r = Number(v);
    if (!Number.isFinite(r) || r <= 0)
      throw new UsageError(`--rate must be a positive number of reads/s, got "${v}"`);
    d.rate = r;
  }),
  faults: text((d, v) => {
    if (v === 'all') {
      d.base = { ...ALL_FAULTS };
      return;
    }
    for (const name of v.split(',')) {
      const kind = FAULT_KINDS.find((k) => k === name.trim());
      if (kind === undefined) {
        throw new UsageError(
          `--faults takes "all" or a list of ${FAULT_KINDS.join(', ')}; unknown "${name}"`,
        );
      }
      d.base[kind] = FAULTS[kind].defaultRate;
    }
  }),
};

const SIM_FLAG_TYPES: FlagTypes = Object.fromEntries(
  Object.entries(SIM_FLAGS).map(([name, f]) => [name, f.type]),
);

/** Parses argv (without the command name). */
export function parseSimArgs(argv: readonly string[]): SimOptions {
  const d: SimDraft = {
    meters: 1000,
    days: undefined,
    live: false,
    speedup: undefined,
    pacedFrom: undefined,
    controlPort: undefined,
    metricsPort: undefined,
    topologyOut: undefined,
    start: undefined,
    seed: 1,
    to: undefined,
    out: undefined,
    truth: undefined,
    rate: undefined,
    help: false,
    base: { ...NO_FAULTS },
    explicit: new Map(),
  };
  for (const arg of flagArgs(argv, SIM_FLAG_TYPES, 'pnpm ami sim --help')) {
    if (arg.flag === '--help') d.help = true;
    else SIM_FLAGS[arg.flag.slice(2)]?.apply(d, arg);
  }
  const faults = { ...d.base };
  for (const [k, r] of d.explicit) faults[k] = r;
  if (!d.help) checkCombination(d, faults);
  return {
    meters: d.meters,
    days: d.days ?? (d.live ? Infinity : 1),
    start: d.start,
    seed: d.seed,
    to: d.to ?? 'files',
    out: d.out,
    truth: d.truth,
    rate: d.rate,
    faults,
    live: d.live,
    speedup: d.speedup ?? 1,
    pacedFrom: d.pacedFrom,
    controlPort: d.controlPort,
    metricsPort: d.metricsPort,
    topologyOut: d.topologyOut,
    help: d.help,
  };
}

/** The rules between flags: a target, its needs, the per-read fault total, the live-only flags. */
function checkCombination(d: SimDraft, faults: FaultRates): void {
  if (d.to === undefined) throw new UsageError('--to kafka|files is required');
  if (d.to === 'files' && d.out === undefined) throw new UsageError('--to files needs --out DIR');
  const perRead = READ_FAULTS.reduce((s, k) => s + faults[k], 0);
  if (perRead > 1) throw new UsageError(`the per-read fault rates add up to ${perRead}, more than 1`);
  if (d.live) {
    if (d.to !== 'kafka') throw new UsageError('--live needs --to kafka');
    if (d.rate !== undefined)
      throw new UsageError('--rate cannot be combined with --live (the clock paces it)');
  } else {
    const liveOnly: [string, unknown][] = [
      ['--speedup', d.speedup],
      ['--paced-from', d.pacedFrom],
      ['--control-port', d.controlPort],
      ['--metrics-port', d.metricsPort],
    ];
    const used = liveOnly.find(([, v]) => v !== undefined);
    if (used !== undefined) throw new UsageError(`${used[0]} needs --live`);
  }
}
