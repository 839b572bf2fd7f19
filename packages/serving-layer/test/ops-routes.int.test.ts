/**
 * Edits, jobs and reconciliation routes through the whole app on real Redis, MinIO and BullMQ:
 * an EditStore on a unique S3 prefix (dirty marks on a unique Redis prefix), BatchJobs on a unique
 * queue (no worker: jobs stay queued, which is what the routes report), reconciliation reports
 * stored in S3 under a unique prefix, a topology held in memory. Checks stored records, the rebuild
 * job with cause 'edit' in the queue, 400s with the store's codes, 422 for a meter the topology does
 * not know (nothing stored), backfill progress, every listed job id answered by GET /v1/jobs/{id}
 * (BullMQ scheduler runs `repeat:…` included), 404s and JSON 4xx for bad parameters.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBatchJobSettings } from '@ami/batch-layer';
import {
  BatchJobs,
  DirtyDays,
  EditStore,
  clearDirtyDays,
  reconciliationReportKey,
} from '@ami/batch-layer/commands';
import { createRedis } from '@ami/shared/clients';
import {
  validateReconciliationReport,
  type EditRecord,
  type ReconciliationReport,
  type TopologyRow,
} from '@ami/shared/contracts';
import { addLocalDays, localDate, localDayBounds } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { editsRoutes } from '../src/routes/edits.ts';
import { jobsRoutes } from '../src/routes/jobs.ts';
import { reconciliationRoutes } from '../src/routes/reconciliation.ts';
import type { Role } from '../src/routes/context.ts';
import { topologyOfRows } from '../src/topology.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';
import { deletePrefix } from './support/catalog.ts';

/** A topology version of `meterId` over [validFrom, validTo). */
function topologyRow(meterId: string, validFrom: string, validTo: string | null = null): TopologyRow {
  return {
    meter_id: meterId,
    service_point_id: `SP-${meterId}`,
    customer_id: `C-${meterId}`,
    transformer_id: 'TX-1',
    feeder_id: 'FDR-1',
    substation_id: 'SUB-1',
    region: 'R1',
    segment: 'residential',
    tariff: 'flat',
    prosumer: false,
    valid_from: validFrom,
    valid_to: validTo,
  };
}

