/**
 * `pnpm ami bench batch [--quick]` — SPEC 9 batch figures on the local MinIO and DuckDB:
 *
 *  1. archive: two local days of a simulated fleet (full: 100,000 meters = 9.6 M interval reads;
 *     --quick: 5,000) validated as the archiver does and written with the archiver's Parquet writer
 *     to `raw/reads/date=D/` in files of ≈ 1 M reads → `archive_bytes_per_read`. The archive is
 *     deterministic (seeded simulator), so a prepared archive is reused by later runs (marker
 *     object), which keeps the bench short; `archive_reused` says which happened.
 *  2. rebuild: the real day builder (dedupe + VEE + all seven views + publish to MinIO under a fresh
 *     catalog prefix) → `intervals_per_s` (raw interval reads / wall time), `day_rebuild_s`, and
 *     the time of each phase; then the next day, whose VEE reads the first day as history (the
 *     steady state of a nightly build) → `next_day_intervals_per_s`, `next_day_rebuild_s`.
 *  3. bound, same run and same cached files: the bare DuckDB aggregation (sum of consumption per
 *     meter over every raw file) → `duckdb_bound_intervals_per_s`, and the ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { writeBenchResult } from '@ami/shared/bench';
import { CatalogReader } from '@ami/shared/catalog';
import { S3ObjectCache, createS3, openDuckDB, sqlPath } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { loadValidationConfig, validateRead } from '@ami/shared/contracts';
import { DEFAULT_TOU_CALENDAR, defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { NO_FAULTS, Simulation, topologyRow, type MessageSink } from '@ami/simulator';
import { localDate } from '@ami/shared/time';
import { archiveObjectKey } from '../src/archiver/naming.ts';
import { ArchiveParquetWriter } from '../src/archiver/parquet-writer.ts';
import { archivedRead, type ArchivedRead } from '../src/archiver/rows.ts';
import { CatalogPublisher } from '../src/catalog/publisher.ts';
import { createDayBuilder } from '../src/rebuild/day-builder.ts';
import { fetchRawObjects } from '../src/rebuild/master-dataset.ts';
import { DEFAULT_VEE_PARAMS } from '../src/vee/params.ts';

const quick = process.argv.includes('--quick');
const METERS = quick ? 5_000 : 100_000;
const DATE = '2026-02-10';
/** The day after: rebuilt second, with DATE published, so VEE loads history (steady state). */
const NEXT_DATE = '2026-02-11';
const SEED = 2026;
const FILE_ROWS = 1_000_000;
const config = loadConfig();
const TZ = config.connection.timeZone;
const s3 = createS3(config);
const bucket = config.connection.s3Bucket;
const archivePrefix = `bench/batch/m${METERS}-s${SEED}-${DATE}-2d/`;
const marker = `${archivePrefix}PREPARED.json`;
const work = mkdtempSync(join(tmpdir(), 'ami-bench-batch-'));
const log = (msg: string) => process.stderr.write(`[bench batch] ${msg}\n`);

