import { describe, expect, it } from 'vitest';
import { localDayBounds, parseIsoInstant } from '@ami/shared/time';
import {
  LiveRun,
  MAX_READ_DELAY_MS,
  NO_FAULTS,
  Simulation,
  Timeline,
  pacedLimitMs,
  wallTimeOf,
  type FaultRates,
  type PaceConfig,
  type TruthSink,
} from '../src/index.ts';
import { TZ } from './helpers.ts';
import { FakeClock, TimedSink, type ParsedEvent, type ParsedRead } from './live-support.ts';

const at = (iso: string): number => parseIsoInstant(iso);
const dayStart = (date: string): number => localDayBounds(date, TZ).startMs;
const MIN = 60_000;

describe('pacing (pure)', () => {
  const pace: PaceConfig = { pacedFromMs: at('2026-06-02T00:00:00+02:00'), speedup: 360 };
  const t0 = at('2026-06-02T12:00:00+02:00');

  it('is bounded only by the wall clock before the paced-from day is reached (history)', () => {
    expect(pacedLimitMs(t0, pace, undefined)).toBe(t0);
    expect(wallTimeOf(at('2026-06-01T05:00:00+02:00'), pace, undefined)).toBe(
      at('2026-06-01T05:00:00+02:00'),
    );
    // a timestamp later than the wall clock is never due before the wall clock reaches it
    expect(wallTimeOf(t0 + 10 * MIN, pace, undefined)).toBe(t0 + 10 * MIN);
  });

  it('runs speedup × the wall clock from the paced-from day start at t0, then in real time', () => {
    expect(pacedLimitMs(t0, pace, t0)).toBe(pace.pacedFromMs);
    expect(pacedLimitMs(t0 + 10_000, pace, t0)).toBe(pace.pacedFromMs + 3_600_000);
    // 12 h behind at ×360: caught up after 12 h / 359 of wall time
    const caughtUp = t0 + (12 * 3_600_000) / 359;
    expect(pacedLimitMs(caughtUp - 1000, pace, t0)).toBeLessThan(caughtUp - 1000);
    expect(pacedLimitMs(caughtUp + 1000, pace, t0)).toBe(caughtUp + 1000);
    expect(pacedLimitMs(caughtUp + 3_600_000, pace, t0)).toBe(caughtUp + 3_600_000);
  });

  it('wallTimeOf is the first wall time at which the limit reaches a simulated instant', () => {
    for (const sim of [
      at('2026-06-02T00:20:00+02:00'),
      at('2026-06-02T06:05:00+02:00'),
      at('2026-06-02T12:05:00+02:00'),
      at('2026-06-02T18:00:00+02:00'),
    ]) {
      const wall = wallTimeOf(sim, pace, t0);
      expect(pacedLimitMs(wall, pace, t0)).toBeGreaterThanOrEqual(sim - 1); // float rounding
      expect(pacedLimitMs(wall - 50, pace, t0)).toBeLessThan(sim);
      expect(wall).toBeGreaterThanOrEqual(sim);
    }
  });
});

describe('Timeline', () => {
  it('builds the same intervals with or without an end, with DST days of 92 and 100 intervals', () => {
    const bounded = new Timeline('2026-03-28', 3, TZ);
    const open = new Timeline('2026-03-28', Infinity, TZ);
    const slots = [...bounded.slots()];
    expect(bounded.slotCount).toBe(96 + 92 + 96);
    expect(slots).toHaveLength(bounded.slotCount);
    expect(open.slotCount).toBe(Infinity);
    expect(bounded.endMs).toBe(dayStart('2026-03-31'));
    const fromOpen = [];
    for (const s of open.slots()) {
      if (s.index >= slots.length) break;
      fromOpen.push(s);
    }
    expect(fromOpen).toEqual(slots);
    slots.forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(s.endMs - s.startMs).toBe(15 * MIN);
      if (i > 0) expect(s.startMs).toBe(slots[i - 1]?.endMs);
      expect(open.slot(i)).toEqual(s);
      expect(bounded.slotIndexAt(s.startMs + 7 * MIN)).toBe(i);
    });
    expect([bounded.firstSlotOfDay(1), bounded.firstSlotOfDay(2), bounded.firstSlotOfDay(3)]).toEqual([
      96, 188, 284,
    ]);
    expect(slots.filter((s) => s.startsDay).map((s) => s.index)).toEqual([0, 96, 188]);
    expect(slots.filter((s) => s.endsDay).map((s) => s.index)).toEqual([95, 187, 283]);
    expect(bounded.midnightIso(2)).toBe('2026-03-30T00:00:00+02:00');
    expect(() => bounded.slot(284)).toThrow(RangeError);
  });

  it('keeps a few days built and rebuilds older ones on demand, identically', () => {
    const open = new Timeline('2026-01-01', Infinity, TZ);
    const first = open.slot(5);
    const far = open.slot(400 * 96 + 7); // a year on
    expect(far.day).toBe(open.slot(400 * 96 + 7).day);
    for (let d = 395; d < 402; d++) open.slotsOfDay(d);
    expect(open.slot(5)).toEqual(first);
    expect(open.slot(5)).not.toBe(first); // rebuilt, not kept
  });
});

