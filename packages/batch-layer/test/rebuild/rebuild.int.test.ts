/**
 * Day rebuild against the simulator's truth, through the real path: simulator → Kafka → Archiver →
 * MinIO master dataset → DuckDB dedupe + VEE + views → catalog publish → read back with DuckDB.
 *
 *  - a fleet with duplicates, corrections, late and out-of-order reads and invalid messages (no
 *    loss): every interval, meter-day, hour and transformer window equals the truth exactly, the
 *    DST day has 92 intervals per meter, billing determinants equal an independent computation;
 *  - a rerun of the same inputs publishes nothing new (same rows, same bytes);
 *  - a late correction after publication: the day is marked dirty, its rebuild is a new version
 *    whose changes name the old versions (the input of restatement notices);
 *  - a fleet with gaps bounded by register reads: daily totals equal the register deltas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, createS3, sqlPath, withConnection, type DuckDBInstance } from '@ami/shared/clients';
import type { PinnedCatalog } from '@ami/shared/catalog';
import { compareReadVersions, validateRead, type ViewName } from '@ami/shared/contracts';
import { DEFAULT_TOU_CALENDAR, touBucketOf } from '@ami/shared/domain';
import {
  addLocalDays,
  formatIsoUtc,
  intervalsInLocalDay,
  localDate,
  localDayBounds,
  parseIsoInstant,
} from '@ami/shared/time';
import { createKafka } from '@ami/shared/clients';
import { DirtyDays } from '../../src/archiver/dirty-days.ts';
import { EditStore, toManualEdit } from '../../src/edits/index.ts';
import {
  TZ,
  archiveThroughKafka,
  batchScenario,
  createTopics,
  simulateFleet,
  testBuilder,
  type SimulatedFleet,
  type TestBuilder,
} from '../support/pipeline.ts';

const DATES = ['2026-03-28', '2026-03-29', '2026-03-30'];

type Row = Record<string, unknown>;

async function readView(
  db: DuckDBInstance,
  pinned: PinnedCatalog,
  view: ViewName,
  partition?: string,
): Promise<Row[]> {
  const files = await pinned.localFiles(view, partition === undefined ? undefined : [partition]);
  if (files.paths.length === 0) return [];
  return withConnection(db, async (c) => {
    await c.run(`SET TimeZone = 'UTC'`);
    const r = await c.runAndReadAll(
      `SELECT * FROM read_parquet([${files.paths.map(sqlPath).join(', ')}], hive_partitioning = true)`,
    );
    return r.getRowObjectsJS();
  });
}

const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : parseIsoInstant(String(v)));
const num = (v: unknown): number => Number(v);

interface Truth {
  /** meter|startMs → wh */
  readonly intervals: Map<string, number>;
  /** meter|date → wh */
  readonly daily: Map<string, number>;
}

function truthOf(fleet: SimulatedFleet): Truth {
  const intervals = new Map<string, number>();
  const daily = new Map<string, number>();
  for (const line of fleet.truthLines) {
    const t = JSON.parse(line) as { fault?: string; meter_id?: string; interval_start?: string; wh?: number };
    if (t.fault !== undefined || t.meter_id === undefined || t.interval_start === undefined) continue;
    const start = parseIsoInstant(t.interval_start);
    intervals.set(`${t.meter_id}|${start}`, t.wh!);
    const d = `${t.meter_id}|${localDate(start, TZ)}`;
    daily.set(d, (daily.get(d) ?? 0) + t.wh!);
  }
  return { intervals, daily };
}

/** The simulated INTERVAL read message of `meter` on local `date` whose interval_start has `hhmm`. */
function intervalReadOf(
  fleet: SimulatedFleet,
  meter: string,
  date: string,
  hhmm: string,
): Record<string, unknown> {
  for (const m of fleet.reads) {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(m.value) as Record<string, unknown>;
    } catch {
      continue; // a malformed message of the fault mix
    }
    const at = parseIsoInstant(String(r.interval_start));
    if (r.read_type !== 'INTERVAL' || r.meter_id !== meter || !Number.isFinite(at)) continue;
    if (!Number.isFinite(parseIsoInstant(String(r.read_ts)))) continue;
    if (localDate(at, TZ) === date && String(r.interval_start).includes(hhmm)) return r;
  }
  throw new Error(`no interval read of ${meter} on ${date} at ${hhmm}`);
}