describe('edits, jobs and reconciliation routes on Redis + MinIO + BullMQ', () => {
  const config = integrationConfig();
  const id = uniqueName('ops');
  const prefix = `it/${id}/`;
  const queueRedis = createRedis(config, { forBullMQ: true });
  const settings = loadBatchJobSettings({ AMI_BATCH_QUEUE: id, AMI_BATCH_KEY_PREFIX: 'bulltest' });
  let deps: TestDeps;
  let api: TestApi;
  let jobs: BatchJobs;
  let tz: string;
  let yesterday: string;

  const send = (method: 'GET' | 'POST', url: string, role: Role, payload?: object) =>
    api.app.inject({
      method,
      url,
      headers: { 'x-api-key': api.keys[role] },
      ...(payload ? { payload } : {}),
    });
  const isJsonError = (res: { headers: Record<string, unknown>; json: <T>() => T }) => {
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    expect(Object.keys(res.json<object>()).sort()).toEqual(['details', 'error', 'message']);
  };

  beforeAll(async () => {
    deps = await realDeps(config, `${prefix}catalog/`);
    tz = deps.deps.timeZone;
    yesterday = addLocalDays(localDate(Date.now(), tz), -1);
    jobs = new BatchJobs({ connection: queueRedis, settings, timeZone: tz });
    const edits = new EditStore({
      s3: deps.s3,
      bucket: deps.bucket,
      prefix,
      timeZone: tz,
      dirtyDays: new DirtyDays(deps.deps.redis, id),
    });
    const topology = topologyOfRows([
      topologyRow('MTR-EDIT-1', '2000-01-01T00:00:00Z'),
      topologyRow('MTR-EDIT-2', '2000-01-01T00:00:00Z'),
      topologyRow('MTR-GONE', '2000-01-01T00:00:00Z', '2001-01-01T00:00:00Z'),
    ]);
    api = await buildTestApi({
      deps: {
        ...deps.deps,
        s3: deps.s3,
        bucket: deps.bucket,
        reconciliationPrefix: prefix,
        jobs,
        edits,
        topology,
      },
      routes: [editsRoutes, jobsRoutes, reconciliationRoutes],
    });
  });

  afterAll(async () => {
    await api?.app.close();
    await jobs?.queue.obliterate({ force: true });
    await jobs?.close();
    queueRedis.disconnect();
    if (deps) {
      await clearDirtyDays(deps.deps.redis, id);
      await deletePrefix(deps.s3, deps.bucket, prefix);
      await deps.close();
    }
  });

  describe('edits', () => {
    it('stores an edit with the caller as who and enqueues a rebuild of its day with cause edit', async () => {
      const start = localDayBounds(yesterday, tz).startMs + 8 * 900_000;
      const res = await send('POST', '/v1/edits', 'editor', {
        meter_id: 'MTR-EDIT-1',
        interval_start: new Date(start).toISOString(),
        wh: 321,
        reason: 'meter swap, value from the old register',
        original_wh: 12,
      });
      expect(res.statusCode).toBe(201);
      const body = res.json<{
        edit: EditRecord;
        rebuild: { date: string; job_id: string; status: string };
      }>();
      expect(body.edit).toMatchObject({
        meter_id: 'MTR-EDIT-1',
        wh: 321,
        original_wh: 12,
        who: 'dev-editor',
      });
      expect(body.rebuild).toMatchObject({ date: yesterday, status: 'enqueued' });

      // the job is in the queue: a build of that day with cause edit, named by the edit id
      const job = await jobs.queue.getJob(body.rebuild.job_id);
      expect(job?.name).toBe('build-day');
      expect(job?.data).toEqual({ date: yesterday, cause: 'edit' });
      expect(body.rebuild.job_id).toContain(body.edit.edit_id);
      // and the dirty mark (fallback) is set
      const dirty = await new DirtyDays(deps.deps.redis, id).listDirty();
      expect(dirty.map((d) => d.date)).toContain(yesterday);

      // the record is stored: listed for the meter, for editor and analyst
      for (const role of ['editor', 'analyst'] as const) {
        const list = await send(
          'GET',
          `/v1/edits?meterId=MTR-EDIT-1&from=${yesterday}&to=${yesterday}`,
          role,
        );
        expect(list.statusCode).toBe(200);
        expect(list.json<{ edits: EditRecord[] }>().edits).toEqual([body.edit]);
      }
      const other = await send(
        'GET',
        `/v1/edits?meterId=MTR-OTHER&from=${yesterday}&to=${yesterday}`,
        'editor',
      );
      expect(other.json<{ edits: EditRecord[] }>().edits).toEqual([]);
    });

    it('answers 400 with the code and field for invalid edits', async () => {
      const base = {
        meter_id: 'MTR-EDIT-2',
        interval_start: new Date(localDayBounds(yesterday, tz).startMs).toISOString(),
        wh: 1,
        reason: 'x',
      };
      const cases: [object, number, Record<string, unknown>][] = [
        [{ ...base, interval_start: '2026-01-01T00:07:00Z' }, 400, { code: 'MISALIGNED_INTERVAL' }],
        [{ ...base, interval_start: 'yesterday' }, 400, { code: 'BAD_INSTANT', field: '/interval_start' }],
        [{ ...base, interval_start: '2999-01-01T00:00:00Z' }, 400, { code: 'FUTURE_INTERVAL' }],
        [{ ...base, wh: 1.5 }, 400, {}],
        [{ ...base, wh: 3_000_000_000 }, 400, {}],
        [{ ...base, reason: '' }, 400, {}],
        [{ ...base, reason: '   ' }, 400, {}],
        [{ ...base, meter_id: 'bad id' }, 400, {}],
        [{ ...base, who: 'someone-else' }, 400, {}],
        [{ meter_id: 'MTR-1' }, 400, {}],
      ];
      for (const [payload, status, details] of cases) {
        const res = await send('POST', '/v1/edits', 'editor', payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(status);
        isJsonError(res);
        expect(res.json<{ details: object }>().details).toMatchObject(details);
      }
      const list = await send(
        'GET',
        `/v1/edits?meterId=MTR-EDIT-2&from=${yesterday}&to=${yesterday}`,
        'editor',
      );
      expect(list.json<{ edits: EditRecord[] }>().edits).toEqual([]);
      // a non-JSON body
      const text = await api.app.inject({
        method: 'POST',
        url: '/v1/edits',
        headers: { 'x-api-key': api.keys.editor, 'content-type': 'application/json' },
        payload: '{"meter_id": ',
      });
      expect(text.statusCode).toBe(400);
      isJsonError(text);
    });

    it('answers 422 for a meter the topology does not know at the interval, and stores nothing', async () => {
      // found by a utility's own test: such an edit answered 201, was stored and changed nothing
      const start = new Date(localDayBounds(yesterday, tz).startMs).toISOString();
      for (const [meter, why] of [
        ['MTR-NOBODY', 'is not in the topology'],
        ['MTR-GONE', 'has no topology version active at'],
      ] as const) {
        const res = await send('POST', '/v1/edits', 'editor', {
          meter_id: meter,
          interval_start: start,
          wh: 5,
          reason: 'typo in the meter id',
        });
        expect(res.statusCode, meter).toBe(422);
        isJsonError(res);
        const body = res.json<{ error: string; message: string; details: object }>();
        expect(body.error).toBe('unknown_meter');
        expect(body.message).toContain('"meter_id"');
        expect(body.message).toContain(why);
        expect(body.message).toContain(`received "${meter}"`);
        expect(body.details).toMatchObject({ field: 'meter_id', meter_id: meter, interval_start: start });
        const list = await send(
          'GET',
          `/v1/edits?meterId=${meter}&from=${yesterday}&to=${yesterday}`,
          'editor',
        );
        expect(list.json<{ edits: EditRecord[] }>().edits).toEqual([]);
      }
    });

    it('answers 503 without a topology: an edit cannot be checked', async () => {
      const bare = await buildTestApi({
        deps: {
          ...deps.deps,
          jobs,
          edits: new EditStore({
            s3: deps.s3,
            bucket: deps.bucket,
            prefix,
            timeZone: tz,
            dirtyDays: new DirtyDays(deps.deps.redis, id),
          }),
        },
        routes: [editsRoutes],
      });
      try {
        const res = await bare.app.inject({
          method: 'POST',
          url: '/v1/edits',
          headers: { 'x-api-key': bare.keys.editor },
          payload: { meter_id: 'MTR-EDIT-1', interval_start: '2026-01-01T00:00:00Z', wh: 1, reason: 'x' },
        });
        expect(res.statusCode).toBe(503);
        expect(res.json<{ details: object }>().details).toEqual({ dependency: 'topology' });
      } finally {
        await bare.app.close();
      }
    });

    it('answers JSON 400 for bad listing parameters', async () => {
      for (const q of [
        'meterId=M1&from=2026-01-02&to=2026-01-01',
        'meterId=M1&from=2024-01-01&to=2026-01-01',
        'meterId=M1&from=2026-02-30&to=2026-03-01',
        'meterId=M1&from=2026-1-1&to=2026-01-02',
        'meterId=bad%20id&from=2026-01-01&to=2026-01-02',
        'from=2026-01-01&to=2026-01-02',
        'meterId=M1&from=2026-01-01&to=2026-01-02&x=1',
      ]) {
        const res = await send('GET', `/v1/edits?${q}`, 'analyst');
        expect(res.statusCode, q).toBe(400);
        isJsonError(res);
      }
    });
  });

  describe('jobs', () => {
    it('starts a backfill whose progress and children are readable, and lists it', async () => {
      const from = addLocalDays(yesterday, -2);
      const res = await send('POST', '/v1/jobs/backfill', 'operator', { from, to: yesterday, token: 'bf1' });
      expect(res.statusCode).toBe(202);
      const { job_id } = res.json<{ job_id: string; added: boolean }>();
      expect(res.json<{ added: boolean }>().added).toBe(true);
      const again = await send('POST', '/v1/jobs/backfill', 'operator', {
        from,
        to: yesterday,
        token: 'bf1',
      });
      expect(again.json()).toEqual({ job_id, added: false });

      const progress = await send('GET', `/v1/jobs/${job_id}`, 'operator');
      expect(progress.statusCode).toBe(200);
      expect(progress.json()).toMatchObject({
        id: job_id,
        name: 'backfill',
        state: 'waiting-children',
        progress: 0,
        children: { done: 0, failed: 0, total: 3 },
        data: { from, to: yesterday },
        finished_at: null,
      });

      const list = await send('GET', '/v1/jobs?limit=50', 'operator');
      expect(list.statusCode).toBe(200);
      const listed = list.json<{ jobs: { id: string; name: string; data: unknown }[] }>().jobs;
      expect(listed.map((j) => j.id)).toContain(job_id);
      expect(
        listed.filter((j) => j.name === 'build-day' && JSON.stringify(j.data).includes('backfill')),
      ).toHaveLength(3);
    });

    it('starts a rebuild of one day', async () => {
      const res = await send('POST', '/v1/jobs/rebuild', 'operator', { date: addLocalDays(yesterday, -10) });
      expect(res.statusCode).toBe(202);
      const { job_id } = res.json<{ job_id: string }>();
      const view = await send('GET', `/v1/jobs/${job_id}`, 'operator');
      expect(view.json()).toMatchObject({
        name: 'build-day',
        data: { date: addLocalDays(yesterday, -10), cause: 'backfill' },
      });
    });

    it('looks up every job id GET /v1/jobs lists, BullMQ scheduler runs included', async () => {
      // found by a utility's own test: ids like repeat:relay-restatements:<ms> were refused by the pattern
      await jobs.queue.upsertJobScheduler(
        'relay-restatements',
        { every: 3_600_000 },
        {
          name: 'relay-restatements',
          data: {},
        },
      );
      const list = await send('GET', '/v1/jobs?limit=100', 'operator');
      expect(list.statusCode).toBe(200);
      const ids = list.json<{ jobs: { id: string }[] }>().jobs.map((j) => j.id);
      expect(ids.some((jobId) => jobId.startsWith('repeat:relay-restatements:'))).toBe(true);
      for (const jobId of ids) {
        const res = await send('GET', `/v1/jobs/${encodeURIComponent(jobId)}`, 'operator');
        expect(res.statusCode, jobId).toBe(200);
        expect(res.json<{ id: string }>().id).toBe(jobId);
      }
    });

    it('answers JSON 4xx for bad ranges, bodies and unknown jobs', async () => {
      const today = localDate(Date.now(), tz);
      const bodies: [string, object][] = [
        ['/v1/jobs/backfill', { from: yesterday, to: addLocalDays(yesterday, -1) }],
        ['/v1/jobs/backfill', { from: yesterday, to: today }],
        ['/v1/jobs/backfill', { from: '2000-01-01', to: yesterday }],
        ['/v1/jobs/backfill', { from: '2026-02-30', to: '2026-03-01' }],
        ['/v1/jobs/backfill', { from: yesterday }],
        ['/v1/jobs/backfill', { from: yesterday, to: yesterday, token: 'a:b' }],
        ['/v1/jobs/backfill', { from: yesterday, to: yesterday, extra: 1 }],
        ['/v1/jobs/rebuild', { date: today }],
        ['/v1/jobs/rebuild', { date: '2026-13-01' }],
        ['/v1/jobs/rebuild', {}],
      ];
      for (const [url, body] of bodies) {
        const res = await send('POST', url, 'operator', body);
        expect(res.statusCode, `${url} ${JSON.stringify(body)}`).toBe(400);
        isJsonError(res);
      }
      const unknown = await send('GET', '/v1/jobs/no-such-job', 'operator');
      expect(unknown.statusCode).toBe(404);
      isJsonError(unknown);
      for (const url of [
        '/v1/jobs/bad%20id',
        '/v1/jobs?limit=0',
        '/v1/jobs?limit=1000',
        '/v1/jobs?limit=x',
      ]) {
        const res = await send('GET', url, 'operator');
        expect(res.statusCode, url).toBe(400);
        isJsonError(res);
      }
    });
  });

  describe('reconciliation', () => {
    it('answers the stored report of a day, and 404 naming a day without one', async () => {
      const date = '2026-03-02';
      const report: ReconciliationReport = {
        date,
        time_zone: tz,
        generated_at: '2026-03-03T03:00:00Z',
        catalog_version: 'v7',
        provisional: 'available',
        windows_in_day: 96,
        totals: {
          transformers: 1,
          provisional_wh: 1000,
          authoritative_wh: 1010,
          diff_wh: 10,
          windows_compared: 96,
          windows_equal: 95,
          windows_explained: 1,
          windows_unexplained: 0,
        },
        transformers: [
          {
            transformer_id: 'T1',
            provisional_wh: 1000,
            authoritative_wh: 1010,
            diff_wh: 10,
            windows_compared: 96,
            windows_equal: 95,
            windows_explained: 1,
            windows_unexplained: 0,
            windows_with_vee_changes: 1,
            unexplained_windows: [],
          },
        ],
      };
      expect(validateReconciliationReport(report).ok).toBe(true);
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.bucket,
          Key: reconciliationReportKey(prefix, date),
          Body: JSON.stringify(report),
        }),
      );
      for (const role of ['operator', 'analyst'] as const) {
        const res = await send('GET', `/v1/reconciliation?date=${date}`, role);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual(report);
      }
      const none = await send('GET', '/v1/reconciliation?date=2026-03-03', 'operator');
      expect(none.statusCode).toBe(404);
      isJsonError(none);
      expect(none.json<{ message: string; details: object }>()).toMatchObject({
        details: { date: '2026-03-03' },
      });
      expect(none.json<{ message: string }>().message).toContain('2026-03-03');

      for (const q of ['', '?date=2026-02-30', '?date=20260302', '?date=2026-03-02&x=1', '?date=../x']) {
        const res = await send('GET', `/v1/reconciliation${q}`, 'analyst');
        expect(res.statusCode, q).toBe(400);
        isJsonError(res);
      }
    });
  });
});