interface LiveCase {
  readonly meters: number;
  readonly start: string;
  readonly pacedFrom: string;
  readonly speedup: number;
  readonly wallStart: string;
  readonly faults?: Partial<FaultRates>;
  /** Called on every tick of the fake clock with the run (to inject, stop …). */
  readonly onTick: (nowMs: number, live: LiveRun, sim: Simulation) => void;
}

function liveRun(c: LiveCase) {
  const clock = new FakeClock(at(c.wallStart));
  const sink = new TimedSink(clock);
  const truth: string[] = [];
  const truthSink: TruthSink = { line: (json) => void truth.push(json) };
  const sim = new Simulation(
    {
      seed: 7,
      meters: c.meters,
      days: Infinity,
      startDate: c.start,
      timeZone: TZ,
      faults: { ...NO_FAULTS, ...c.faults },
    },
    sink,
    truthSink,
  );
  const pace = { pacedFromMs: dayStart(c.pacedFrom), speedup: c.speedup };
  const live = new LiveRun(sim, sink, { pace, clock });
  clock.onTick = (now) => c.onTick(now, live, sim);
  return { clock, sink, sim, live, pace, truth };
}

const reads = (sink: TimedSink) => sink.reads.map((r) => ({ ...r, read: JSON.parse(r.value) as ParsedRead }));
const events = (sink: TimedSink) =>
  sink.events.map((e) => ({ ...e, event: JSON.parse(e.value) as ParsedEvent }));

