/**
 * Property tests of the API generated from its own OpenAPI document (GET /openapi.json), against
 * the app wired as main.ts wires it to the real Redis, MinIO and DuckDB, over real data: two days
 * built by the real day builder from archived reads, a realtime view applied by the speed layer's
 * script, alerts (one with a hostile detail), a reconciliation report, a batch queue (no worker) and
 * an edit store. For every operation, path/query parameters and bodies that are valid, boundary or
 * hostile (support/openapi.ts), with each role's key, no key, an unknown key or garbage:
 *
 *  - never a 5xx;
 *  - every status is one the operation documents (or 404 from the router for a path that matches no
 *    route);
 *  - a caller without a valid key, or with a role the operation does not admit, never gets a 2xx;
 *  - every non-2xx body is JSON matching the API's error schema (components/schemas/ApiError);
 *  - every 2xx has a documented content type, and a JSON one matches the operation's response schema.
 *
 * Billing answers 409 (the month is not final: two days are built) — its 2xx paths are not reached.
 * The SSE stream is requested over real HTTP (the response is read up to its headers). Seeded:
 * FUZZ_SEED (default support/seed.ts); fast-check prints the seed and the failing request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveParquetWriter,
  archiveObjectKey,
  archivedRead,
  groupByLocalDate,
  loadBatchJobSettings,
} from '@ami/batch-layer';
import { BatchJobs, DirtyDays, EditStore, clearDirtyDays, reconcileDay } from '@ami/batch-layer/commands';
import { featureRoutes } from '@ami/serving-layer';
import { createPseudonymiser, topologyOfRows } from '@ami/serving-layer';
import { createRedis, createS3, openDuckDB } from '@ami/shared/clients';
import { validateRead, type TopologyRow, type ValidRead } from '@ami/shared/contracts';
import { localDate, localDayBounds } from '@ami/shared/time';
import {
  AlertStore,
  alertStoreKeys,
  applyToRealtimeView,
  openAlert,
  type SeedRead,
} from '@ami/speed-layer/testing';
import { TZ, batchScenario, simulateFleet, testBuilder, type TestBuilder } from '@ami/batch-layer/testing';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from '@ami/serving-layer/testing';
import { deletePrefix } from '../support/s3.ts';
import { uniqueName } from '../support/config.ts';
import {
  DocSchemas,
  HOSTILE_STRINGS,
  NON_ROLE_CALLERS,
  operationsOf,
  requestArb,
  type FuzzRequest,
  type KnownValues,
  type OpenApiDoc,
  type Operation,
} from './support/openapi.ts';
import { fuzzRuns, fuzzSeed, replayHint } from './support/seed.ts';

const SEED = fuzzSeed();
const HINT = replayHint(SEED);
/** Requests per operation (× FUZZ_RUNS_SCALE). */
const RUNS = fuzzRuns(120);
const BUILT_DAYS = ['2026-02-01', '2026-02-02'];
const REALTIME_DAYS = new Set(['2026-02-02', '2026-02-03']);
const clean = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').slice(0, 40);

