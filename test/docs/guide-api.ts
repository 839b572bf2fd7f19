/**
 * A real API for the user-guide examples, listening on 127.0.0.1, over real data:
 *  - batch views of every day of February 2026 built by the real pipeline (simulator → Kafka →
 *    archiver → MinIO → day rebuild → catalog), so 2026-02 is a final billing period and the
 *    watermark is 2026-03-01T00:00+01:00;
 *  - the realtime view (applied through the speed layer's path) holding 2026-02-28 and 2026-03-01,
 *    so series after the watermark are provisional and 2026-02-28 can be reconciled;
 *  - alerts opened (and one cleared) through the speed layer's AlertStore;
 *  - a reconciliation report of 2026-02-28 made by the batch layer's reconcileDay;
 *  - a batch queue (BullMQ, no worker: jobs stay queued) holding one backfill, and an edit store.
 * Every name (topics, S3 prefix, Redis keys, queue) is unique to the run; close() removes the S3
 * prefix, the Redis keys and the queue (the Kafka topics stay, as in the other pipeline tests).
 * `vars` are the environment variables the examples use (ids and dates of this data).
 */
import { loadBatchJobSettings } from '@ami/batch-layer';
import { BatchJobs, DirtyDays, EditStore, clearDirtyDays, reconcileDay } from '@ami/batch-layer/commands';
import { featureRoutes } from '@ami/serving-layer';
import { createPseudonymiser, topologyOfRows } from '@ami/serving-layer';
import type { Role } from '@ami/serving-layer';
import { createKafka, createRedis, createS3 } from '@ami/shared/clients';
import { alertDedupKey, type TopologyRow } from '@ami/shared/contracts';
import { localDate, localDayBounds, parseIsoInstant } from '@ami/shared/time';
import {
  AlertStore,
  alertStoreKeys,
  applyToRealtimeView,
  openAlert,
  type SeedRead,
} from '@ami/speed-layer/testing';
import {
  TZ,
  archiveThroughKafka,
  batchScenario,
  createTopics,
  simulateFleet,
  testBuilder,
} from '@ami/batch-layer/testing';
import { buildTestApi, realDeps } from '@ami/serving-layer/testing';
import { deletePrefix } from '../support/s3.ts';
import { uniqueName } from '../support/config.ts';

/** The final billing period: every day of it is built. */
export const PERIOD = '2026-02';
export const BUILT_DAYS = Array.from({ length: 28 }, (_, i) => `2026-02-${String(i + 1).padStart(2, '0')}`);
/** Days in the realtime view (the last built day, to reconcile, and the first unbuilt one). */
const REALTIME_DAYS = new Set(['2026-02-28', '2026-03-01']);
const Q = 900_000;

export interface GuideApi {
  readonly url: string;
  readonly keys: Readonly<Record<Role, string>>;
  /** Environment variables the examples use. */
  readonly vars: Readonly<Record<string, string>>;
  /** What the data holds (for the report). */
  readonly topology: readonly TopologyRow[];
  close(): Promise<void>;
}

const clean = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').slice(0, 40);