describe('live run (fake wall clock)', () => {
  it('produces history at once, then paced intervals when their last read is due, never a timestamp ahead of the clock', async () => {
    const stopAt = at('2026-06-02T11:00:00+02:00');
    const run = liveRun({
      meters: 40,
      start: '2026-06-01',
      pacedFrom: '2026-06-02',
      speedup: 60,
      wallStart: '2026-06-02T10:00:00+02:00',
      // faults that hold messages back (late reads, re-reads, restores, tamper events)
      faults: {
        outage: 0.5,
        tamper: 0.3,
        reverse_energy: 0.2,
        late: 0.01,
        correction: 0.01,
        out_of_order: 0.01,
      },
      onTick: (now, live) => {
        if (now >= stopAt) live.stop();
      },
    });
    const summary = await run.live.run();
    const rs = reads(run.sink);
    const es = events(run.sink);
    expect(summary.reads).toBe(rs.length);
    expect(es.length).toBeGreaterThan(10);
    expect(es.some((e) => e.event.event_code === 3843)).toBe(true); // restores: held with a later event_ts
    expect(summary.faults.late + summary.faults.correction).toBeGreaterThan(0);

    for (const r of rs) expect(parseIsoInstant(r.read.read_ts)).toBeLessThanOrEqual(r.atMs);
    for (const e of es) expect(parseIsoInstant(e.event.event_ts)).toBeLessThanOrEqual(e.atMs);

    const t0 = at('2026-06-02T10:00:00+02:00');
    expect(run.live.t0Ms).toBe(t0);
    const pacedFromMs = dayStart('2026-06-02');
    const intervals = rs.filter((r) => r.read.read_type === 'INTERVAL');
    // history: everything read before the paced-from day went out at once, when the run started
    const history = rs.filter((r) => at(r.read.read_ts) < pacedFromMs);
    expect(history.length).toBeGreaterThanOrEqual(40 * 90);
    for (const r of history) expect(r.atMs).toBe(t0);
    const paced = intervals.filter((r) => at(r.read.interval_start) >= pacedFromMs);
    expect(paced.length).toBeGreaterThan(0);
    const firstProduced = new Map<string, number>();
    for (const r of paced) {
      // never before the interval's last possible read is due on the paced clock …
      const dueWall = wallTimeOf(at(r.read.interval_start) + 15 * MIN + MAX_READ_DELAY_MS, run.pace, t0);
      expect(r.atMs).toBeGreaterThanOrEqual(dueWall);
      const first = firstProduced.get(r.read.interval_start);
      if (first === undefined || r.atMs < first) firstProduced.set(r.read.interval_start, r.atMs);
    }
    // … and then at once (held reads — late, re-read, out of order — come later)
    for (const [start, atMs] of firstProduced) {
      const dueWall = wallTimeOf(at(start) + 15 * MIN + MAX_READ_DELAY_MS, run.pace, t0);
      expect(atMs - dueWall).toBeLessThan(1000);
    }
    // caught up: the last interval is the one due (end + 5 min) before the stop
    const lastStart = Math.max(...paced.map((r) => at(r.read.interval_start)));
    expect(lastStart).toBe(at('2026-06-02T10:30:00+02:00'));
    const status = run.live.status();
    expect(status.lagMs).toBe(0);
    expect(status.simClockMs).toBe(run.clock.now());
    expect(status.reads).toBe(summary.reads);
  });

  it('never passes the wall clock when the paced-from day is still to come', async () => {
    const stopAt = at('2026-06-02T10:30:00+02:00');
    const run = liveRun({
      meters: 20,
      start: '2026-06-01',
      pacedFrom: '2026-06-03',
      speedup: 1000,
      wallStart: '2026-06-02T10:00:00+02:00',
      onTick: (now, live) => {
        if (now >= stopAt) live.stop();
      },
    });
    await run.live.run();
    const rs = reads(run.sink);
    for (const r of rs) expect(parseIsoInstant(r.read.read_ts)).toBeLessThanOrEqual(r.atMs);
    const last = Math.max(...rs.map((r) => at(r.read.interval_start)));
    expect(last).toBe(at('2026-06-02T10:00:00+02:00'));
    expect(run.live.t0Ms).toBeUndefined();
  });

  it('stops before producing anything when stopped first', async () => {
    const run = liveRun({
      meters: 10,
      start: '2026-06-01',
      pacedFrom: '2026-06-02',
      speedup: 10,
      wallStart: '2026-06-02T10:00:00+02:00',
      onTick: () => undefined,
    });
    run.live.stop();
    const summary = await run.live.run();
    expect(summary.reads).toBe(0);
    expect(run.sink.reads).toHaveLength(0);
  });

  it('takes a transformer down now: last gasps at once, no reads for the intervals it touches, restores at the end', async () => {
    const injectAt = at('2026-06-02T10:30:00+02:00');
    const stopAt = at('2026-06-02T11:50:00+02:00');
    let injected: ReturnType<LiveRun['injectOutage']> | undefined;
    let again: ReturnType<LiveRun['injectOutage']> | undefined;
    let unknown: ReturnType<LiveRun['injectOutage']> | undefined;
    let clockAtInject = 0;
    const run = liveRun({
      meters: 60,
      start: '2026-06-02',
      pacedFrom: '2026-06-02',
      speedup: 120,
      wallStart: '2026-06-02T10:00:00+02:00',
      onTick: (now, live) => {
        if (injected === undefined && now >= injectAt) {
          clockAtInject = live.simClockMs();
          injected = live.injectOutage('TX-00002', 30);
          again = live.injectOutage('TX-00002', 10);
          unknown = live.injectOutage('TX-99999', 10);
        }
        if (now >= stopAt) live.stop();
      },
    });
    const summary = await run.live.run();
    if (injected?.ok !== true) throw new Error(`not injected: ${JSON.stringify(injected)}`);
    expect(again).toMatchObject({ ok: false, error: 'already_out' });
    expect(unknown).toMatchObject({ ok: false, error: 'unknown_transformer' });

    const tx = run.sim.fleet.transformers[1];
    const txMeters = new Set(tx?.meters.map((m) => run.sim.fleet.meters[m]?.meterId));
    expect(new Set(injected.meterIds)).toEqual(txMeters);
    expect(injected.fromMs).toBe(clockAtInject);
    expect(clockAtInject).toBeGreaterThanOrEqual(injectAt);
    expect(clockAtInject).toBeLessThan(injectAt + 1000);
    expect(injected.toMs).toBe(clockAtInject + 30 * MIN);
    expect(injected.firstSlot.startIso).toBe('2026-06-02T10:30:00+02:00');
    const outSlots = new Set<string>();
    for (let i = 0; i < injected.intervals; i++) {
      outSlots.add(run.sim.calendar.slot(injected.firstSlot.index + i).startIso);
    }
    // every interval [T, T + 30 min) touches: 10:30, 10:45 (and 11:00 when T is past 10:30:00)
    expect(injected.intervals).toBe(clockAtInject === injectAt ? 2 : 3);

    const es = events(run.sink);
    for (const e of es) expect(parseIsoInstant(e.event.event_ts)).toBeLessThanOrEqual(e.atMs);
    const gasps = es.filter((e) => e.event.event_code === 3840);
    const restores = es.filter((e) => e.event.event_code === 3843);
    expect(new Set(gasps.map((e) => e.event.meter_id))).toEqual(txMeters);
    expect(gasps).toHaveLength(txMeters.size);
    expect(new Set(restores.map((e) => e.event.meter_id))).toEqual(txMeters);
    for (const g of gasps) {
      const ts = parseIsoInstant(g.event.event_ts);
      expect(ts - injected.fromMs).toBeGreaterThanOrEqual(0);
      expect(ts - injected.fromMs).toBeLessThan(5000);
      expect(g.atMs - ts).toBeLessThan(1000); // produced as its time came
    }
    for (const r of restores) {
      const ts = parseIsoInstant(r.event.event_ts);
      expect(ts - injected.toMs).toBeGreaterThanOrEqual(1000);
      expect(ts - injected.toMs).toBeLessThan(30_000);
      expect(r.atMs - ts).toBeLessThan(1000);
    }

    const rs = reads(run.sink).filter((r) => r.read.read_type === 'INTERVAL');
    for (const r of rs) expect(parseIsoInstant(r.read.read_ts)).toBeLessThanOrEqual(r.atMs);
    const inOutage = rs.filter((r) => outSlots.has(r.read.interval_start));
    expect(inOutage.length).toBe((60 - txMeters.size) * outSlots.size);
    expect(inOutage.filter((r) => txMeters.has(r.read.meter_id))).toHaveLength(0);
    // the meters report again after the outage
    const endOfOutageSlots = injected.firstSlot.startMs + outSlots.size * 15 * MIN;
    const after = rs.filter(
      (r) => txMeters.has(r.read.meter_id) && at(r.read.interval_start) >= endOfOutageSlots,
    );
    expect(after.length).toBeGreaterThanOrEqual(txMeters.size);

    const faultLines = run.truth.filter((l) => l.startsWith('{"fault"'));
    expect(faultLines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        fault: 'outage',
        transformer_id: 'TX-00002',
        intervals: injected.intervals,
        injected: true,
        first_interval_start: '2026-06-02T10:30:00+02:00',
      }),
    ]);
    expect(summary.faults.outage).toBe(1);
    // truth: 0 Wh for the transformer's meters in the outage's intervals
    const zero = run.truth
      .filter((l) => !l.startsWith('{"fault"'))
      .map((l) => JSON.parse(l) as { meter_id: string; interval_start: string; wh: number })
      .filter((t) => txMeters.has(t.meter_id) && outSlots.has(t.interval_start));
    expect(zero).toHaveLength(txMeters.size * outSlots.size);
    expect(zero.every((t) => t.wh === 0)).toBe(true);
  });

  it('takes the first transformer that is not out when none is named, and refuses after the end', () => {
    const sink = new TimedSink(new FakeClock(0));
    const sim = new Simulation(
      { seed: 3, meters: 50, days: 1, startDate: '2026-06-02', timeZone: TZ, faults: NO_FAULTS },
      sink,
    );
    const noon = at('2026-06-02T12:00:00+02:00');
    const a = sim.injectOutage(undefined, noon, 15);
    const b = sim.injectOutage(undefined, noon, 15);
    expect(a).toMatchObject({ ok: true, transformerId: 'TX-00001', intervals: 1 });
    expect(b).toMatchObject({ ok: true, transformerId: 'TX-00002' });
    expect(sim.injectOutage('TX-00003', at('2026-06-03T00:00:00+02:00'), 15)).toMatchObject({
      ok: false,
      error: 'ended',
    });
  });
});
