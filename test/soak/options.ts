/**
 * Options of the soak run (`pnpm test:soak --help`) and the history it replays (pure).
 */
import { parseArgs } from 'node:util';

export const SOAK_HELP = `usage: pnpm test:soak [options]

Runs the whole platform (speed layer, archiver, batch worker, API) as child processes on the local
Kafka/Redis/MinIO, isolated from everything else, feeds it with the simulator at 2x the design peak,
samples memory and consumer lag, waits for the lag to drain, and writes bench/results/soak.json and
the soak section of bench/results/summary.md. Samples and logs: test-artifacts/soak/.

  --minutes N               minutes of load (default 30)
  --rate R                  reads/s offered (default 40000 = 2 x the 20,000 reads/s of SPEC 9)
  --meters M                fleet size (default 20000); history days are replayed to last --minutes
  --faults all|none         simulator faults at their default rates (default all)
  --sample-s S              seconds between samples (default 5)
  --max-slope-mb-per-min X  RSS slope above which a process has an upward trend (default 1)
  --drain-minutes D         longest wait for the lag to return to zero (default: max(10, minutes))
  --archiver-flush-age-s S  AMI_ARCHIVER_FLUSH_AGE_S of the run (default 60; see README)
  --partitions P            partitions of the reads and events topics (default 6)
  --keep                    keep the run's topics, groups, Redis keys and S3 objects
  --force                   run even if the Kafka disk looks too small for the load
  --help                    this text`;

export interface SoakOptions {
  readonly minutes: number;
  readonly rate: number;
  readonly meters: number;
  readonly faults: 'all' | 'none';
  readonly sampleS: number;
  readonly maxSlopeMbPerMin: number;
  readonly drainMinutes: number;
  readonly archiverFlushAgeS: number;
  readonly partitions: number;
  readonly keep: boolean;
  readonly force: boolean;
  readonly help: boolean;
}

function positive(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw new Error(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`,
    );
  return v;
}

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      meters: { type: 'string' },
      faults: { type: 'string' },
      'sample-s': { type: 'string' },
      'max-slope-mb-per-min': { type: 'string' },
      'drain-minutes': { type: 'string' },
      'archiver-flush-age-s': { type: 'string' },
      partitions: { type: 'string' },
      keep: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const faults = values.faults ?? 'all';
  if (faults !== 'all' && faults !== 'none') throw new Error(`--faults must be all or none, got ${faults}`);
  const minutes = positive('minutes', values.minutes, 30);
  return {
    minutes,
    rate: positive('rate', values.rate, 40_000, true),
    meters: positive('meters', values.meters, 20_000, true),
    faults,
    sampleS: positive('sample-s', values['sample-s'], 5),
    maxSlopeMbPerMin: positive('max-slope-mb-per-min', values['max-slope-mb-per-min'], 1),
    drainMinutes: positive('drain-minutes', values['drain-minutes'], Math.max(10, minutes)),
    archiverFlushAgeS: positive('archiver-flush-age-s', values['archiver-flush-age-s'], 60, true),
    partitions: positive('partitions', values.partitions, 6, true),
    keep: values.keep ?? false,
    force: values.force ?? false,
    help: values.help ?? false,
  };
}

/** Local days of history that last `minutes` at `rate` (10 % spare), for `meters` meters (97 reads a day). */
export function historyDays(o: Pick<SoakOptions, 'minutes' | 'rate' | 'meters'>): number {
  return Math.ceil((o.rate * o.minutes * 60 * 1.1) / (o.meters * 97)) + 1;
}

/** Bytes the reads take in Kafka (JSON ≈ 415 B + key and record overhead). */
export const KAFKA_BYTES_PER_READ = 460;
