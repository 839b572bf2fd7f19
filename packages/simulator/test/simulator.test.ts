import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildTopologyIndex,
  checkKnownMeter,
  validateEvent,
  validateRead,
  type TopologyRow,
  type ValidRead,
} from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { localDate, parseIsoInstant } from '@ami/shared/time';
import { FAULT_KINDS, FAULTS, type FaultKind } from '../src/index.ts';
import { TZ, runFiles, splitTruth, type SimRun, type TruthFault } from './helpers.ts';

const hashDir = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex'),
      ]),
  );

const valid = (line: string): ValidRead => {
  const nowMs = parseIsoInstant((JSON.parse(line) as { read_ts: string }).read_ts);
  const v = validateRead(line, { nowMs, timeZone: TZ });
  if (!v.ok) throw new Error(`${v.reason}: ${v.detail} in ${line}`);
  return v.read;
};

describe('files mode, 1000 meters × 2 days, all faults', () => {
  let a: SimRun;
  let b: SimRun;
  const args = [
    '--meters',
    '1000',
    '--days',
    '2',
    '--start',
    '2026-03-28',
    '--seed',
    '42',
    '--faults',
    'all',
  ];
  beforeAll(async () => {
    a = await runFiles(args);
    b = await runFiles(args);
  }, 30_000);

  it('is byte-identical across runs (every file)', () => {
    expect(a.code).toBe(0);
    const ha = hashDir(a.dir);
    expect(Object.keys(ha)).toEqual(['events.jsonl', 'reads.jsonl', 'topology.jsonl', 'truth.jsonl']);
    expect(hashDir(b.dir)).toEqual(ha);
  });

  it('injects every fault kind, each with its truth line', () => {
    const { faults } = splitTruth(a.truth);
    const kinds = new Set(faults.map((f) => f.fault));
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('makes every invalid message fail validation with the reason its truth line names', () => {
    const { faults } = splitTruth(a.truth);
    const index = buildTopologyIndex(a.topology.map((l) => JSON.parse(l) as TopologyRow));
    const produced = new Set(a.reads);
    const invalid = faults.filter((f) => FAULTS[f.fault as FaultKind].invalid);
    expect(invalid.length).toBeGreaterThan(100);
    const reasons = new Set<string>();
    for (const f of invalid) {
      const message = f.message as string;
      expect(produced.has(message)).toBe(true);
      const v = validateRead(message, { nowMs: parseIsoInstant(f.now as string), timeZone: TZ });
      if (f.reason === 'UNKNOWN_METER') {
        if (!v.ok) throw new Error(`unknown-meter read should be valid: ${v.reason}`);
        const known = checkKnownMeter(v.read, index);
        expect(known.ok ? 'ok' : known.reason).toBe('UNKNOWN_METER');
      } else {
        expect(v.ok ? 'ok' : v.reason, message).toBe(f.reason);
      }
      reasons.add(`${f.fault}/${f.reason as string}`);
    }
    expect(reasons).toEqual(
      new Set([
        'malformed_json/MALFORMED_JSON',
        'schema_violation/SCHEMA_VIOLATION',
        'schema_violation/BAD_TIMESTAMP',
        'schema_violation/MISALIGNED_INTERVAL',
        'schema_violation/BAD_INTERVAL_LENGTH',
        'out_of_range/OUT_OF_RANGE',
        'future_timestamp/FUTURE_TIMESTAMP',
        'unknown_meter/UNKNOWN_METER',
      ]),
    );
  });

  it('keeps outages in the truth as 0 Wh with last gasps and restores from every meter of the transformer', () => {
    const { intervals, faults } = splitTruth(a.truth);
    const outages = faults.filter((f) => f.fault === 'outage');
    expect(outages.length).toBeGreaterThan(0);
    const intervalStarts = new Map<string, number[]>();
    for (const line of a.reads) {
      let r: { meter_id: string; read_type: string; interval_start: string };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        continue; // the malformed ones
      }
      if (r.read_type !== 'INTERVAL') continue;
      const list = intervalStarts.get(r.meter_id) ?? [];
      list.push(parseIsoInstant(r.interval_start));
      intervalStarts.set(r.meter_id, list);
    }
    const events = a.events.map(
      (l) => JSON.parse(l) as { meter_id: string; event_code: number; event_ts: string },
    );
    for (const o of outages) {
      const meterIds = o.meter_ids as string[];
      const fromMs = parseIsoInstant(o.from as string);
      const toMs = parseIsoInstant(o.to as string);
      for (const id of meterIds) {
        const gasp = events.find(
          (e) =>
            e.meter_id === id &&
            e.event_code === 3840 &&
            Math.abs(parseIsoInstant(e.event_ts) - fromMs) < 5000,
        );
        const restore = events.find(
          (e) => e.meter_id === id && e.event_code === 3843 && parseIsoInstant(e.event_ts) - toMs < 30_000,
        );
        expect(gasp, id).toBeDefined();
        expect(restore, id).toBeDefined();
        const during = intervals.filter(
          (t) =>
            t.meter_id === id &&
            parseIsoInstant(t.interval_start) >= fromMs &&
            parseIsoInstant(t.interval_start) < toMs,
        );
        expect(during.length).toBe(o.intervals);
        expect(during.every((t) => t.wh === 0)).toBe(true);
        const readsDuring = (intervalStarts.get(id) ?? []).filter((ms) => ms >= fromMs && ms < toMs);
        expect(readsDuring).toEqual([]);
      }
    }
  });

  it('makes each valid-message fault touch exactly what its truth line says', () => {
    const { intervals, faults } = splitTruth(a.truth);
    const trueWh = new Map(intervals.map((t) => [`${t.meter_id}|${t.interval_start}`, t.wh]));
    // Every INTERVAL read of a meter and interval, in produce order.
    const seen = new Map<string, { wh: number; readTs: string; line: string; pos: number }[]>();
    a.reads.forEach((line, pos) => {
      let r: {
        meter_id: string;
        read_type: string;
        interval_start: string;
        consumption_kwh: number;
        read_ts: string;
      };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        return;
      }
      if (r.read_type !== 'INTERVAL') return;
      const key = `${r.meter_id}|${r.interval_start}`;
      const list = seen.get(key) ?? [];
      list.push({ wh: Math.round(r.consumption_kwh * 1000), readTs: r.read_ts, line, pos });
      seen.set(key, list);
    });
    const at = (f: TruthFault): string => `${f.meter_id as string}|${f.interval_start as string}`;
    const counts = new Map<string, number>();
    for (const f of faults) {
      counts.set(f.fault, (counts.get(f.fault) ?? 0) + 1);
      switch (f.fault) {
        case 'duplicate': {
          const list = seen.get(at(f)) ?? [];
          expect(list.length).toBe(2);
          expect(list[0]?.line).toBe(list[1]?.line);
          expect(list[1]?.pos).toBe((list[0]?.pos ?? 0) + 1);
          break;
        }
        case 'correction': {
          const list = seen.get(at(f)) ?? [];
          expect(list.map((x) => x.wh)).toEqual([f.wrong_wh, f.true_wh]);
          expect(f.true_wh).toBe(trueWh.get(at(f)));
          expect(f.wrong_wh).not.toBe(f.true_wh);
          expect(list[1]?.readTs).toBe(f.corrected_read_ts);
          expect(parseIsoInstant(f.corrected_read_ts as string)).toBeGreaterThan(
            parseIsoInstant(f.first_read_ts as string),
          );
          break;
        }
        case 'gap':
          for (const start of f.interval_starts as string[]) {
            expect(seen.get(`${f.meter_id as string}|${start}`)).toBeUndefined();
          }
          break;
        case 'late': {
          const list = seen.get(at(f)) ?? [];
          expect(list.map((x) => x.readTs)).toEqual([f.read_ts]);
          expect(list[0]?.wh).toBe(trueWh.get(at(f)));
          break;
        }
        case 'out_of_order': {
          const list = seen.get(at(f)) ?? [];
          expect(list.length).toBe(1);
          expect(list[0]?.readTs).toBe(f.read_ts);
          break;
        }
        case 'spike': {
          const list = seen.get(at(f)) ?? [];
          expect(list.map((x) => x.wh)).toEqual([f.reported_wh]);
          expect(f.true_wh).toBe(trueWh.get(at(f)));
          expect(Math.abs(f.reported_wh as number)).toBeGreaterThan(Math.abs(f.true_wh as number));
          break;
        }
        case 'stuck_at_zero': {
          const from = parseIsoInstant(f.first_interval_start as string);
          const to = parseIsoInstant(f.last_interval_start as string);
          expect((to - from) / 900_000 + 1).toBe(f.intervals);
          for (const [key, list] of seen) {
            const [meter, start] = key.split('|') as [string, string];
            const ms = parseIsoInstant(start);
            if (meter === f.meter_id && ms >= from && ms <= to) expect(list.map((x) => x.wh)).toEqual([0]);
          }
          break;
        }
        default:
          break;
      }
    }
    for (const kind of ['duplicate', 'correction', 'gap', 'late', 'out_of_order', 'spike', 'stuck_at_zero']) {
      expect(counts.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('produces events in event_ts order, all valid', () => {
    let last = -Infinity;
    for (const line of a.events) {
      const v = validateEvent(line, {
        nowMs: parseIsoInstant((JSON.parse(line) as { event_ts: string }).event_ts),
        eventCodes: defaultEventCodeTable,
      });
      if (!v.ok) throw new Error(`${v.reason}: ${line}`);
      expect(v.event.eventTsMs).toBeGreaterThanOrEqual(last);
      last = v.event.eventTsMs;
    }
  });
});

describe('clean run', () => {
  let run: SimRun;
  beforeAll(async () => {
    run = await runFiles(['--meters', '300', '--days', '3', '--start', '2026-03-28', '--seed', '7']);
  }, 30_000);

  it('produces only valid messages from known meters, no fault lines, no events', () => {
    const index = buildTopologyIndex(run.topology.map((l) => JSON.parse(l) as TopologyRow));
    for (const line of run.reads) expect(checkKnownMeter(valid(line), index).ok).toBe(true);
    expect(splitTruth(run.truth).faults).toEqual([]);
    expect(run.events).toEqual([]);
    expect(run.reads.length).toBe(300 * (96 + 92 + 96) + 300 * 4);
  });

  it('produces reads in read_ts order', () => {
    let last = -Infinity;
    for (const line of run.reads) {
      const ts = parseIsoInstant((JSON.parse(line) as { read_ts: string }).read_ts);
      expect(ts).toBeGreaterThanOrEqual(last);
      last = ts;
    }
  });

  it('truth sums per meter and local day equal the DAILY register deltas exactly', () => {
    const registers = new Map<string, number>(); // meter|midnight ms → net register Wh
    const intervalWh = new Map<string, number>(); // meter|interval start → reported Wh
    for (const line of run.reads) {
      const r = valid(line);
      if (r.read_type === 'DAILY')
        registers.set(`${r.meter_id}|${localDate(r.intervalStartMs, TZ)}`, r.deliveredWh - r.receivedWh);
      else intervalWh.set(`${r.meter_id}|${r.intervalStartMs}`, r.consumptionWh);
    }
    const sums = new Map<string, number>();
    const { intervals } = splitTruth(run.truth);
    expect(intervals.length).toBe(300 * (96 + 92 + 96));
    for (const t of intervals) {
      const ms = parseIsoInstant(t.interval_start);
      expect(intervalWh.get(`${t.meter_id}|${ms}`)).toBe(t.wh);
      const key = `${t.meter_id}|${localDate(ms, TZ)}`;
      sums.set(key, (sums.get(key) ?? 0) + t.wh);
    }
    const next = {
      '2026-03-28': '2026-03-29',
      '2026-03-29': '2026-03-30',
      '2026-03-30': '2026-03-31',
    } as const;
    let checked = 0;
    for (const [key, sum] of sums) {
      const [meter, day] = key.split('|') as [string, keyof typeof next];
      const delta = (registers.get(`${meter}|${next[day]}`) ?? NaN) - (registers.get(key) ?? NaN);
      expect(delta, key).toBe(sum);
      checked++;
    }
    expect(checked).toBe(300 * 3);
  });

  it('has prosumers exporting at midday (received > 0, net negative) and voltage around 230 V', () => {
    const noonExports = run.reads
      .filter((l) => l.includes('"INTERVAL"'))
      .map(valid)
      .filter(
        (r) =>
          r.receivedWh > 0 &&
          r.consumptionWh < 0 &&
          Math.abs((parseIsoInstant(r.interval_start) % 86_400_000) - 11 * 3_600_000) < 2 * 3_600_000,
      );
    expect(noonExports.length).toBeGreaterThan(10);
    const volts = run.reads
      .filter((l) => l.includes('"INTERVAL"'))
      .map((l) => (JSON.parse(l) as { voltage_v: number }).voltage_v);
    const mean = volts.reduce((s, v) => s + v, 0) / volts.length;
    expect(mean).toBeGreaterThan(222);
    expect(mean).toBeLessThan(236);
  });

  it('builds a topology of the SPEC shape', () => {
    const rows = run.topology.map((l) => JSON.parse(l) as TopologyRow);
    expect(rows[0]?.meter_id).toBe('MTR-000001');
    const perTx = new Map<string, number>();
    for (const r of rows) perTx.set(r.transformer_id, (perTx.get(r.transformer_id) ?? 0) + 1);
    const sizes = [...perTx.values()].slice(0, -1);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(30);
    expect(new Set(rows.map((r) => r.segment))).toEqual(new Set(['residential', 'commercial', 'industrial']));
    expect(rows.some((r) => r.prosumer)).toBe(true);
  });
});

describe('DST days', () => {
  it.each([
    ['2026-03-29', 92],
    ['2026-10-25', 100],
  ])('%s gives %i intervals per meter', async (start, n) => {
    const run = await runFiles(['--meters', '25', '--days', '1', '--start', start, '--seed', '3']);
    const { intervals } = splitTruth(run.truth);
    const perMeter = new Map<string, number>();
    for (const t of intervals) perMeter.set(t.meter_id, (perMeter.get(t.meter_id) ?? 0) + 1);
    expect(perMeter.size).toBe(25);
    expect(new Set(perMeter.values())).toEqual(new Set([n]));
    expect(run.reads.filter((l) => l.includes('"INTERVAL"')).length).toBe(25 * n);
  });
});

describe('fault switches', () => {
  it.each(FAULT_KINDS)('%s appears only when enabled', async (kind) => {
    const base = ['--meters', '200', '--days', '1', '--start', '2026-06-01', '--seed', '11'];
    const rate = FAULTS[kind].unit.startsWith('interval') ? '0.01' : '0.2';
    const on = await runFiles([...base, FAULTS[kind].flag, rate]);
    const kinds = new Set(splitTruth(on.truth).faults.map((f) => f.fault));
    expect([...kinds]).toEqual([kind]);
  });
});

describe('arguments', () => {
  it.each([
    [['--meters', 'x', '--to', 'files', '--out', '/tmp/x']],
    [['--to', 'nowhere']],
    [['--meters', '10']],
    [['--to', 'files']],
    [['--start', '2026-13-01', '--to', 'files', '--out', '/tmp/x']],
    [['--duplicates', '2', '--to', 'files', '--out', '/tmp/x']],
    [['--faults', 'bogus', '--to', 'files', '--out', '/tmp/x']],
    [['--frobnicate', '--to', 'files', '--out', '/tmp/x']],
  ])('rejects %j with exit code 2', async (argv) => {
    const { runSimCli } = await import('../src/index.ts');
    expect(await runSimCli(argv)).toBe(2);
  });
});