export async function startGuideApi(): Promise<GuideApi> {
  const s = batchScenario('docs');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  const queueRedis = createRedis(s.config, { forBullMQ: true });
  const bucket = s.config.connection.s3Bucket;
  const root = `it/${s.id}/`;
  const rvPrefix = clean(uniqueName('rvdocs'));
  const alertPrefix = clean(uniqueName('aldocs'));
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const f of cleanups.reverse()) await f();
  };
  cleanups.push(() => {
    redis.disconnect();
    queueRedis.disconnect();
    s3.destroy();
  });
  cleanups.push(() => deletePrefix(s3, bucket, root));
  // the archiver's dirty-day marks (AMI_ARCHIVER_DIRTY_KEY_PREFIX = the scenario id)
  cleanups.push(async () => {
    await clearDirtyDays(redis, s.id);
  });

  try {
    // 1. the batch views: February 2026 through the real pipeline
    const fleet = await simulateFleet({ meters: 8, days: 29, startDate: '2026-02-01', seed: 11 });
    await createTopics(createKafka(s.config), s.config);
    const built = new Set(BUILT_DAYS);
    const inBuiltDays = (m: { value: string }) => {
      const r = JSON.parse(m.value) as { interval_start: string; read_type: string };
      const at = parseIsoInstant(r.interval_start);
      // the end register of the last built day sits at the first instant of the next day
      return built.has(localDate(at, TZ)) || (r.read_type === 'DAILY' && built.has(localDate(at - 1, TZ)));
    };
    await archiveThroughKafka(s, { s3, redis }, { reads: fleet.reads.filter(inBuiltDays), events: [] });
    const tb = await testBuilder(s, s3, fleet.topology);
    cleanups.push(() => tb.close());
    for (const date of BUILT_DAYS) {
      const r = await tb.builder.buildDay({ date, cause: 'backfill' });
      if (!r.committed) throw new Error(`build of ${date} did not commit`);
    }

    // 2. the realtime view, through the speed layer's apply path
    const deps = await realDeps(s.config, root);
    cleanups.push(() => deps.close());
    const topo = new Map(fleet.topology.map((t) => [t.meter_id, t]));
    const seed: SeedRead[] = [];
    for (const m of fleet.reads) {
      const raw = JSON.parse(m.value) as { read_type: string; interval_start: string; meter_id: string };
      if (raw.read_type !== 'INTERVAL') continue;
      if (!REALTIME_DAYS.has(localDate(parseIsoInstant(raw.interval_start), TZ))) continue;
      const t = topo.get(raw.meter_id)!;
      seed.push({
        message: m.value,
        attribution: {
          transformerId: t.transformer_id,
          feederId: t.feeder_id,
          substationId: t.substation_id,
          region: t.region,
        },
      });
    }
    const partitions = deps.deps.partitions;
    await applyToRealtimeView(
      redis,
      { keyPrefix: rvPrefix, partitions, timeZone: TZ, nowMs: Date.now() },
      seed,
    );
    cleanups.push(async () => {
      for (let p = 0; p < partitions; p++) {
        const keys = await redis.keys(`{${rvPrefix}:${p}}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
    });

    // 3. alerts, through the speed layer's store
    const first = fleet.topology[0]!;
    const store = new AlertStore(redis, {
      keyPrefix: alertPrefix,
      historyMaxLen: 1000,
      replayHorizonMs: 86_400_000,
      topics: { alertsGrid: s.config.topics.alertsGrid, alertsEvents: s.config.topics.alertsEvents },
    });
    cleanups.push(async () => {
      const keys = await alertStoreKeys(redis, alertPrefix);
      if (keys.length > 0) await redis.del(...keys);
    });
    const day = localDayBounds('2026-03-01', TZ).startMs;
    const voltage = openAlert({
      type: 'LOW_VOLTAGE',
      source: 'VOLTAGE',
      severity: 'WARNING',
      entityType: 'transformer',
      entityId: first.transformer_id,
      openedAtMs: day + 40 * Q,
      value: 203.4,
      detail: 'minimum voltage 203.4 V below 207 V',
      windowStartMs: day + 40 * Q,
      windowEndMs: day + 41 * Q,
    });
    const tamper = openAlert({
      type: 'TAMPER_COVER_OPEN',
      source: 'EVENT',
      severity: 'WARNING',
      entityType: 'meter',
      entityId: first.meter_id,
      openedAtMs: day + 10 * Q,
      value: null,
      detail: 'event 2048 TAMPER_COVER_OPEN',
      eventCode: 2048,
    });
    await store.open(tamper);
    await store.open(voltage);
    if ((await store.clear(alertDedupKey(tamper), day + 20 * Q, 'cover closed')) === undefined)
      throw new Error('could not clear the seeded tamper alert');

    // 4. a reconciliation report of the last built day (the batch layer's reconcileDay)
    await reconcileDay(
      {
        s3,
        bucket,
        prefix: root,
        timeZone: TZ,
        catalog: deps.deps.catalog,
        db: tb.db,
        realtime: { redis, keyPrefix: rvPrefix, partitions },
      },
      '2026-02-28',
    );

    // 5. batch queue (no worker) and edit store
    const queue = clean(uniqueName('docsq'));
    const jobs = new BatchJobs({
      connection: queueRedis,
      settings: loadBatchJobSettings({ AMI_BATCH_QUEUE: queue, AMI_BATCH_KEY_PREFIX: 'bulldocs' }),
      timeZone: TZ,
    });
    cleanups.push(async () => {
      await jobs.queue.obliterate({ force: true });
      await jobs.close();
    });
    const jobId = await jobs.enqueueBackfill('2026-02-01', '2026-02-07', 'docs');
    const dirtyPrefix = clean(uniqueName('dirtydocs'));
    cleanups.push(async () => {
      await clearDirtyDays(redis, dirtyPrefix);
    });
    const edits = new EditStore({
      s3,
      bucket,
      prefix: root,
      timeZone: TZ,
      dirtyDays: new DirtyDays(redis, dirtyPrefix),
    });

    // 6. the API, wired as main.ts wires it
    const pseudonymSecret = 'docs-pseudonym-secret-0123456789';
    const api = await buildTestApi({
      deps: {
        ...deps.deps,
        realtimePrefix: rvPrefix,
        s3,
        bucket,
        reconciliationPrefix: root,
        jobs,
        edits,
        alertKeyPrefix: alertPrefix,
        pseudonymise: createPseudonymiser(pseudonymSecret),
        topology: topologyOfRows(fleet.topology),
      },
      routes: featureRoutes,
      settings: { pseudonymSecret },
    });
    cleanups.push(() => api.app.close());
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = api.app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('the API has no port');

    const spDaily = fleet.topology[1]!;
    return {
      url: `http://127.0.0.1:${addr.port}`,
      keys: api.keys,
      topology: fleet.topology,
      vars: {
        METER_ID: first.meter_id,
        SERVICE_POINT_ID: spDaily.service_point_id,
        TRANSFORMER_ID: first.transformer_id,
        FEEDER_ID: first.feeder_id,
        REGION: first.region,
        // the last built day and the provisional day after it
        FROM: '2026-02-28T00:00:00Z',
        TO: '2026-03-02T00:00:00Z',
        DAY: '2026-02-28',
        FIRST_DAY: '2026-02-22',
        PERIOD,
        OPEN_PERIOD: '2026-03',
        JOB_ID: jobId,
        INTERVAL_START: '2026-02-27T09:15:00Z',
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