describe('day rebuild against the simulator truth', () => {
  const s = batchScenario('rebuild');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  let fleet: SimulatedFleet;
  let truth: Truth;
  let tb: TestBuilder;
  let edits: EditStore;

  beforeAll(async () => {
    fleet = await simulateFleet({
      meters: 24,
      days: DATES.length,
      startDate: DATES[0]!,
      seed: 5,
      faults: {
        duplicate: 0.02,
        correction: 0.02,
        late: 0.01,
        out_of_order: 0.01,
        malformed_json: 0.003,
        schema_violation: 0.003,
        unknown_meter: 0.003,
      },
    });
    truth = truthOf(fleet);
    await createTopics(createKafka(s.config), s.config);
    await archiveThroughKafka(s, { s3, redis }, fleet);
    edits = new EditStore({
      s3,
      bucket: s.config.connection.s3Bucket,
      prefix: `it/${s.id}/`,
      timeZone: TZ,
      dirtyDays: new DirtyDays(redis, s.id),
    });
    const store = edits;
    tb = await testBuilder(s, s3, fleet.topology, {
      edits: { listForDay: async (date) => (await store.listForDay(date)).map(toManualEdit) },
    });
  }, 180_000);

  afterAll(() => {
    tb?.close();
    redis.disconnect();
  });

  it('publishes every view of each day with values equal to the truth', async () => {
    for (const date of DATES) {
      const r = await tb.builder.buildDay({ date, cause: 'backfill' });
      expect(r.committed).toBe(true);
      expect(r.stats.rawIntervals).toBeGreaterThan(r.stats.intervals); // duplicates and corrections collapsed
    }
    const pinned = await tb.reader.pin();
    try {
      const lastEnd = localDayBounds(DATES[DATES.length - 1]!, TZ).endMs;
      expect(pinned.watermarkMs).toBe(lastEnd);
      const known = new Set(fleet.topology.map((t) => t.meter_id));
      for (const date of DATES) {
        const slots = intervalsInLocalDay(date, TZ);
        if (date === '2026-03-29') expect(slots).toBe(92);
        const iv = (await readView(tb.db, pinned, 'intervals_validated', `date=${date}`)).filter((r) =>
          known.has(String(r.meter_id)),
        );
        expect(iv.length).toBe(known.size * slots);
        let checked = 0;
        for (const r of iv) {
          const want = truth.intervals.get(`${String(r.meter_id)}|${ms(r.interval_start)}`);
          expect({ meter: r.meter_id, at: r.interval_start, q: r.quality, wh: num(r.wh) }).toEqual({
            meter: r.meter_id,
            at: r.interval_start,
            q: 'A',
            wh: want,
          });
          expect(num(r.original_wh)).toBe(want);
          checked++;
        }
        expect(checked).toBe(known.size * slots);

        const daily = await readView(tb.db, pinned, 'meter_daily', `date=${date}`);
        expect(daily.length).toBe(known.size);
        for (const r of daily) {
          expect(num(r.wh)).toBe(truth.daily.get(`${String(r.meter_id)}|${date}`));
          expect(num(r.slots)).toBe(slots);
          expect(num(r.actual)).toBe(slots);
        }

        const hourly = await readView(tb.db, pinned, 'meter_hourly', `date=${date}`);
        const hourSums = new Map<string, number>();
        for (const r of hourly)
          hourSums.set(String(r.meter_id), (hourSums.get(String(r.meter_id)) ?? 0) + num(r.wh));
        for (const r of daily) expect(hourSums.get(String(r.meter_id))).toBe(num(r.wh));

        const grid = (await readView(tb.db, pinned, 'grid_15m', `date=${date}`)).filter(
          (r) => r.level === 'transformer',
        );
        const want = new Map<string, number>();
        for (const t of fleet.topology)
          for (let i = 0; i < slots; i++) {
            const at = localDayBounds(date, TZ).startMs + i * 900_000;
            const k = `${t.transformer_id}|${at}`;
            want.set(k, (want.get(k) ?? 0) + truth.intervals.get(`${t.meter_id}|${at}`)!);
          }
        expect(grid.length).toBe(want.size);
        for (const r of grid)
          expect(num(r.wh)).toBe(want.get(`${String(r.entity_id)}|${ms(r.interval_start)}`));
      }

      // Billing determinants of March (month to date), computed independently from the truth.
      const billing = await readView(tb.db, pinned, 'billing_determinants', 'month=2026-03');
      const bySp = new Map<
        string,
        { total: number; peak: number; off: number; flat: number; maxWh: number }
      >();
      for (const t of fleet.topology) {
        const b = bySp.get(t.service_point_id) ?? { total: 0, peak: 0, off: 0, flat: 0, maxWh: -Infinity };
        for (const [key, wh] of truth.intervals) {
          const [meter, at] = key.split('|');
          if (meter !== t.meter_id) continue;
          b.total += wh;
          const bucket = touBucketOf(Number(at), t.tariff, DEFAULT_TOU_CALENDAR, TZ);
          if (bucket === 'peak') b.peak += wh;
          else if (bucket === 'off_peak') b.off += wh;
          else b.flat += wh;
          b.maxWh = Math.max(b.maxWh, wh);
        }
        bySp.set(t.service_point_id, b);
      }
      expect(billing.length).toBe(bySp.size);
      for (const r of billing) {
        const b = bySp.get(String(r.service_point_id))!;
        expect({
          sp: r.service_point_id,
          total: num(r.total_wh),
          peak: num(r.peak_wh),
          off: num(r.off_peak_wh),
          flat: num(r.flat_wh),
          demand: num(r.max_demand_w),
          days: num(r.days),
          complete: r.complete,
          hold: r.hold,
        }).toEqual({
          sp: r.service_point_id,
          total: b.total,
          peak: b.peak,
          off: b.off,
          flat: b.flat,
          demand: b.maxWh * 4,
          days: DATES.length,
          complete: false,
          hold: false,
        });
      }
    } finally {
      pinned.release();
    }
  }, 180_000);

  it('publishes nothing new when the same inputs are rebuilt', async () => {
    const before = (await tb.reader.pin()).version;
    const r = await tb.builder.buildDay({ date: DATES[1]!, cause: 'backfill' });
    expect(r.changes.map((c) => `${c.view}/${c.partition}`)).toEqual([]);
    expect(r.committed).toBe(false);
    expect((await tb.reader.pin()).version).toBe(before);
  }, 120_000);

  it('turns a late correction into a new version that names the old one', async () => {
    const date = DATES[0]!;
    // The latest version of one interval read of the day, corrected by a later re-read.
    const original = intervalReadOf(fleet, fleet.topology[0]!.meter_id, date, 'T10:00');
    expect(original).toBeDefined();
    const at = parseIsoInstant(String(original.interval_start));
    const corrected = {
      ...original,
      consumption_kwh: Number(original.consumption_kwh) + 0.5,
      delivered_kwh: Number(original.delivered_kwh) + 0.5,
      read_ts: formatIsoUtc(parseIsoInstant(String(original.read_ts)) + 3 * 86_400_000),
    };
    const dirty = new DirtyDays(redis, s.id);
    const stampBefore = (await dirty.listDirty()).find((d) => d.date === date)?.markedAtMs ?? -1;
    await archiveThroughKafka(
      s,
      { s3, redis },
      { reads: [{ key: String(original.meter_id), value: JSON.stringify(corrected) }], events: [] },
    );
    const mark = (await dirty.listDirty()).find((d) => d.date === date);
    expect(mark?.markedAtMs).toBeGreaterThan(stampBefore);

    const r = await tb.builder.buildDay({ date, cause: 'late_data' });
    expect(r.committed).toBe(true);
    const changed = new Map(r.changes.map((c) => [`${c.view}/${c.partition}`, c]));
    for (const key of [
      `intervals_validated/date=${date}`,
      `meter_daily/date=${date}`,
      `meter_hourly/date=${date}`,
      `grid_15m/date=${date}`,
      `grid_daily/date=${date}`,
      'meter_monthly/month=2026-03',
      'billing_determinants/month=2026-03',
    ]) {
      const c = changed.get(key);
      expect(c, key).toBeDefined();
      expect(c!.oldVersion).not.toBeNull();
      expect(c!.newVersion).toBe(r.version);
    }
    const pinned = await tb.reader.pin();
    try {
      const iv = await readView(tb.db, pinned, 'intervals_validated', `date=${date}`);
      const row = iv.find((x) => x.meter_id === original.meter_id && ms(x.interval_start) === at)!;
      expect(num(row.wh)).toBe(truth.intervals.get(`${String(original.meter_id)}|${at}`)! + 500);
      const daily = await readView(tb.db, pinned, 'meter_daily', `date=${date}`);
      expect(num(daily.find((x) => x.meter_id === original.meter_id)!.wh)).toBe(
        truth.daily.get(`${String(original.meter_id)}|${date}`)! + 500,
      );
    } finally {
      pinned.release();
    }
  }, 180_000);
  it('applies a manual edit from the audited store: class M, original and edit id kept, a restatement', async () => {
    const date = DATES[1]!;
    const meter = fleet.topology[2]!;
    const at = localDayBounds(date, TZ).startMs + 40 * 900_000;
    const original = truth.intervals.get(`${meter.meter_id}|${at}`)!;
    const record = await edits.append({
      meter_id: meter.meter_id,
      interval_start: formatIsoUtc(at),
      wh: original + 1234,
      reason: 'meter test at the customer site',
      who: 'editor@utility',
      original_wh: original,
    });
    expect((await new DirtyDays(redis, s.id).listDirty()).map((d) => d.date)).toContain(date);
    const r = await tb.builder.buildDay({ date, cause: 'edit' });
    expect(r.committed).toBe(true);
    expect(r.changes.find((c) => c.view === 'intervals_validated')?.oldVersion).not.toBeNull();
    const pinned = await tb.reader.pin();
    try {
      const row = (await readView(tb.db, pinned, 'intervals_validated', `date=${date}`)).find(
        (x) => x.meter_id === meter.meter_id && ms(x.interval_start) === at,
      )!;
      expect({
        q: row.quality,
        method: row.method,
        reason: row.reason,
        wh: num(row.wh),
        orig: num(row.original_wh),
        edit: row.edit_id,
      }).toEqual({
        q: 'M',
        method: 'EDIT',
        reason: 'MANUAL_EDIT',
        wh: original + 1234,
        orig: original,
        edit: record.edit_id,
      });
      const daily = (await readView(tb.db, pinned, 'meter_daily', `date=${date}`)).find(
        (x) => x.meter_id === meter.meter_id,
      )!;
      expect(num(daily.wh)).toBe(truth.daily.get(`${meter.meter_id}|${date}`)! + 1234);
      expect(num(daily.edited)).toBe(1);
    } finally {
      pinned.release();
    }
  }, 180_000);

  it('settles equal read_ts and consumption with the shared tie-break, as the speed layer does', async () => {
    const date = DATES[2]!;
    const meter = fleet.topology[1]!;
    const base = intervalReadOf(fleet, meter.meter_id, date, 'T12:00');
    const readTs = formatIsoUtc(parseIsoInstant(String(base.read_ts)) + 5 * 86_400_000);
    const a = { ...base, read_ts: readTs, voltage_v: 150.5 };
    const b = { ...base, read_ts: readTs, voltage_v: 249.5 };
    const version = (r: Record<string, unknown>) => {
      const v = validateRead(JSON.stringify(r), { nowMs: Date.now(), timeZone: TZ });
      if (!v.ok) throw new Error(v.detail);
      return v.read;
    };
    const winner = compareReadVersions(version(a), version(b)) > 0 ? a : b;
    await archiveThroughKafka(
      s,
      { s3, redis },
      {
        reads: [a, b].map((r) => ({ key: meter.meter_id, value: JSON.stringify(r) })),
        events: [],
      },
    );
    await tb.builder.buildDay({ date, cause: 'late_data' });
    const pinned = await tb.reader.pin();
    try {
      const at = parseIsoInstant(String(base.interval_start));
      const grid = (await readView(tb.db, pinned, 'grid_15m', `date=${date}`)).find(
        (r) =>
          r.level === 'transformer' && r.entity_id === meter.transformer_id && ms(r.interval_start) === at,
      )!;
      const v = Number(winner.voltage_v);
      expect(v === 150.5 ? num(grid.voltage_min) : num(grid.voltage_max)).toBe(v);
    } finally {
      pinned.release();
    }
  }, 180_000);
});

