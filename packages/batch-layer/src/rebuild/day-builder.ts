/**
 * Day rebuild (SPEC 5): every batch view of one local day, rebuilt from the master dataset and
 * published in one atomic catalog commit.
 *
 *   load     list + fetch the day's raw Parquet (reads of D and D+1 for the end register read,
 *            events of D−2…D for outage spans), edits and storm releases
 *   dedupe   DuckDB: latest-wins per reading identity (dedupe.ts, the shared rule)
 *   vee      typed columns → runVee per meter (vee-pass.ts); history only for meters that ask
 *   views    DuckDB: intervals_validated, meter_hourly, meter_daily, grid_15m, grid_daily for D;
 *            meter_monthly and billing_determinants for D's month from the month's meter_daily
 *   publish  CatalogPublisher.publish: upload, then one HEAD swap (readers see all or nothing)
 *
 * Monthly views depend on the other days of the month. If another day of the month was published
 * between our pin and our commit (two builds of one month in parallel), the monthly views are
 * re-derived from the new catalog and published again, until the month is consistent.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { sqlPath, type S3ObjectCache } from '@ami/shared/clients';
import { datePartition, monthPartition, type CatalogReader, type PinnedCatalog } from '@ami/shared/catalog';
import type { TopologyRow } from '@ami/shared/contracts';
import type { EventCodeTable, TouCalendar } from '@ami/shared/domain';
import type { Logger } from '@ami/shared/log';
import {
  addLocalDays,
  INTERVAL_MS,
  localDatesOfMonth,
  localMonthOfDate,
  parseIsoInstant,
} from '@ami/shared/time';
import type { CatalogPublisher, LocalViewFile, PartitionInput, PublishResult } from '../catalog/publisher.ts';
import { QUALITY_CLASSES } from '../vee/codes.ts';
import { dayLayout, type DayLayout } from '../vee/day-layout.ts';
import type { DayRegisters, HistoryDay, ManualEdit, MeterEvent } from '../vee/model.ts';
import type { VeeParams } from '../vee/params.ts';
import { billingQualityGate } from '../vee/billing-gate.ts';
import { decideStorm, meterMissedDay, type StormGroupCount } from '../vee/storm.ts';
import { BuildClock } from './build-clock.ts';
import { fetchIntervalColumns, fetchRegisters, type IntervalColumns } from './day-columns.ts';
import { dedupeReads, settleTies, unknownMeterAttributionSql } from './dedupe.ts';
import { fetchRawObjects, type FetchedRaw, type MasterDatasetSource } from './master-dataset.ts';
import type { DayBuildRequest, DayBuildResult, DayBuilder, DayBuildStats } from './types.ts';
import {
  DEMAND_HISTORY,
  ExceptionRows,
  MeterDayFigures,
  meterOffsets,
  runDayVee,
  type DayMeter,
  type DayVeeInput,
  type DayVeeTotals,
} from './vee-pass.ts';
import {
  billingDeterminantsSql,
  CREATE_BILLING_PRE_SQL,
  CREATE_GRID_INPUT_SQL,
  createValidatedIntervalsSql,
  grid15mSql,
  gridDailySql,
  intervalsValidatedSql,
  METER_DAILY_SQL,
  METER_MONTHLY_SQL,
  meterHourlySql,
} from './view-sql.ts';

export interface EditSource {
  listForDay(date: string): Promise<readonly ManualEdit[]>;
}
export interface StormReleaseSource {
  releasesForDay(date: string): Promise<ReadonlySet<string>>;
}

export interface DayBuilderDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Prefix of the master dataset (raw/, quarantine/). */
  readonly archivePrefix: string;
  readonly cache: S3ObjectCache;
  /** Reader of the published views (history, the month's other days). */
  readonly catalog: CatalogReader;
  readonly publisher: CatalogPublisher;
  readonly db: DuckDBInstance;
  readonly timeZone: string;
  /** Topology rows (SPEC 3.4), every version; re-read per build when a function. */
  readonly topology: readonly TopologyRow[] | (() => Promise<readonly TopologyRow[]>);
  readonly eventCodes: EventCodeTable;
  readonly touCalendar: TouCalendar;
  readonly veeParams: VeeParams;
  readonly edits?: EditSource;
  readonly stormReleases?: StormReleaseSource;
  /** Local scratch directory for view files. */
  readonly workDir: string;
  /** Days of events before D read for outage spans still open at midnight (default 2). */
  readonly eventLookbackDays?: number;
  readonly holidays?: ReadonlySet<string>;
  readonly now?: () => number;
  readonly log?: Logger;
}