interface Outcome {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

describe(`API under generated requests from its OpenAPI document (${HINT})`, () => {
  const s = batchScenario('fuzzapi');
  const root = `it/${s.id}/`;
  const rvPrefix = clean(uniqueName('rvfuzz'));
  const alertPrefix = clean(uniqueName('alfuzz'));
  const dirtyPrefix = clean(uniqueName('dirtyfuzz'));
  const queue = clean(uniqueName('fuzzq'));
  const work = mkdtempSync(join(tmpdir(), 'ami-fuzz-api-'));
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  const queueRedis = createRedis(s.config, { forBullMQ: true });
  const bucket = s.config.connection.s3Bucket;
  let deps: TestDeps;
  let tb: TestBuilder;
  let jobs: BatchJobs;
  let api: TestApi;
  let baseUrl: string;
  let doc: OpenApiDoc;
  let schemas: DocSchemas;
  let known: KnownValues;
  /** Local dates, not instants, for the edit log and backfills. */
  const knownFor = (o: Operation): KnownValues =>
    o.path === '/v1/edits' || o.path === '/v1/jobs/backfill'
      ? { ...known, from: ['2026-02-01', '2026-02-02'], to: ['2026-02-02', '2026-02-03'] }
      : known;
  let topology: TopologyRow[];
  const seen = new Map<string, Map<number, number>>(); // operation → status → count

  beforeAll(async () => {
    // 1. batch views of two days, built by the real day builder from archived reads
    const fleet = await simulateFleet({ meters: 6, days: 3, startDate: '2026-02-01', seed: 5 });
    topology = fleet.topology;
    const nowMs = Date.now();
    const validMessages = fleet.reads.flatMap((m) => {
      const v = validateRead(m.value, { nowMs, timeZone: TZ });
      return v.ok ? [{ message: m.value, read: v.read }] : [];
    });
    const valid = validMessages.map((x) => x.read);
    const built = new Set(BUILT_DAYS);
    // the end register of the last built day sits at the first instant of the next day
    const archived = valid.filter(
      (r: ValidRead) =>
        built.has(localDate(r.intervalStartMs, TZ)) ||
        (r.read_type === 'DAILY' && built.has(localDate(r.intervalStartMs - 1, TZ))),
    );
    const db = await openDuckDB({ threads: 1 });
    const writer = new ArchiveParquetWriter(db, { zstdLevel: 1 });
    for (const [date, rows] of groupByLocalDate(archived.map(archivedRead), (r) => r.interval_start_ms, TZ)) {
      const Key = archiveObjectKey(root, {
        dataset: 'raw',
        kind: 'reads',
        date,
        groupId: 'fuzz',
        partition: 0,
        firstOffset: '0',
        lastOffset: String(rows.length),
      });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: await writer.writeReads(rows) }));
    }
    await writer.close();
    db.closeSync();
    tb = await testBuilder(s, s3, topology);
    for (const date of BUILT_DAYS) {
      const r = await tb.builder.buildDay({ date, cause: 'backfill' });
      if (!r.committed) throw new Error(`build of ${date} did not commit`);
    }

    // 2. the realtime view of the last built day and the day after, through the speed layer's script
    deps = await realDeps(s.config, root);
    const topo = new Map(topology.map((t) => [t.meter_id, t]));
    const seed: SeedRead[] = validMessages
      .filter(
        ({ read: r }) => r.read_type === 'INTERVAL' && REALTIME_DAYS.has(localDate(r.intervalStartMs, TZ)),
      )
      .map(({ message, read: r }) => {
        const t = topo.get(r.meter_id)!;
        return {
          message,
          attribution: {
            transformerId: t.transformer_id,
            feederId: t.feeder_id,
            substationId: t.substation_id,
            region: t.region,
          },
        };
      });
    await applyToRealtimeView(redis, { keyPrefix: rvPrefix, partitions: 3, timeZone: TZ, nowMs }, seed);

    // 3. alerts, one of them carrying hostile text
    const store = new AlertStore(redis, {
      keyPrefix: alertPrefix,
      historyMaxLen: 1000,
      replayHorizonMs: 86_400_000,
      topics: { alertsGrid: s.config.topics.alertsGrid, alertsEvents: s.config.topics.alertsEvents },
    });
    const day = localDayBounds('2026-02-03', TZ).startMs;
    await store.open(
      openAlert({
        type: 'TAMPER_COVER_OPEN',
        source: 'EVENT',
        severity: 'WARNING',
        entityType: 'meter',
        entityId: topology[0]!.meter_id,
        openedAtMs: day + 3_600_000,
        value: null,
        detail: `event 2048 TAMPER_COVER_OPEN: ${HOSTILE_STRINGS.slice(0, 20).join(' ')} \u0000 😀 \ud800`,
        eventCode: 2048,
      }),
    );
    await store.open(
      openAlert({
        type: 'LOW_VOLTAGE',
        source: 'VOLTAGE',
        severity: 'WARNING',
        entityType: 'transformer',
        entityId: topology[0]!.transformer_id,
        openedAtMs: day + 7_200_000,
        value: 203.4,
        detail: 'minimum voltage 203.4 V below 207 V',
        windowStartMs: day + 7_200_000,
        windowEndMs: day + 8_100_000,
      }),
    );

    // 4. a reconciliation report, a batch queue without a worker, an edit store
    await reconcileDay(
      {
        s3,
        bucket,
        prefix: root,
        timeZone: TZ,
        catalog: deps.deps.catalog,
        db: tb.db,
        realtime: { redis, keyPrefix: rvPrefix, partitions: 3 },
      },
      '2026-02-02',
    );
    jobs = new BatchJobs({
      connection: queueRedis,
      settings: loadBatchJobSettings({
        AMI_BATCH_QUEUE: queue,
        AMI_BATCH_KEY_PREFIX: 'bullfuzz',
        AMI_BATCH_BACKFILL_MAX_DAYS: '7',
      }),
      timeZone: TZ,
    });
    const jobId = await jobs.enqueueBackfill('2026-02-01', '2026-02-03', 'fuzz');
    const edits = new EditStore({
      s3,
      bucket,
      prefix: root,
      timeZone: TZ,
      dirtyDays: new DirtyDays(redis, dirtyPrefix),
    });

    // 5. the API, wired as main.ts wires it
    const pseudonymSecret = 'fuzz-pseudonym-secret-0123456789';
    api = await buildTestApi({
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
        topology: topologyOfRows(topology),
      },
      routes: featureRoutes,
      settings: { pseudonymSecret },
    });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = api.app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('the API has no port');
    baseUrl = `http://127.0.0.1:${addr.port}`;
    doc = (await api.app.inject({ url: '/openapi.json' })).json<OpenApiDoc>();
    schemas = new DocSchemas(doc);

