/**
 * Micro-benchmark of the hot time functions (@ami/shared/time): ops/s of localDate, windowKey (each
 * step), parseIsoInstant and formatIsoOffset, next to the Intl / Date.parse baselines they replace.
 *
 *   pnpm exec tsx packages/shared/bench/time.bench.ts [--zone Europe/Stockholm]
 *
 * Inputs (65 536 each, cycled):
 *  - "stream": interval starts and read timestamps of the last 48 h in random order, as the speed
 *    layer and the simulator see them (the caches hold a handful of days);
 *  - "year": random instants over one year (365 local days cached, the last-day memo rarely hits);
 *  - "cold": the first calls after the caches are dropped (one new UTC day per call), per call.
 * Each figure runs in its own process (so no call site sees another benchmark's functions) and is
 * the best of 5 rounds of ≥ 200 ms. Prints a Markdown table.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownTable, type Figure } from '../src/bench.ts';
import {
  INTERVAL_MS,
  STEPS,
  formatIsoOffset,
  formatIsoUtc,
  localDate,
  parseIsoInstant,
  windowKey,
} from '../src/time/index.ts';
import { resetZoneCaches } from '../src/time/zone-rules.ts';

const { values } = parseArgs({
  options: {
    zone: { type: 'string', default: 'Europe/Stockholm' },
    only: { type: 'string' },
    // `pnpm bench --quick`: fewer and shorter rounds (a smoke check, not a measurement).
    quick: { type: 'boolean', default: false },
  },
});
const zone = values.zone;
const quick = values.quick;
const ROUNDS = quick ? 2 : 5;
const ROUND_NS = quick ? 50e6 : 200e6;

const N = 1 << 16;
const MASK = N - 1;
const DAY = 86_400_000;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const rnd = random(7);
const now = Date.UTC(2026, 9, 25, 12); // a DST-change day in Europe/Stockholm
const stream = Float64Array.from({ length: N }, () => {
  const t = now - Math.floor(rnd() * 2 * DAY);
  return rnd() < 0.5 ? t - (t % INTERVAL_MS) : t; // interval starts and read_ts
});
const year = Float64Array.from({ length: N }, () => Date.UTC(2026, 0, 1) + Math.floor(rnd() * 365 * DAY));
const isoStrings = Array.from(stream, (t, i) => (i % 2 === 0 ? formatIsoOffset(t, zone) : formatIsoUtc(t)));

let sink = 0;

/** Best ops/s over 5 rounds (2 when quick) of at least 200 ms (50 ms) of `op(i)` for i = 0, 1, 2, … */
function opsPerSecond(op: (i: number) => number): number {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsedNs = 0;
    while (elapsedNs < ROUND_NS) {
      for (let i = 0; i < 10_000; i++) sink += op(calls + i);
      calls += 10_000;
      elapsedNs = Number(process.hrtime.bigint() - start);
    }
    best = Math.max(best, (calls / elapsedNs) * 1e9);
  }
  return Math.round(best);
}

/** Average ops/s of calls made right after the caches are dropped (each on a new UTC day). */
function coldOpsPerSecond(op: (ms: number) => number): number {
  resetZoneCaches();
  const calls = 2_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += op(Date.UTC(2000, 0, 1) + i * DAY + 43_200_000);
  return Math.round((calls / Number(process.hrtime.bigint() - start)) * 1e9);
}

const at = (inputs: Float64Array, i: number): number => inputs[i & MASK] ?? 0;
const intlDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: zone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const intlIso = new Intl.DateTimeFormat('sv-SE', {
  timeZone: zone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'longOffset',
});

/** Each benchmark, by figure name. They run in separate processes so call sites stay monomorphic. */
const benchmarks: Record<string, () => number> = {
  localDate_stream_ops_per_s: () => opsPerSecond((i) => localDate(at(stream, i), zone).length),
  localDate_year_ops_per_s: () => opsPerSecond((i) => localDate(at(year, i), zone).length),
  localDate_cold_ops_per_s: () => coldOpsPerSecond((ms) => localDate(ms, zone).length),
  intl_local_date_baseline_ops_per_s: () => opsPerSecond((i) => intlDate.format(at(stream, i)).length),
  ...Object.fromEntries(
    STEPS.flatMap((step) => [
      [
        `windowKey_${step}_stream_ops_per_s`,
        () => opsPerSecond((i) => windowKey(at(stream, i), step, zone).length),
      ],
      [
        `windowKey_${step}_year_ops_per_s`,
        () => opsPerSecond((i) => windowKey(at(year, i), step, zone).length),
      ],
    ]),
  ),
  parseIsoInstant_ops_per_s: () => opsPerSecond((i) => parseIsoInstant(isoStrings[i & MASK] ?? '')),
  date_parse_baseline_ops_per_s: () => opsPerSecond((i) => Date.parse(isoStrings[i & MASK] ?? '')),
  formatIsoOffset_stream_ops_per_s: () => opsPerSecond((i) => formatIsoOffset(at(stream, i), zone).length),
  formatIsoOffset_year_ops_per_s: () => opsPerSecond((i) => formatIsoOffset(at(year, i), zone).length),
  formatIsoUtc_ops_per_s: () => opsPerSecond((i) => formatIsoUtc(at(stream, i)).length),
  intl_format_offset_baseline_ops_per_s: () => opsPerSecond((i) => intlIso.format(at(stream, i)).length),
  to_iso_string_baseline_ops_per_s: () => opsPerSecond((i) => new Date(at(stream, i)).toISOString().length),
};

if (values.only !== undefined) {
  const run = benchmarks[values.only];
  if (run === undefined) throw new Error(`unknown benchmark ${values.only}`);
  process.stdout.write(`${JSON.stringify({ value: run(), sink })}\n`);
} else {
  const figures: Record<string, Figure> = { zone, ...(quick ? { quick } : {}) };
  for (const name of Object.keys(benchmarks)) {
    const out = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--zone',
        zone,
        '--only',
        name,
        ...(quick ? ['--quick'] : []),
      ],
      { encoding: 'utf8' },
    );
    figures[name] = (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { value: number }).value;
  }
  process.stdout.write(`\n### bench time (${process.version})\n\n${markdownTable(figures)}\n\n`);
}