const PARQUET_OPTIONS = '(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)';
const MONTH_RETRIES = 5;

let buildSeq = 0;

export function createDayBuilder(deps: DayBuilderDeps): DayBuilder {
  return { buildDay: (req) => buildDay(deps, req) };
}

/** What the load phase gathers: the day's raw files (pinned in the cache) and its side inputs. */
interface DayInputs {
  /** Raw read files of D and D+1 (D+1 holds the end-of-day register read). */
  readonly reads: FetchedRaw;
  /** Raw event files of D−lookback…D (outage spans still open at midnight). */
  readonly events: FetchedRaw;
  readonly topology: readonly TopologyRow[];
  readonly edits: readonly ManualEdit[];
  readonly releases: ReadonlySet<string>;
}

/** The deduplicated day in typed form: what the dedupe phase hands to VEE. */
interface DedupedDay {
  /** Raw interval reads before dedupe. */
  readonly rawIntervals: number;
  readonly meters: readonly DayMeter[];
  readonly intervals: IntervalColumns;
  readonly registers: ReadonlyMap<number, DayRegisters>;
  readonly events: ReadonlyMap<string, readonly MeterEvent[]>;
  /** Identities settled by the tie-break (0 when the dedupe left none). */
  readonly tieBreaks: number;
}

/** The VEE results of every meter of the day. */
interface ValidatedDay {
  readonly exceptions: ExceptionRows;
  readonly figures: MeterDayFigures;
  /** Meters validated a second time with their history (pass 2). */
  readonly historyMeters: number;
  /** Meters, rejected reads, estimated (of them head-end estimates) and edited slots of the day. */
  readonly totals: DayVeeTotals;
}