describe('day rebuild of gaps bounded by register reads', () => {
  const s = batchScenario('rebuild-gaps');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);

  afterAll(() => redis.disconnect());

  it('makes every daily total equal its register delta', async () => {
    const fleet = await simulateFleet({
      meters: 16,
      days: 3,
      startDate: '2026-06-01',
      seed: 9,
      faults: { gap: 0.02 },
    });
    await createTopics(createKafka(s.config), s.config);
    await archiveThroughKafka(s, { s3, redis }, fleet);
    const tb = await testBuilder(s, s3, fleet.topology);
    try {
      // Register deltas straight from the DAILY messages (delivered − received, Wh).
      const reg = new Map<string, { d: number; r: number }>();
      for (const m of fleet.reads) {
        const r = JSON.parse(m.value) as Record<string, unknown>;
        if (r.read_type !== 'DAILY') continue;
        reg.set(`${String(r.meter_id)}|${parseIsoInstant(String(r.interval_start))}`, {
          d: Math.round(Number(r.delivered_kwh) * 1000),
          r: Math.round(Number(r.received_kwh) * 1000),
        });
      }
      const date = '2026-06-02';
      await tb.builder.buildDay({ date: '2026-06-01', cause: 'backfill' });
      const r = await tb.builder.buildDay({ date, cause: 'backfill' });
      expect(r.stats.quality.E).toBeGreaterThan(0); // the gaps were estimated
      const pinned = await tb.reader.pin();
      try {
        const daily = await readView(tb.db, pinned, 'meter_daily', `date=${date}`);
        const { startMs, endMs } = localDayBounds(date, TZ);
        let bounded = 0;
        for (const row of daily) {
          const a = reg.get(`${String(row.meter_id)}|${startMs}`);
          const b = reg.get(`${String(row.meter_id)}|${endMs}`);
          if (a === undefined || b === undefined) continue;
          bounded++;
          expect({ meter: row.meter_id, wh: num(row.wh) }).toEqual({
            meter: row.meter_id,
            wh: b.d - a.d - (b.r - a.r),
          });
        }
        expect(bounded).toBe(fleet.topology.length);
        expect(addLocalDays(date, 1)).toBe('2026-06-03');
      } finally {
        pinned.release();
      }
    } finally {
      tb.close();
    }
  }, 240_000);
});

