/**
 * `pnpm ami bench vee [--quick]` — throughput of runVee (all VEE rules, composed) over synthetic
 * meter-days with a realistic mix of gaps, spikes, stuck-at-zero runs, outages, edits and boundary
 * register reads, in intervals/s; as the bound in the same run, a plain loop that only sums the
 * same input arrays. Full: 20,000 meter-days × 5 passes; --quick: 2,000 × 3.
 * Input columns are subarrays of one large column per day, as the DuckDB rebuild will hand them over.
 */
import { performance } from 'node:perf_hooks';
import { writeBenchResult } from '@ami/shared/bench';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { INTERVAL_MS, addLocalDays } from '@ami/shared/time';
import {
  DEFAULT_VEE_PARAMS,
  Q_A,
  dayLayout,
  qualityCounts,
  runVee,
  type HistoryDay,
  type ManualEdit,
  type MeterDayReads,
  type MeterEvent,
  type MeterInfo,
  type VeeContext,
} from '../src/vee/index.ts';

const quick = process.argv.includes('--quick');
const METER_DAYS = quick ? 2_000 : 20_000;
const PASSES = quick ? 3 : 5;
const TZ = 'Europe/Stockholm';
const DATE = '2025-03-12';
// A multiple of 3, so that meter m (segment m % 3) gets a history set of its own segment.
const HISTORY_SETS = 63;

// mulberry32: a small seeded PRNG, so every run builds the same days.
let seed = 42;
const rnd = (): number => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

const layout = dayLayout(DATE, TZ);
const SLOTS = layout.slots;
const SEGMENTS = ['residential', 'commercial', 'industrial'] as const;
const BASE = { residential: 250, commercial: 2500, industrial: 20_000 };
const shape = (i: number): number => 0.6 + 0.8 * Math.sin((Math.PI * i) / SLOTS) ** 2;

function historySet(segment: (typeof SEGMENTS)[number]): HistoryDay[] {
  const out: HistoryDay[] = [];
  for (let d = 1; d <= 21; d++) {
    const date = addLocalDays(DATE, -d);
    const n = dayLayout(date, TZ).slots;
    const wh = new Int32Array(n);
    for (let i = 0; i < n; i++) wh[i] = Math.round(BASE[segment] * shape(i) * (0.8 + 0.4 * rnd()));
    out.push({ date, wh, quality: new Uint8Array(n).fill(Q_A) });
  }
  return out;
}

interface Case {
  readonly reads: MeterDayReads;
  readonly ctx: VeeContext;
}