async function buildDay(deps: DayBuilderDeps, req: DayBuildRequest): Promise<DayBuildResult> {
  const layout = dayLayout(req.date, deps.timeZone);
  const clock = new BuildClock(req.onProgress);
  const dir = join(deps.workDir, `day-${req.date}-${process.pid}-${++buildSeq}`);
  await mkdir(dir, { recursive: true });
  const inputs = await loadDayInputs(deps, req.date);
  const conn = await deps.db.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    clock.enter('dedupe');
    const day = await dedupeDay(deps, conn, clock, layout, inputs);
    clock.enter('vee');
    const validated = await validateDay(deps, conn, req.date, day, inputs);
    clock.enter('views');
    const dailyInputs = await writeDailyViews(conn, clock, layout, req.date, dir, day.meters, validated);
    const publish = await publishDay(deps, conn, clock, req, dir, dailyInputs);
    const result = dayResult(req.date, publish, {
      rawIntervals: day.rawIntervals,
      intervals: day.intervals.length,
      meters: day.meters.length,
      validatedRows: dailyInputs[0]!.files[0]!.rows,
      quality: qualityCounts(day.meters.length, validated.figures),
      phaseMs: { ...clock.phaseMs },
    });
    req.onProgress?.('publish', 1);
    deps.log?.info(
      {
        date: req.date,
        cause: req.cause,
        committed: result.committed,
        version: result.version,
        rawIntervals: day.rawIntervals,
        tieBreaks: day.tieBreaks,
        exceptions: validated.exceptions.length,
        historyMeters: validated.historyMeters,
        vee: validated.totals,
        phaseMs: clock.phaseMs,
        steps: clock.steps,
      },
      'day rebuilt',
    );
    return result;
  } finally {
    conn.closeSync();
    deps.cache.unpin(inputs.reads.keys);
    deps.cache.unpin(inputs.events.keys);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Load: the raw reads and events (fetched into the cache and pinned), topology, edits, storm releases. */
async function loadDayInputs(deps: DayBuilderDeps, date: string): Promise<DayInputs> {
  const src: MasterDatasetSource = {
    s3: deps.s3,
    bucket: deps.bucket,
    prefix: deps.archivePrefix,
    cache: deps.cache,
  };
  const lookback = deps.eventLookbackDays ?? 2;
  const eventDates = Array.from({ length: lookback + 1 }, (_, i) => addLocalDays(date, i - lookback));
  const [reads, events, topology, edits, releases] = await Promise.all([
    fetchRawObjects(src, 'reads', [date, addLocalDays(date, 1)]),
    fetchRawObjects(src, 'events', eventDates),
    typeof deps.topology === 'function' ? deps.topology() : Promise.resolve(deps.topology),
    deps.edits?.listForDay(date) ?? Promise.resolve([]),
    deps.stormReleases?.releasesForDay(date) ?? Promise.resolve(new Set<string>()),
  ]);
  return { reads, events, topology, edits, releases };
}

/**
 * Dedupe: latest-wins in DuckDB, the day's meters, then the reads as typed columns; when the fetch
 * sees an identity twice, the tie-break settles it and the columns are fetched again.
 */
async function dedupeDay(
  deps: DayBuilderDeps,
  conn: DuckDBConnection,
  clock: BuildClock,
  layout: DayLayout,
  inputs: DayInputs,
): Promise<DedupedDay> {
  const { paths } = inputs.reads;
  const window = { paths, startMs: layout.firstSlotMs, endMs: layout.endMs };
  const dedupe = await clock.timed('dedupe', () => dedupeReads(conn, window));
  const meters = await clock.timed('meters', () => dayMeters(conn, inputs.topology, layout, paths));
  await clock.timed('meter_ids', () => appendMeterIds(conn, meters));
  let columns = await fetchDayColumns(conn, clock, layout, dedupe.rawIntervals);
  let tieBreaks = 0;
  if (columns.intervals.repeatedIdentities > 0 || columns.registers === null) {
    tieBreaks = await clock.timed('settle_ties', () => settleTies(conn, window));
    columns = await fetchDayColumns(conn, clock, layout, dedupe.rawIntervals);
  }
  const { intervals, registers } = columns;
  if (intervals.repeatedIdentities > 0 || registers === null)
    throw new Error('unsettled read versions after the tie-break');
  const events = await clock.timed('events', () =>
    loadOutageEvents(conn, inputs.events.paths, deps.eventCodes, layout.endMs),
  );
  return { rawIntervals: dedupe.rawIntervals, meters, intervals, registers, events, tieBreaks };
}

/** The deduplicated interval reads (by meter ordinal, start) and DAILY registers of the day. */
async function fetchDayColumns(
  conn: DuckDBConnection,
  clock: BuildClock,
  layout: DayLayout,
  expectedIntervals: number,
): Promise<{ intervals: IntervalColumns; registers: Map<number, DayRegisters> | null }> {
  const intervals = await clock.timed('fetch_intervals', () =>
    fetchIntervalColumns(
      conn,
      `SELECT i.m, epoch_ms(l.interval_start)::DOUBLE, l.consumption_wh::INTEGER, l.delivered_wh::INTEGER, ` +
        `l.received_wh::INTEGER, l.estimated_flag::UTINYINT FROM latest l JOIN day_meter_ids i USING (meter_id) ` +
        `WHERE l.read_type = 'INTERVAL' ORDER BY i.m, l.interval_start`,
      expectedIntervals,
    ),
  );
  const registers = await clock.timed('fetch_registers', () =>
    fetchRegisters(
      conn,
      `SELECT i.m, epoch_ms(l.interval_start)::DOUBLE, l.delivered_wh::DOUBLE, l.received_wh::DOUBLE ` +
        `FROM latest l JOIN day_meter_ids i USING (meter_id) WHERE l.read_type = 'DAILY'`,
      layout.firstSlotMs,
    ),
  );
  return { intervals, registers };
}

/**
 * VEE: storm decision, then every meter without history (pass 1); the meters that demanded their
 * history run again with their published earlier days (pass 2).
 */
async function validateDay(
  deps: DayBuilderDeps,
  conn: DuckDBConnection,
  date: string,
  day: DedupedDay,
  inputs: DayInputs,
): Promise<ValidatedDay> {
  const { meters } = day;
  const offsets = meterOffsets(day.intervals, meters.length);
  const storm = decideStorm(stormCounts(meters, offsets), inputs.releases, deps.veeParams);
  const input: DayVeeInput = {
    date,
    timeZone: deps.timeZone,
    nowMs: (deps.now ?? Date.now)(),
    meters,
    reads: day.intervals,
    registers: day.registers,
    events: day.events,
    edits: editsByMeter(inputs.edits),
    outageCodes: deps.eventCodes,
    storm,
    holidays: deps.holidays,
    touCalendar: deps.touCalendar,
    params: deps.veeParams,
  };
  const out = {
    exceptions: new ExceptionRows(),
    figures: new MeterDayFigures(meters.length),
    totals: { meters: 0, rejected: 0, estimated: 0, headEndEstimated: 0, edited: 0 } satisfies DayVeeTotals,
  };
  const demanded = runDayVee(input, meters.keys(), () => DEMAND_HISTORY, offsets, out);
  if (demanded.length > 0) {
    const history = await loadHistory(
      deps,
      conn,
      date,
      demanded.map((m) => meters[m]!.meterId),
    );
    const none: HistoryDay[] = [];
    runDayVee(input, demanded, (m) => history.get(meters[m]!.meterId) ?? none, offsets, out);
  }
  return {
    exceptions: out.exceptions,
    figures: out.figures,
    historyMeters: demanded.length,
    totals: out.totals,
  };
}

function editsByMeter(edits: readonly ManualEdit[]): Map<string, ManualEdit[]> {
  const out = new Map<string, ManualEdit[]>();
  for (const e of edits) {
    const list = out.get(e.meterId);
    if (list) list.push(e);
    else out.set(e.meterId, [e]);
  }
  return out;
}

/**
 * Daily views: the VEE results into DuckDB (day_meters, exc), the validated intervals and the grid
 * input, then one Parquet file per daily view of D (intervals_validated first).
 */
async function writeDailyViews(
  conn: DuckDBConnection,
  clock: BuildClock,
  layout: DayLayout,
  date: string,
  dir: string,
  meters: readonly DayMeter[],
  validated: ValidatedDay,
): Promise<PartitionInput[]> {
  await clock.timed('append_meters', () => appendDayMeters(conn, meters, validated.figures));
  await clock.timed('append_exceptions', () => appendExceptions(conn, validated.exceptions));
  await clock.timed('iv', () => conn.run(createValidatedIntervalsSql(layout.firstSlotMs)));
  await clock.timed('ivg', async () => {
    for (const sql of CREATE_GRID_INPUT_SQL) await conn.run(sql);
  });
  const daily: Record<string, string> = {
    intervals_validated: intervalsValidatedSql(layout.firstSlotMs),
    meter_hourly: meterHourlySql(layout.firstSlotMs),
    meter_daily: METER_DAILY_SQL,
    grid_15m: grid15mSql(layout.firstSlotMs),
    grid_daily: gridDailySql(),
  };
  const partition = datePartition(date);
  const inputs: PartitionInput[] = [];
  for (const [view, sql] of Object.entries(daily)) {
    const file = await clock.timed(view, () => copyToFile(conn, sql, join(dir, `${view}.parquet`)));
    inputs.push({ view: view as PartitionInput['view'], partition, files: [file] });
  }
  return inputs;
}

/** Quality class counts over every meter of the day. */
function qualityCounts(meters: number, figures: MeterDayFigures): DayBuildStats['quality'] {
  const quality = { A: 0, E: 0, M: 0, X: 0, O: 0 };
  for (let m = 0; m < meters; m++)
    QUALITY_CLASSES.forEach((c, k) => (quality[c] += figures.counts[m * 5 + k]!));
  return quality;
}

/**
 * Publish: the monthly views from the pinned catalog, published with the daily views (first attempt)
 * in one commit; when another day of the month was published meanwhile, the monthly views are
 * re-derived from the new catalog and published again (at most MONTH_RETRIES attempts in all).
 */
async function publishDay(
  deps: DayBuilderDeps,
  conn: DuckDBConnection,
  clock: BuildClock,
  req: DayBuildRequest,
  dir: string,
  dailyInputs: readonly PartitionInput[],
): Promise<PublishResult> {
  const month = localMonthOfDate(req.date);
  const meterDailyFile = join(dir, 'meter_daily.parquet');
  for (let attempt = 1; ; attempt++) {
    const pinned = await deps.catalog.pin();
    try {
      const basis = monthBasis(pinned, month, req.date);
      const monthly = await buildMonthlyViews(
        deps,
        conn,
        pinned,
        month,
        req.date,
        meterDailyFile,
        dir,
        attempt,
      );
      if (attempt === 1) clock.enter('publish');
      const publish = await deps.publisher.publish(attempt === 1 ? [...dailyInputs, ...monthly] : monthly, {
        cause: req.cause,
      });
      if (!(await monthUnchanged(deps.catalog, month, req.date, basis))) {
        deps.log?.info(
          { date: req.date, attempt },
          'another day of the month changed meanwhile: rebuilding the monthly views',
        );
        if (attempt < MONTH_RETRIES) continue;
      }
      clock.lap();
      return publish;
    } finally {
      pinned.release();
    }
  }
}

/** Whether the month's other days in the current catalog are still those of `basis`. */
async function monthUnchanged(
  catalog: CatalogReader,
  month: string,
  date: string,
  basis: string,
): Promise<boolean> {
  const after = await catalog.pin();
  try {
    return monthBasis(after, month, date) === basis;
  } finally {
    after.release();
  }
}

function dayResult(date: string, publish: PublishResult, stats: DayBuildStats): DayBuildResult {
  return {
    date,
    committed: publish.committed,
    version: publish.version,
    watermark: publish.watermark,
    changes: publish.changes,
    stats,
  };
}

/** Meters of the day: topology versions active during it, plus unknown meters that sent reads. */
async function dayMeters(
  conn: DuckDBConnection,
  topology: readonly TopologyRow[],
  layout: DayLayout,
  rawPaths: readonly string[],
): Promise<DayMeter[]> {
  const byMeter = new Map<string, { row: TopologyRow; fromMs: number }>();
  for (const row of topology) {
    const fromMs = parseIsoInstant(row.valid_from);
    const toMs = row.valid_to === null ? Infinity : parseIsoInstant(row.valid_to);
    if (!(fromMs < layout.endMs && toMs > layout.firstSlotMs)) continue;
    // The version active at the start of the day, else the first one starting during it.
    const cur = byMeter.get(row.meter_id);
    const startsBefore = fromMs <= layout.firstSlotMs;
    if (
      cur === undefined ||
      (startsBefore && cur.fromMs > layout.firstSlotMs) ||
      (!startsBefore && fromMs < cur.fromMs && cur.fromMs > layout.firstSlotMs)
    )
      byMeter.set(row.meter_id, { row, fromMs });
  }
  const meters: DayMeter[] = [...byMeter.values()].map(({ row }) => ({
    meterId: row.meter_id,
    servicePointId: row.service_point_id,
    customerId: row.customer_id,
    transformerId: row.transformer_id,
    feederId: row.feeder_id,
    substationId: row.substation_id,
    region: row.region,
    segment: row.segment,
    tariff: row.tariff,
    prosumer: row.prosumer,
    known: true,
  }));
  const ids = (await conn.runAndReadAll('SELECT DISTINCT meter_id FROM latest')).getColumns()[0] ?? [];
  const unknownIds = ids.map(String).filter((id) => !byMeter.has(id));
  if (unknownIds.length > 0) {
    await conn.run('CREATE OR REPLACE TEMP TABLE unknown_meters (meter_id VARCHAR)');
    const a = await conn.createAppender('unknown_meters', 'main', 'temp');
    try {
      for (const id of unknownIds) {
        a.appendVarchar(id);
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
    const rows = (await conn.runAndReadAll(unknownMeterAttributionSql(rawPaths))).getRows();
    for (const r of rows)
      meters.push({
        meterId: String(r[0]),
        servicePointId: String(r[1]),
        customerId: String(r[2]),
        transformerId: String(r[3]),
        feederId: String(r[4]),
        substationId: null,
        region: null,
        segment: null,
        tariff: null,
        prosumer: false,
        known: false,
      });
  }
  return meters.sort((a, b) => (a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0));
}

async function appendMeterIds(conn: DuckDBConnection, meters: readonly DayMeter[]): Promise<void> {
  await conn.run('CREATE OR REPLACE TEMP TABLE day_meter_ids (m INTEGER, meter_id VARCHAR)');
  const a = await conn.createAppender('day_meter_ids', 'main', 'temp');
  try {
    meters.forEach((meter, m) => {
      a.appendInteger(m);
      a.appendVarchar(meter.meterId);
      a.endRow();
    });
    a.flushSync();
  } finally {
    a.closeSync();
  }
}

async function appendDayMeters(
  conn: DuckDBConnection,
  meters: readonly DayMeter[],
  f: MeterDayFigures,
): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE day_meters (m INTEGER, meter_id VARCHAR, service_point_id VARCHAR, customer_id VARCHAR, ` +
      `transformer_id VARCHAR, feeder_id VARCHAR, substation_id VARCHAR, region VARCHAR, segment VARCHAR, tariff VARCHAR, ` +
      `known BOOLEAN, wh BIGINT, slots INTEGER, actual INTEGER, estimated INTEGER, edited INTEGER, missing INTEGER, ` +
      `outage INTEGER, peak_wh BIGINT, off_peak_wh BIGINT, flat_wh BIGINT, max_interval_wh BIGINT, ` +
      `max_interval_start_ms DOUBLE, sum_check VARCHAR)`,
  );
  const a = await conn.createAppender('day_meters', 'main', 'temp');
  const text = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
  try {
    meters.forEach((d, m) => {
      if (f.done[m] !== 1) throw new Error(`meter ${d.meterId} was not validated`);
      a.appendInteger(m);
      a.appendVarchar(d.meterId);
      a.appendVarchar(d.servicePointId);
      a.appendVarchar(d.customerId);
      a.appendVarchar(d.transformerId);
      a.appendVarchar(d.feederId);
      text(d.substationId);
      text(d.region);
      text(d.segment);
      text(d.tariff);
      a.appendBoolean(d.known);
      a.appendBigInt(BigInt(f.wh[m]!));
      a.appendInteger(f.slots[m]!);
      const c = m * 5;
      a.appendInteger(f.counts[c]!);
      a.appendInteger(f.counts[c + 1]!);
      a.appendInteger(f.counts[c + 2]!);
      a.appendInteger(f.counts[c + 3]!);
      a.appendInteger(f.counts[c + 4]!);
      a.appendBigInt(BigInt(f.tou[m * 3]!));
      a.appendBigInt(BigInt(f.tou[m * 3 + 1]!));
      a.appendBigInt(BigInt(f.tou[m * 3 + 2]!));
      a.appendBigInt(BigInt(f.maxWh[m]!));
      const at = f.maxStartMs[m]!;
      if (Number.isNaN(at)) a.appendNull();
      else a.appendDouble(at);
      a.appendVarchar(f.sumCheckOf(m));
      a.endRow();
    });
    a.flushSync();
  } finally {
    a.closeSync();
  }
  // Instants as TIMESTAMPTZ for the view (staged as epoch ms).
  await conn.run('ALTER TABLE day_meters ADD COLUMN max_interval_start TIMESTAMPTZ');
  await conn.run(
    'UPDATE day_meters SET max_interval_start = make_timestamptz((max_interval_start_ms * 1000)::BIGINT) ' +
      'WHERE max_interval_start_ms IS NOT NULL',
  );
}

async function appendExceptions(conn: DuckDBConnection, x: ExceptionRows): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE exc (m INTEGER, slot INTEGER, wh BIGINT, q UTINYINT, method UTINYINT, ` +
      `reason UTINYINT, original_wh BIGINT, edit_id VARCHAR)`,
  );
  const a = await conn.createAppender('exc', 'main', 'temp');
  try {
    for (let i = 0; i < x.length; i++) {
      a.appendInteger(x.m[i]!);
      a.appendInteger(x.slot[i]!);
      a.appendBigInt(BigInt(x.wh[i]!));
      a.appendUTinyInt(x.quality[i]!);
      a.appendUTinyInt(x.method[i]!);
      a.appendUTinyInt(x.reason[i]!);
      if (x.hasOriginal[i] === 1) a.appendBigInt(BigInt(x.originalWh[i]!));
      else a.appendNull();
      const e = x.editIds[i];
      if (e === null || e === undefined) a.appendNull();
      else a.appendVarchar(e);
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
}

async function loadOutageEvents(
  conn: DuckDBConnection,
  paths: readonly string[],
  codes: EventCodeTable,
  beforeMs: number,
): Promise<Map<string, MeterEvent[]>> {
  const out = new Map<string, MeterEvent[]>();
  const relevant = [...codes.outageOpening, ...codes.outageClearing];
  if (paths.length === 0 || relevant.length === 0) return out;
  const rows = (
    await conn.runAndReadAll(
      `SELECT DISTINCT meter_id, event_code, epoch_ms(event_ts)::DOUBLE AS ts FROM read_parquet([${paths.map(sqlPath).join(', ')}]) ` +
        `WHERE event_code IN (${relevant.map((c) => Math.trunc(c)).join(', ')}) AND epoch_ms(event_ts) < ${beforeMs} ` +
        `ORDER BY meter_id, ts, event_code`,
    )
  ).getRows();
  for (const r of rows) {
    const id = String(r[0]);
    const e = { code: Number(r[1]), tsMs: Number(r[2]) };
    const list = out.get(id);
    if (list) list.push(e);
    else out.set(id, [e]);
  }
  return out;
}

function stormCounts(meters: readonly DayMeter[], offsets: Int32Array): StormGroupCount[] {
  const groups = new Map<
    string,
    { level: 'feeder' | 'region'; id: string; meters: number; missingMeters: number }
  >();
  meters.forEach((d, m) => {
    if (!d.known || d.region === null) return;
    const missed = meterMissedDay(offsets[m + 1]! - offsets[m]!) ? 1 : 0;
    for (const [level, id] of [
      ['feeder', d.feederId],
      ['region', d.region],
    ] as const) {
      const key = `${level}:${id}`;
      const g = groups.get(key) ?? { level, id, meters: 0, missingMeters: 0 };
      g.meters++;
      g.missingMeters += missed;
      groups.set(key, g);
    }
  });
  return [...groups.values()];
}

/** Earlier validated days (published intervals_validated) of the given meters. */
async function loadHistory(
  deps: DayBuilderDeps,
  conn: DuckDBConnection,
  date: string,
  meterIds: readonly string[],
): Promise<Map<string, HistoryDay[]>> {
  const days = Math.max(deps.veeParams.historyDays, deps.veeParams.likeDayLookbackDays);
  const pinned = await deps.catalog.pin();
  const out = new Map<string, HistoryDay[]>();
  try {
    const files = await pinned.localFiles('intervals_validated', {
      from: datePartition(addLocalDays(date, -days)),
      to: datePartition(addLocalDays(date, -1)),
    });
    if (files.paths.length === 0) return out;
    await conn.run('CREATE OR REPLACE TEMP TABLE history_meters (meter_id VARCHAR)');
    const a = await conn.createAppender('history_meters', 'main', 'temp');
    try {
      for (const id of meterIds) {
        a.appendVarchar(id);
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
    const result = await conn.stream(
      `SELECT h.meter_id, h.date::VARCHAR, epoch_ms(h.interval_start)::DOUBLE, h.wh::INTEGER, h.quality ` +
        `FROM read_parquet([${files.paths.map(sqlPath).join(', ')}], hive_partitioning = true) h ` +
        `SEMI JOIN history_meters USING (meter_id) ORDER BY h.meter_id, h.date, h.interval_start`,
    );
    let current: { meterId: string; day: HistoryDay; layout: DayLayout } | undefined;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const cols = [0, 1, 2, 3, 4].map((i) => chunk.getColumnVector(i));
      for (let i = 0; i < chunk.rowCount; i++) {
        const meterId = String(cols[0]!.getItem(i));
        const d = String(cols[1]!.getItem(i));
        if (current === undefined || current.meterId !== meterId || current.day.date !== d) {
          const layout = dayLayout(d, deps.timeZone);
          current = {
            meterId,
            layout,
            day: { date: d, wh: new Int32Array(layout.slots), quality: new Uint8Array(layout.slots).fill(3) },
          };
          const list = out.get(meterId);
          if (list) list.push(current.day);
          else out.set(meterId, [current.day]);
        }
        const slot = (Number(cols[2]!.getItem(i)) - current.layout.firstSlotMs) / INTERVAL_MS;
        if (slot < 0 || slot >= current.layout.slots) continue;
        current.day.wh[slot] = Number(cols[3]!.getItem(i));
        current.day.quality[slot] = QUALITY_CLASSES.indexOf(String(cols[4]!.getItem(i)) as 'A');
      }
    }
    return out;
  } finally {
    pinned.release();
  }
}

/** The versions of the month's other days' meter_daily partitions in a catalog (a consistency token). */
function monthBasis(pinned: PinnedCatalog, month: string, date: string): string {
  const dates = localDatesOfMonth(month).filter((d) => d !== date);
  const parts = pinned.files('meter_daily', dates.map(datePartition));
  return parts.partitions.map((p) => `${p.id}@${p.entry.version}`).join(',');
}

async function buildMonthlyViews(
  deps: DayBuilderDeps,
  conn: DuckDBConnection,
  pinned: PinnedCatalog,
  month: string,
  date: string,
  meterDailyFile: string,
  dir: string,
  attempt: number,
): Promise<PartitionInput[]> {
  const dates = localDatesOfMonth(month);
  const others = await pinned.localFiles('meter_daily', dates.filter((d) => d !== date).map(datePartition));
  const sources = [`SELECT *, DATE '${date}' AS date FROM read_parquet(${sqlPath(meterDailyFile)})`];
  if (others.paths.length > 0)
    sources.push(
      `SELECT * FROM read_parquet([${others.paths.map(sqlPath).join(', ')}], hive_partitioning = true, union_by_name = true)`,
    );
  await conn.run(`CREATE OR REPLACE TEMP TABLE month_daily AS ${sources.join(' UNION ALL BY NAME ')}`);
  const partition = monthPartition(month);
  const monthly = await copyToFile(conn, METER_MONTHLY_SQL, join(dir, `meter_monthly-${attempt}.parquet`));
  await conn.run(CREATE_BILLING_PRE_SQL);
  const pre = (
    await conn.runAndReadAll('SELECT service_point_id, intervals, estimated, missing FROM billing_pre')
  ).getRows();
  await conn.run(
    'CREATE OR REPLACE TEMP TABLE billing_gate (service_point_id VARCHAR, hold BOOLEAN, hold_reason VARCHAR)',
  );
  const a = await conn.createAppender('billing_gate', 'main', 'temp');
  try {
    for (const r of pre) {
      const gate = billingQualityGate(
        { intervals: Number(r[1]), estimated: Number(r[2]), missing: Number(r[3]) },
        deps.veeParams.billingHoldShare,
      );
      a.appendVarchar(String(r[0]));
      a.appendBoolean(gate.status === 'hold');
      if (gate.status === 'hold') a.appendVarchar(`${gate.reason}: ${gate.detail}`);
      else a.appendNull();
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
  const billing = await copyToFile(
    conn,
    billingDeterminantsSql(dates.length),
    join(dir, `billing_determinants-${attempt}.parquet`),
  );
  return [
    { view: 'meter_monthly', partition, files: [monthly] },
    { view: 'billing_determinants', partition, files: [billing] },
  ];
}

async function copyToFile(conn: DuckDBConnection, sql: string, path: string): Promise<LocalViewFile> {
  const r = await conn.run(`COPY (${sql}) TO ${sqlPath(path)} ${PARQUET_OPTIONS}`);
  return { path, rows: Number(r.rowsChanged) };
}