async function prepared(): Promise<{ reads: number; bytes: number } | null> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: marker }));
    return JSON.parse(await r.Body!.transformToString()) as { reads: number; bytes: number };
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  let archive = await prepared();
  const sinkHolder: { sink?: MessageSink } = {};
  const simSink: MessageSink = {
    read: (k, v) => sinkHolder.sink!.read(k, v),
    event: (k, v) => sinkHolder.sink!.event(k, v),
    flush: () => sinkHolder.sink!.flush(),
    close: () => sinkHolder.sink!.close(),
  };
  const sim = new Simulation(
    { seed: SEED, meters: METERS, days: 2, startDate: DATE, timeZone: TZ, faults: NO_FAULTS },
    simSink,
  );
  const topology = sim.fleet.meters.map((m) => topologyRow(m, sim.fleet.validFrom));
  let archiveS: number | null = null;
  const reused = archive !== null;
  if (archive === null) {
    log(`archiving ${METERS} meters × 1 day to s3://${bucket}/${archivePrefix}`);
    const t0 = performance.now();
    archive = await archiveDayInto(sim, sinkHolder);
    archiveS = (performance.now() - t0) / 1000;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: marker, Body: JSON.stringify(archive) }));
  } else log(`reusing the prepared archive s3://${bucket}/${archivePrefix}`);

  // --- rebuild through the real day builder, fresh catalog prefix
  const catalogPrefix = `bench/batch-catalog/${Date.now().toString(36)}/`;
  const cache = new S3ObjectCache({ s3, bucket, dir: join(work, 'cache'), maxBytes: 16 * 1024 ** 3 });
  const reader = new CatalogReader({ s3, bucket, prefix: catalogPrefix, cache, refreshMs: 0 });
  const publisher = new CatalogPublisher({
    s3,
    bucket,
    prefix: catalogPrefix,
    timeZone: TZ,
    retentionMs: 3_600_000,
  });
  const db = await openDuckDB({ threads: 2, tempDirectory: join(work, 'spill') });
  const builder = createDayBuilder({
    s3,
    bucket,
    archivePrefix,
    cache,
    catalog: reader,
    publisher,
    db,
    timeZone: TZ,
    topology,
    eventCodes: defaultEventCodeTable,
    touCalendar: DEFAULT_TOU_CALENDAR,
    veeParams: DEFAULT_VEE_PARAMS,
    workDir: join(work, 'build'),
    log: createLogger('bench-batch', { level: 'info' }),
  });
  log('rebuilding the day');
  const t0 = performance.now();
  const result = await builder.buildDay({ date: DATE, cause: 'backfill' });
  const rebuildS = (performance.now() - t0) / 1000;
  log('rebuilding the next day (history of the first one published)');
  const t2 = performance.now();
  const next = await builder.buildDay({ date: NEXT_DATE, cause: 'backfill' });
  const nextS = (performance.now() - t2) / 1000;

  // --- bound: bare DuckDB aggregation of the same raw files (already in the local cache)
  const raw = await fetchRawObjects({ s3, bucket, prefix: archivePrefix, cache }, 'reads', [DATE]);
  const t1 = performance.now();
  const agg = await (
    await db.connect()
  ).runAndReadAll(
    `SELECT count(*)::DOUBLE, count(DISTINCT meter_id)::DOUBLE, sum(consumption_wh)::DOUBLE FROM (SELECT meter_id, sum(consumption_wh) AS consumption_wh, count(*) AS n FROM read_parquet([${raw.paths.map(sqlPath).join(', ')}]) WHERE read_type = 'INTERVAL' GROUP BY meter_id)`,
  );
  const boundS = (performance.now() - t1) / 1000;
  const [groups] = agg.getRows()[0] as [number];
  db.closeSync();
  const rawIntervals = result.stats.rawIntervals;
  const p = result.stats.phaseMs;
  writeBenchResult('batch', {
    intervals_per_s: Math.round(rawIntervals / rebuildS),
    duckdb_bound_intervals_per_s: Math.round(rawIntervals / boundS),
    ratio_to_bound: Number((boundS / rebuildS).toFixed(3)),
    archive_bytes_per_read: Number((archive.bytes / archive.reads).toFixed(2)),
    day_rebuild_s: Number(rebuildS.toFixed(2)),
    next_day_intervals_per_s: Math.round(next.stats.rawIntervals / nextS),
    next_day_rebuild_s: Number(nextS.toFixed(2)),
    meters: METERS,
    raw_intervals: rawIntervals,
    validated_rows: result.stats.validatedRows,
    bound_groups: groups,
    phase_load_s: Number((p.load / 1000).toFixed(2)),
    phase_dedupe_s: Number((p.dedupe / 1000).toFixed(2)),
    phase_vee_s: Number((p.vee / 1000).toFixed(2)),
    phase_views_s: Number((p.views / 1000).toFixed(2)),
    phase_publish_s: Number((p.publish / 1000).toFixed(2)),
    archive_reads: archive.reads,
    archive_bytes: archive.bytes,
    archive_reused: reused,
    archive_s: archiveS === null ? 'reused' : Number(archiveS.toFixed(1)),
    quick,
  });
  rmSync(work, { recursive: true, force: true });
}

/** Simulates the fleet's day into an archiving sink; returns reads and bytes written. */
async function archiveDayInto(
  sim: Simulation,
  holder: { sink?: MessageSink },
): Promise<{ reads: number; bytes: number }> {
  const db = await openDuckDB({ threads: 2 });
  const writer = new ArchiveParquetWriter(db, { zstdLevel: 9 });
  const validation = loadValidationConfig({});
  const nowMs = Date.now();
  let batch: ArchivedRead[] = [];
  let file = 0;
  let offset = 0;
  const totals = { reads: 0, bytes: 0 };
  const write = async (rows: ArchivedRead[]) => {
    const byDate = new Map<string, ArchivedRead[]>();
    for (const r of rows) {
      const d = localDate(r.interval_start_ms, TZ);
      let list = byDate.get(d);
      if (list === undefined) byDate.set(d, (list = []));
      list.push(r);
    }
    for (const [date, list] of byDate) {
      const body = await writer.writeReads(list);
      const first = offset;
      offset += list.length;
      const key = archiveObjectKey(archivePrefix, {
        dataset: 'raw',
        kind: 'reads',
        date,
        groupId: 'bench',
        partition: file++,
        firstOffset: String(first),
        lastOffset: String(offset - 1),
      });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      totals.bytes += body.length;
      totals.reads += list.length;
      log(`archived ${totals.reads} reads (${(totals.bytes / totals.reads).toFixed(2)} B/read)`);
    }
  };
  holder.sink = {
    read: (_key, value) => {
      const v = validateRead(value, { ...validation, nowMs, timeZone: TZ });
      if (v.ok) batch.push(archivedRead(v.read));
    },
    event: () => undefined,
    flush: async () => {
      if (batch.length >= FILE_ROWS) {
        const rows = batch;
        batch = [];
        await write(rows);
      }
    },
    close: async () => {
      if (batch.length > 0) await write(batch);
      batch = [];
    },
  };
  await sim.run();
  await holder.sink.close();
  await writer.close();
  db.closeSync();
  return totals;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench batch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