describe('day rebuild of the autumn DST day', () => {
  const s = batchScenario('rebuild-dst');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);

  afterAll(() => redis.disconnect());

  it('validates 100 intervals per meter and keeps the totals', async () => {
    const date = '2026-10-25';
    const fleet = await simulateFleet({ meters: 6, days: 1, startDate: date, seed: 3 });
    const truth = truthOf(fleet);
    await createTopics(createKafka(s.config), s.config);
    await archiveThroughKafka(s, { s3, redis }, fleet);
    const tb = await testBuilder(s, s3, fleet.topology);
    try {
      const r = await tb.builder.buildDay({ date, cause: 'backfill' });
      expect(r.stats.validatedRows).toBe(6 * 100);
      const pinned = await tb.reader.pin();
      try {
        const daily = await readView(tb.db, pinned, 'meter_daily', `date=${date}`);
        expect(daily.map((d) => num(d.slots))).toEqual([100, 100, 100, 100, 100, 100]);
        for (const d of daily) expect(num(d.wh)).toBe(truth.daily.get(`${String(d.meter_id)}|${date}`));
        const hourly = await readView(tb.db, pinned, 'meter_hourly', `date=${date}`);
        expect(hourly.length).toBe(6 * 25); // 25 real hours
      } finally {
        pinned.release();
      }
    } finally {
      tb.close();
    }
  }, 120_000);
});