    const uniq = <T>(xs: T[]) => [...new Set(xs)];
    // every `from` is before every `to`, within a month of it but one (a year: too long for 15m / 1h)
    const fromInstants = [
      '2026-01-31T23:00:00Z',
      '2026-02-01T00:00:00+01:00',
      '2026-02-02T00:00:00+01:00',
      '2026-02-02T10:15:00.000Z',
      '2025-02-01T00:00:00Z',
    ];
    const toInstants = [
      '2026-02-03T00:00:00+01:00',
      '2026-02-04T00:00:00+01:00',
      '2026-03-01T00:00:00+01:00',
    ];
    known = {
      meterId: [...topology.map((t) => t.meter_id), 'MTR-999999'],
      meter_id: topology.map((t) => t.meter_id),
      id: [
        ...uniq(topology.flatMap((t) => [t.transformer_id, t.feeder_id, t.substation_id, t.region])),
        jobId,
        'no-such-job',
      ],
      feeder: uniq(topology.map((t) => t.feeder_id)),
      region: uniq(topology.map((t) => t.region)),
      servicePointId: topology.map((t) => t.service_point_id),
      from: fromInstants,
      to: toInstants,
      since: [...fromInstants, ...toInstants],
      interval_start: ['2026-02-01T10:00:00Z', '2026-02-02T23:45:00Z', '2026-02-03T00:00:00+01:00'],
      date: [...BUILT_DAYS, '2026-02-03', '2026-01-01'],
      period: ['2026-02', '2026-01', '2026-03'],
      wh: [0, 1234, -50, 2_147_483_647],
      original_wh: [null, 1000],
      reason: ['fuzz: meter swap', 'x'],
      token: ['fuzz-token-1', 'fuzz_token_2'],
      lastEventId: ['0-0', '1-0', '9999999999999-0'],
      windows: [1, 4, 96],
      limit: [1, 10, 100],
    };
  }, 600_000);

  afterAll(async () => {
    await api?.app.close();
    await jobs?.queue.obliterate({ force: true }).catch(() => undefined);
    await jobs?.close();
    tb?.close();
    for (let p = 0; p < 3; p++) {
      const keys = await redis.keys(`{${rvPrefix}:${p}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    const alertKeysFound = await alertStoreKeys(redis, alertPrefix);
    if (alertKeysFound.length > 0) await redis.del(...alertKeysFound);
    await clearDirtyDays(redis, dirtyPrefix);
    await clearDirtyDays(redis, s.id);
    await deletePrefix(s3, bucket, root);
    await deps?.close();
    redis.disconnect();
    queueRedis.disconnect();
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
    const summary = [...seen].map(([op, st]) => `${op}: ${[...st].map(([c, n]) => `${c}×${n}`).join(' ')}`);
    console.log(`${HINT} statuses per operation:\n${summary.join('\n')}`);
  }, 120_000);

  /** The SSE stream over HTTP, read up to its headers (an admitted stream never ends). */
  async function sendOverHttp(req: FuzzRequest): Promise<Outcome> {
    const ctl = new AbortController();
    const res = await fetch(`${baseUrl}${req.url}`, {
      method: req.method,
      headers: req.headers,
      signal: ctl.signal,
    });
    const contentType = res.headers.get('content-type') ?? '';
    if (res.status === 200 && contentType.startsWith('text/event-stream')) {
      ctl.abort();
      return { status: res.status, contentType, body: '' };
    }
    return { status: res.status, contentType, body: await res.text() };
  }

  async function send(o: Operation, req: FuzzRequest): Promise<Outcome> {
    if (o.path === '/v1/alerts/stream') return sendOverHttp(req);
    const res = await api.app.inject({
      method: req.method,
      url: req.url,
      headers: req.headers,
      ...(req.body === undefined ? {} : { payload: req.body }),
    });
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: res.body };
  }

  /** What is wrong with an answer (empty = nothing). */
  function check(o: Operation, req: FuzzRequest, res: Outcome): string[] {
    const problems: string[] = [];
    const documented = Object.keys(o.op.responses);
    const mediaType = res.contentType.split(';')[0]!.trim();
    if (res.status >= 500) problems.push(`status ${res.status}`);
    let json: unknown;
    if (mediaType === 'application/json') {
      try {
        json = JSON.parse(res.body);
      } catch {
        problems.push('content-type application/json but the body is not JSON');
      }
    }
    if (res.status < 200 || res.status >= 300) {
      const routerNotFound =
        res.status === 404 && (json as { error?: string } | undefined)?.error === 'not_found';
      if (!documented.includes(String(res.status)) && !routerNotFound)
        problems.push(`status ${res.status} is not documented (${documented.join(', ')})`);
      if (mediaType !== 'application/json') problems.push(`error with content-type ${res.contentType}`);
      else {
        const v = schemas.at(['components', 'schemas', 'ApiError']);
        if (!v(json)) problems.push(`error body does not match ApiError: ${schemas.errorsText(v)}`);
      }
      return problems;
    }
    // 2xx
    if (
      o.roles !== 'public' &&
      (!o.roles.includes(req.caller) || (NON_ROLE_CALLERS as readonly string[]).includes(req.caller))
    )
      problems.push(`${res.status} for caller "${req.caller}" (roles: ${o.roles.join(', ')})`);
    const content = o.op.responses[String(res.status)]?.content;
    if (content === undefined) {
      problems.push(`status ${res.status} is not documented (${documented.join(', ')})`);
      return problems;
    }
    if (!Object.keys(content).includes(mediaType))
      problems.push(
        `content-type ${res.contentType} is not documented for ${res.status} (${Object.keys(content).join(', ')})`,
      );
    else if (mediaType === 'application/json' && json !== undefined) {
      const v = schemas.at([
        'paths',
        o.path,
        o.method.toLowerCase(),
        'responses',
        String(res.status),
        'content',
        mediaType,
        'schema',
      ]);
      if (!v(json)) problems.push(`body does not match the response schema: ${schemas.errorsText(v)}`);
    }
    return problems;
  }

  it('covers every operation of the document', () => {
    const ops = operationsOf(doc).map((o) => `${o.method} ${o.path}`);
    expect(ops.length, HINT).toBeGreaterThanOrEqual(19);
    expect(ops).toEqual(
      expect.arrayContaining(['GET /v1/meters/{meterId}/series', 'POST /v1/edits', 'GET /v1/alerts/stream']),
    );
  });

  it('answers every generated request within the contract', async () => {
    const ops = operationsOf(doc);
    /** One example per distinct problem (operation + what is wrong), so one run reports them all. */
    const problems = new Map<string, string>();
    let index = 0;
    for (const o of ops) {
      const name = `${o.method} ${o.path}`;
      const statuses = new Map<number, number>();
      seen.set(name, statuses);
      const requests = fc.sample(requestArb(o, knownFor(o), api.keys, api.wrongKey), {
        seed: SEED + index++,
        numRuns: RUNS,
      });
      for (const req of requests) {
        const res = await send(o, req);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        for (const p of check(o, req, res)) {
          const kind = `${name}: ${p.replace(/\d{3}(?= for caller)|"[^"]*"/g, '…').slice(0, 160)}`;
          if (!problems.has(kind))
            problems.set(
              kind,
              `${name}: ${p}\n  request: ${req.method} ${req.url.slice(0, 400)} as ${req.caller} (${req.mode})` +
                `${req.body === undefined ? '' : ` body ${JSON.stringify(req.body.slice(0, 300))}`}\n` +
                `  answer: ${res.status} ${res.contentType} ${res.body.slice(0, 400)}`,
            );
        }
      }
    }
    expect([...problems.values()], HINT).toEqual([]);
    // the data made the valid paths answer with content, not only errors
    for (const name of [
      'GET /v1/meters/{meterId}/series',
      'GET /v1/grid/{level}/{id}/series',
      'GET /v1/analytics/aggregate',
      'GET /v1/alerts',
      'POST /v1/edits',
      'GET /v1/reconciliation',
      'GET /v1/jobs',
    ])
      expect(
        [...(seen.get(name)?.keys() ?? [])].some((st) => st >= 200 && st < 300),
        `${HINT} ${name}: ${JSON.stringify([...(seen.get(name) ?? [])])}`,
      ).toBe(true);
  }, 600_000);

  it('nothing the requests sent polluted Object.prototype', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