function buildCases(): { cases: Case[]; intervals: number; all: Int32Array } {
  const histories = Array.from({ length: HISTORY_SETS }, (_, k) => historySet(SEGMENTS[k % 3]!));
  const cap = METER_DAYS * SLOTS;
  const startMs = new Float64Array(cap);
  const wh = new Int32Array(cap);
  const del = new Int32Array(cap);
  const rec = new Int32Array(cap);
  const headEndFlags = new Uint8Array(cap); // no head-end estimates: comparable with earlier runs
  let n = 0;
  const cases: Case[] = [];
  for (let m = 0; m < METER_DAYS; m++) {
    const segment = SEGMENTS[m % 3]!;
    const prosumer = m % 10 === 0;
    const meter: MeterInfo = { segment, prosumer, feederId: `F${m % 50}`, region: `R${m % 5}` };
    const from = n;
    const stuck = rnd() < 0.005 ? Math.floor(rnd() * 80) : -1;
    const longGap = rnd() < 0.01 ? Math.floor(rnd() * 80) : -1;
    const outage = rnd() < 0.002 ? Math.floor(rnd() * 80) : -1;
    let trueDel = 0;
    let trueRec = 0;
    for (let i = 0; i < SLOTS; i++) {
      const pv = prosumer && i > 36 && i < 64 ? Math.round(BASE[segment] * 1.2 * rnd()) : 0;
      const d = Math.round(BASE[segment] * shape(i) * (0.8 + 0.4 * rnd()));
      trueDel += d;
      trueRec += pv;
      if (rnd() < 0.02) continue; // missing interval
      if (longGap >= 0 && i >= longGap && i < longGap + 16) continue;
      if (outage >= 0 && i >= outage && i < outage + 8) continue;
      let dv = d;
      if (stuck >= 0 && i >= stuck && i < stuck + 12) dv = 0;
      if (rnd() < 0.0005) dv = d * 40; // spike
      const rv = stuck >= 0 && i >= stuck && i < stuck + 12 ? 0 : pv;
      startMs[n] = layout.firstSlotMs + i * INTERVAL_MS;
      del[n] = dv;
      rec[n] = rv;
      wh[n] = dv - rv;
      n++;
    }
    const events: MeterEvent[] =
      outage >= 0
        ? [
            { code: 3840, tsMs: layout.firstSlotMs + outage * INTERVAL_MS },
            { code: 3843, tsMs: layout.firstSlotMs + (outage + 8) * INTERVAL_MS },
          ]
        : [];
    const edits: ManualEdit[] =
      m % 500 === 0
        ? [
            {
              editId: `e${m}`,
              meterId: `M${m}`,
              intervalStartMs: layout.firstSlotMs + 40 * INTERVAL_MS,
              wh: 123,
              who: 'bench',
              atMs: 1,
              reason: 'bench',
            },
          ]
        : [];
    const hasRegisters = rnd() < 0.9;
    cases.push({
      reads: {
        meterId: `M${m}`,
        date: DATE,
        startMs: startMs.subarray(from, n),
        wh: wh.subarray(from, n),
        deliveredWh: del.subarray(from, n),
        receivedWh: rec.subarray(from, n),
        estimatedFlag: headEndFlags.subarray(from, n),
        registers: hasRegisters
          ? {
              startDeliveredWh: 5_000_000,
              startReceivedWh: 100_000,
              endDeliveredWh: 5_000_000 + trueDel,
              endReceivedWh: 100_000 + trueRec,
            }
          : null,
      },
      ctx: {
        timeZone: TZ,
        nowMs: Date.UTC(2026, 0, 1),
        meter: m % 1000 === 999 ? null : meter,
        events,
        outageCodes: defaultEventCodeTable,
        history: histories[m % HISTORY_SETS]!,
        stormSuspended: m % 2000 === 1,
        edits,
      },
    });
  }
  return { cases, intervals: n, all: wh.subarray(0, n) };
}

function main(): void {
  const { cases, intervals } = buildCases();
  const slotTotal = cases.length * SLOTS;
  // Warm-up (JIT) and the quality mix of one pass.
  const mix = { actual: 0, estimated: 0, edited: 0, missing: 0, outage: 0 };
  for (const c of cases) {
    const q = qualityCounts(runVee(c.reads, c.ctx, DEFAULT_VEE_PARAMS).day);
    mix.actual += q.actual;
    mix.estimated += q.estimated;
    mix.edited += q.edited;
    mix.missing += q.missing;
    mix.outage += q.outage;
  }
  let t0 = performance.now();
  let check = 0;
  for (let p = 0; p < PASSES; p++) {
    for (const c of cases) check += runVee(c.reads, c.ctx, DEFAULT_VEE_PARAMS).day.slots;
  }
  const veeS = (performance.now() - t0) / 1000;

  // Bound: a loop that only sums the same input arrays, meter-day by meter-day.
  let bound = 0;
  for (const c of cases) for (let i = 0; i < c.reads.wh.length; i++) bound += c.reads.wh[i]!;
  t0 = performance.now();
  let sum = 0;
  for (let p = 0; p < PASSES * 20; p++) {
    for (const c of cases) {
      const w = c.reads.wh;
      let s = 0;
      for (let i = 0; i < w.length; i++) s += w[i]!;
      sum += s;
    }
  }
  const sumS = (performance.now() - t0) / 1000;
  if (check !== slotTotal * PASSES || sum !== bound * PASSES * 20) throw new Error('bench self-check failed');

  const veeRate = (intervals * PASSES) / veeS;
  const sumRate = (intervals * PASSES * 20) / sumS;
  writeBenchResult('vee', {
    mode: quick ? 'quick' : 'full',
    meter_days: cases.length,
    passes: PASSES,
    raw_intervals_per_pass: intervals,
    output_slots_per_pass: slotTotal,
    mix_actual: mix.actual,
    mix_estimated: mix.estimated,
    mix_edited: mix.edited,
    mix_missing: mix.missing,
    mix_outage: mix.outage,
    vee_intervals_per_s: Math.round(veeRate),
    vee_meter_days_per_s: Math.round((cases.length * PASSES) / veeS),
    bound_sum_loop_intervals_per_s: Math.round(sumRate),
    vee_share_of_bound: Number((veeRate / sumRate).toFixed(4)),
    spec9_rebuild_target_intervals_per_s: 1_000_000,
  });
}

main();
