/**
 * Alert routes against real Redis and MinIO: alerts seeded through the speed layer's AlertStore
 * (open / clear), grid windows through its apply path (toApplyRead + applyChunk), the feeder roster
 * from a published meter_daily. The stream is read by a real HTTP client from the app listening on
 * 127.0.0.1 (inject cannot stream): live event, disconnect, a missed event, resume by Last-Event-ID
 * (header and query), the per-key stream limit and bad ids.
 *
 * Overview data (Europe/Stockholm, 2026-04-01): meters M1, M2, M3 on T1 / F1 in meter_daily of
 * 2026-03-31; realtime slot 7 of 04-01: M1 40 Wh at 236 V, M2 41 Wh at 226 V; the engine's
 * watermark is slot 8 + 5 min, so the latest closed window is slot 7: load 81 Wh × 4 = 0.324 kW,
 * receipt 2 / 3, voltage 226–236; active alerts on T1 and M3 count for F1.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogPublisher, type PartitionInput } from '@ami/batch-layer/catalog';
import { DAILY_VIEWS, MONTHLY_VIEWS } from '@ami/shared/catalog';
import { sqlPath, withConnection } from '@ami/shared/clients';
import { alertDedupKey, type Alert } from '@ami/shared/contracts';
import { formatIsoUtc, localDayBounds } from '@ami/shared/time';
import {
  AlertStore,
  applyToRealtimeView,
  deleteAlertStore,
  intervalReadMessage,
  openAlert,
  reportAlertWatermark,
  type OpenSpec,
} from '@ami/speed-layer/testing';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { createAlertsRoutes, type AlertsResponse, type OverviewResponse } from '../src/routes/alerts.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';

const TZ = 'Europe/Stockholm';
const Q = 900_000;
const PARTITIONS = 3;
const NOW = Date.UTC(2026, 3, 3);
const DAY = '2026-04-01';
const dayStart = localDayBounds(DAY, TZ).startMs;
const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 32);

interface SseBlock {
  comment?: string;
  id?: string;
  event?: string;
  data?: string;
}

/** A real HTTP client reading text/event-stream blocks one at a time. */
class SseClient {
  private buffer = '';
  private readonly blocks: SseBlock[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\n\n')) >= 0) {
        const raw = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        const b: SseBlock = {};
        for (const line of raw.split('\n')) {
          if (line.startsWith(': ')) b.comment = line.slice(2);
          else if (line.startsWith('id: ')) b.id = line.slice(4);
          else if (line.startsWith('event: ')) b.event = line.slice(7);
          else if (line.startsWith('data: ')) b.data = line.slice(6);
        }
        this.blocks.push(b);
      }
      this.waiter?.();
    });
    res.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
  }
  /** The next block that is not a heartbeat. */
  async next(): Promise<SseBlock> {
    for (;;) {
      const b = this.blocks.shift();
      if (b !== undefined) {
        if (b.comment === 'heartbeat') continue;
        return b;
      }
      if (this.ended) throw new Error('stream ended');
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
  async body(): Promise<string> {
    if (!this.ended) await new Promise<void>((resolve) => this.res.on('end', resolve));
    return this.buffer;
  }
  close(): void {
    this.req.destroy();
  }
}

function connect(port: number, path: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers });
    req.on('response', (res) => resolve(new SseClient(req, res)));
    req.on('error', reject);
    req.end();
  });
}

describe('alert routes on Redis + MinIO', () => {
  const config = integrationConfig();
  const root = `it/${uniqueName('alerts')}/`;
  const alertPrefix = clean(uniqueName('al'));
  const rvPrefix = clean(uniqueName('rv'));
  const work = mkdtempSync(join(tmpdir(), 'ami-alerts-it-'));
  let t: TestDeps;
  let api: TestApi;
  let store: AlertStore;
  let port: number;
  const spec = (over: Partial<OpenSpec>): OpenSpec => ({
    type: 'LOW_VOLTAGE',
    source: 'VOLTAGE',
    severity: 'WARNING',
    entityType: 'transformer',
    entityId: 'T9',
    openedAtMs: dayStart,
    value: 200,
    detail: 'test',
    ...over,
  });
  const dashboard = () => ({ 'x-api-key': api.keys.dashboard });

  async function publishMeterDaily() {
    const path = join(work, 'md.parquet');
    mkdirSync(dirname(path), { recursive: true });
    const rows = ['M1', 'M2', 'M3'].map((m) => `('${m}', 'SP-${m}', 'T1', 'F1')`).join(', ');
    await withConnection(t.deps.db, (c) =>
      c.run(
        `COPY (SELECT * FROM (VALUES ${rows}) v(meter_id, service_point_id, transformer_id, feeder_id) ORDER BY meter_id) TO ${sqlPath(path)} (FORMAT parquet)`,
      ),
    );
    const files = { path, rows: 3 };
    const inputs: PartitionInput[] = [
      ...DAILY_VIEWS.map((view) => ({
        view,
        partition: 'date=2026-03-31',
        files: view === 'meter_daily' ? [files] : [],
      })),
      ...MONTHLY_VIEWS.map((view) => ({ view, partition: 'month=2026-03', files: [] })),
    ];
    const publisher = new CatalogPublisher({
      s3: t.s3,
      bucket: t.bucket,
      prefix: `${root}cat/`,
      timeZone: TZ,
      retentionMs: 86_400_000,
    });
    await publisher.publish(inputs, { cause: 'nightly' });
  }

  async function applyReads(reads: { meter: string; slot: number; wh: number; voltage: number }[]) {
    await applyToRealtimeView(
      t.deps.redis,
      { keyPrefix: rvPrefix, partitions: PARTITIONS, timeZone: TZ, nowMs: NOW, maxEventMs: NOW - 86_400_000 },
      reads.map((r) => ({
        message: intervalReadMessage({
          meterId: r.meter,
          startMs: dayStart + r.slot * Q,
          wh: r.wh,
          transformerId: 'T1',
          feederId: 'F1',
          voltage: r.voltage,
        }),
        attribution: { transformerId: 'T1', feederId: 'F1', substationId: 'S1', region: 'R1' },
      })),
    );
  }

  beforeAll(async () => {
    t = await realDeps(config, `${root}cat/`);
    const deps = {
      ...t.deps,
      alertKeyPrefix: alertPrefix,
      realtimePrefix: rvPrefix,
      partitions: PARTITIONS,
      now: () => NOW,
    };
    store = new AlertStore(t.deps.redis, {
      keyPrefix: alertPrefix,
      historyMaxLen: 1000,
      replayHorizonMs: 86_400_000,
      topics: { alertsGrid: 'ami.alerts.grid', alertsEvents: 'ami.alerts.events' },
    });
    api = await buildTestApi({ deps, routes: [createAlertsRoutes({ maxStreamsPerKey: 2 })] });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = api.app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    port = addr.port;
  });

  afterAll(async () => {
    await api?.app.close();
    const redis = t.deps.redis;
    await deleteAlertStore(redis, alertPrefix);
    for (let p = 0; p < PARTITIONS; p++) {
      const keys = await redis.keys(`{${rvPrefix}:${p}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function list(query: string): Promise<{ status: number; body: AlertsResponse }> {
    const res = await api.app.inject({ method: 'GET', url: `/v1/alerts${query}`, headers: dashboard() });
    return { status: res.statusCode, body: res.json<AlertsResponse>() };
  }

  describe('GET /v1/alerts', () => {
    const v1 = openAlert(spec({ entityId: 'T9', openedAtMs: dayStart }));
    const ev = openAlert(
      spec({
        type: 'TAMPER_COVER_OPEN',
        source: 'EVENT',
        severity: 'WARNING',
        entityType: 'meter',
        entityId: 'M77',
        openedAtMs: dayStart + 2 * Q,
        eventCode: 2048,
      }),
    );
    const crit = openAlert(
      spec({
        type: 'POWER_OUTAGE',
        source: 'EVENT',
        severity: 'CRITICAL',
        entityType: 'meter',
        entityId: 'M78',
        openedAtMs: dayStart + 3 * Q,
        eventCode: 3840,
      }),
    );
    let cleared: Alert | undefined;

    beforeAll(async () => {
      expect(await store.open(v1)).toBe('opened');
      expect(await store.open(ev)).toBe('opened');
      expect(await store.open(crit)).toBe('opened');
      cleared = await store.clear(alertDedupKey(v1), dayStart + 4 * Q, 'voltage back');
      expect(cleared?.status).toBe('cleared');
    });

    it('lists the open alerts newest first, with filters and limit', async () => {
      const open = await list('?status=open');
      expect(open.status).toBe(200);
      expect(open.body.alerts.map((a) => a.alert.id)).toEqual([crit.id, ev.id]);
      expect(open.body.alerts.every((a) => a.stream_id === null && a.transition === 'opened')).toBe(true);
      expect((await list('')).body.alerts.map((a) => a.alert.id)).toEqual([crit.id, ev.id]);
      expect((await list('?severity=CRITICAL')).body.alerts.map((a) => a.alert.id)).toEqual([crit.id]);
      expect((await list('?source=VOLTAGE')).body.alerts).toEqual([]);
      const since = encodeURIComponent(formatIsoUtc(dayStart + 3 * Q));
      expect((await list(`?since=${since}`)).body.alerts.map((a) => a.alert.id)).toEqual([crit.id]);
      expect((await list('?limit=1')).body.alerts.map((a) => a.alert.id)).toEqual([crit.id]);
    });

    it('lists cleared alerts and all transitions from the history, newest first', async () => {
      const c = await list('?status=cleared');
      expect(c.status).toBe(200);
      expect(c.body.alerts.map((a) => [a.transition, a.alert.id, a.alert.status])).toEqual([
        ['cleared', v1.id, 'cleared'],
      ]);
      expect(c.body.alerts[0]?.alert).toEqual(cleared);
      const all = await list('?status=all&source=VOLTAGE');
      expect(all.body.alerts.map((a) => a.transition)).toEqual(['cleared', 'opened']);
      const ids = all.body.alerts.map((a) => a.stream_id ?? '');
      expect(ids[0]! > ids[1]!).toBe(true);
      expect((await list('?status=all&limit=2')).body.count).toBe(2);
      const late = encodeURIComponent(formatIsoUtc(dayStart + 5 * Q));
      expect((await list(`?status=cleared&since=${late}`)).body.alerts).toEqual([]);
    });

    it('answers bad filters with a JSON 400', async () => {
      for (const q of [
        '?status=closed',
        '?severity=LOUD',
        '?source=X',
        '?since=yesterday',
        '?since=2026-13-01T00:00:00Z',
        '?limit=0',
        '?limit=1001',
        '?limit=abc',
        '?colour=red',
      ]) {
        const r = await list(q);
        expect(r.status, q).toBe(400);
        expect(typeof (r.body as unknown as { error: string }).error).toBe('string');
      }
    });

    it('reports truncated and total, and pages with next_cursor until every alert was seen', async () => {
      // found by a utility's own test: 217 open alerts, the default limit of 100, truncated false
      const ids = (r: { body: AlertsResponse }) => r.body.alerts.map((a) => a.alert.id);
      const first = await list('?status=open&limit=1');
      expect(first.body).toMatchObject({ count: 1, total: 2, total_exact: true, truncated: true });
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await list(`?status=open&limit=1&cursor=${first.body.next_cursor}`);
      expect(second.body).toMatchObject({ count: 1, total: 1, truncated: false, next_cursor: null });
      expect([...ids(first), ...ids(second)]).toEqual([crit.id, ev.id]);
      expect((await list('?status=open')).body).toMatchObject({
        count: 2,
        total: 2,
        truncated: false,
        next_cursor: null,
      });

      // the history (4 transitions): a page of 3, then the last one
      const whole = await list('?status=all');
      expect(whole.body).toMatchObject({ count: 4, total: 4, total_exact: true, truncated: false });
      const h1 = await list('?status=all&limit=3');
      expect(h1.body).toMatchObject({ count: 3, total: 4, total_exact: true, truncated: true });
      const h2 = await list(`?status=all&limit=3&cursor=${h1.body.next_cursor}`);
      expect(h2.body).toMatchObject({ count: 1, total: 1, truncated: false, next_cursor: null });
      expect([...h1.body.alerts, ...h2.body.alerts]).toEqual(whole.body.alerts);

      // a cursor pages the status it was made for, and only a cursor of ours is one
      for (const q of [
        `?status=cleared&cursor=${h1.body.next_cursor}`,
        `?status=open&cursor=${h1.body.next_cursor}`,
        '?status=all&cursor=bm90LWEtY3Vyc29y',
        '?status=all&cursor=!!',
      ]) {
        const bad = await api.app.inject({ method: 'GET', url: `/v1/alerts${q}`, headers: dashboard() });
        expect(bad.statusCode, q).toBe(400);
        expect(bad.json<{ message: string }>().message, q).toMatch(
          /^query parameter "cursor" must be .*; received /,
        );
      }
    });

    it('bounds the history scan: total is then a lower bound and next_cursor continues the scan', async () => {
      const bounded = await buildTestApi({
        deps: { ...t.deps, alertKeyPrefix: alertPrefix },
        routes: [createAlertsRoutes({ maxHistoryScan: 2 })],
      });
      try {
        const seen: string[] = [];
        let cursor: string | null = null;
        const pages: Pick<AlertsResponse, 'count' | 'total' | 'total_exact' | 'truncated'>[] = [];
        do {
          const res: Awaited<ReturnType<typeof bounded.app.inject>> = await bounded.app.inject({
            method: 'GET',
            url: `/v1/alerts?status=cleared${cursor === null ? '' : `&cursor=${cursor}`}`,
            headers: { 'x-api-key': bounded.keys.dashboard },
          });
          const body: AlertsResponse = res.json<AlertsResponse>();
          const { count, total, total_exact, truncated } = body;
          pages.push({ count, total, total_exact, truncated });
          seen.push(...body.alerts.map((a) => a.alert.id));
          cursor = body.next_cursor;
        } while (cursor !== null && pages.length < 10);
        // 4 entries read 2 at a time: [clear v1, open crit] [open ev, open v1] [end]
        expect(pages).toEqual([
          { count: 1, total: 1, total_exact: false, truncated: true },
          { count: 0, total: 0, total_exact: false, truncated: true },
          { count: 0, total: 0, total_exact: true, truncated: false },
        ]);
        expect(seen).toEqual([v1.id]);
      } finally {
        await bounded.app.close();
      }
    });

    it('answers a since outside the supported instants with 400 naming the range', async () => {
      // since=0001-01-02 passed as a negative stream id to XREVRANGE: Redis refused it, the API answered 500
      for (const [since, status] of [
        ['0001-01-02T00:00:00Z', 'all'],
        ['0001-01-02T00:00:00Z', 'open'],
        ['9999-06-01T00:00:00Z', 'cleared'],
      ] as const) {
        const res = await api.app.inject({
          method: 'GET',
          url: `/v1/alerts?status=${status}&since=${encodeURIComponent(since)}`,
          headers: dashboard(),
        });
        expect(res.statusCode, since).toBe(400);
        expect(res.json<{ message: string }>().message).toBe(
          'query parameter "since" must be at or after 0002-01-01T00:00:00Z and before 9999-01-01T00:00:00Z; ' +
            `received "${since}"`,
        );
      }
    });

    it('answers 503 without an alert store', async () => {
      const bare = await buildTestApi({ deps: t.deps, routes: [createAlertsRoutes()] });
      try {
        const r = await bare.app.inject({
          method: 'GET',
          url: '/v1/alerts',
          headers: { 'x-api-key': bare.keys.operator },
        });
        expect(r.statusCode).toBe(503);
      } finally {
        await bare.app.close();
      }
    });
  });

  describe('GET /v1/alerts/stream', () => {
    const a = (n: number) =>
      openAlert(spec({ type: 'HIGH_VOLTAGE', entityId: `TS${n}`, openedAtMs: dayStart + n * Q, value: 260 }));

    it('streams an opened alert, then resumes after Last-Event-ID with exactly the missed one', async () => {
      const s1 = await connect(port, '/v1/alerts/stream', dashboard());
      expect(s1.res.statusCode).toBe(200);
      expect(s1.res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect((await s1.next()).comment).toBe('connected');
      await store.open(a(1));
      const first = await s1.next();
      expect(first.event).toBe('opened');
      expect(JSON.parse(first.data ?? '{}')).toEqual(a(1));
      expect(first.id).toMatch(/^\d+-\d+$/);
      s1.close();

      await store.open(a(2));
      const s2 = await connect(port, '/v1/alerts/stream', { ...dashboard(), 'last-event-id': first.id! });
      expect((await s2.next()).comment).toBe('connected');
      const missed = await s2.next();
      expect([missed.event, JSON.parse(missed.data ?? '{}')]).toEqual(['opened', a(2)]);
      await store.clear(alertDedupKey(a(1)), dayStart + 9 * Q, 'ok');
      const next = await s2.next();
      expect(next.event).toBe('cleared');
      expect((JSON.parse(next.data ?? '{}') as Alert).id).toBe(a(1).id);
      s2.close();

      const s3 = await connect(port, `/v1/alerts/stream?lastEventId=${first.id!}`, dashboard());
      expect((await s3.next()).comment).toBe('connected');
      expect((await s3.next()).id).toBe(missed.id);
      expect((await s3.next()).id).toBe(next.id);
      s3.close();
    });

    it('limits concurrent streams per key (429) and rejects a bad Last-Event-ID (400)', async () => {
      const bad = await connect(port, '/v1/alerts/stream', { ...dashboard(), 'last-event-id': 'nope' });
      expect(bad.res.statusCode).toBe(400);
      await bad.body();
      const badQ = await connect(port, '/v1/alerts/stream?lastEventId=1-x', dashboard());
      expect(badQ.res.statusCode).toBe(400);
      await badQ.body();

      // The streams of the first test may still be closing on the server: wait until a slot is free.
      const open: SseClient[] = [];
      while (open.length < 2) {
        const s = await connect(port, '/v1/alerts/stream', dashboard());
        if (s.res.statusCode === 200) {
          expect((await s.next()).comment).toBe('connected');
          open.push(s);
        } else await s.body();
      }
      const third = await connect(port, '/v1/alerts/stream', dashboard());
      expect(third.res.statusCode).toBe(429);
      expect(JSON.parse(await third.body())).toMatchObject({ error: 'rate_limited' });
      const other = await connect(port, '/v1/alerts/stream', { 'x-api-key': api.keys.operator });
      expect(other.res.statusCode).toBe(200);
      expect((await other.next()).comment).toBe('connected');
      other.close();
      for (const s of open) s.close();
    });
  });

  describe('GET /v1/realtime/overview', () => {
    beforeAll(async () => {
      await publishMeterDaily();
      await applyReads([
        { meter: 'M1', slot: 7, wh: 40, voltage: 236 },
        { meter: 'M2', slot: 7, wh: 41, voltage: 226 },
        { meter: 'M1', slot: 8, wh: 999, voltage: 250 },
      ]);
      await reportAlertWatermark(t.deps.redis, alertPrefix, 'i1', dayStart + 8 * Q + 300_000, NOW - 1000);
      await store.open(
        openAlert(spec({ type: 'LOW_RECEIPT_RATE', source: 'COMM', entityId: 'T1', openedAtMs: dayStart })),
      );
      await store.open(
        openAlert(
          spec({
            type: 'METER_COMM_LOSS',
            source: 'COMM',
            entityType: 'meter',
            entityId: 'M3',
            openedAtMs: dayStart,
          }),
        ),
      );
    });

    it('reports the latest closed window of each feeder with its alerts', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/v1/realtime/overview', headers: dashboard() });
      expect(res.statusCode).toBe(200);
      const body = res.json<OverviewResponse>();
      expect(body.watermark_source).toBe('alert-engine');
      expect(Date.parse(body.window_start)).toBe(dayStart + 7 * Q);
      expect(Date.parse(body.window_end)).toBe(dayStart + 8 * Q);
      expect(body.roster_date).toBe('2026-03-31');
      expect(body.feeders).toEqual([
        {
          feeder_id: 'F1',
          load_kw: 0.324,
          kwh: 0.081,
          meters_reported: 2,
          meters_total: 3,
          receipt_rate: 0.6667,
          voltage_min: 226,
          voltage_max: 236,
          active_alerts: 2,
        },
      ]);
      const open = (await list('?status=open&limit=1000')).body.count;
      expect(body.active_alerts).toBe(open);
      expect(body.unattributed_alerts).toBe(open - 2);
    });

    it('falls back to now − allowed lateness without a live engine instance', async () => {
      await reportAlertWatermark(t.deps.redis, alertPrefix, 'i1', dayStart + 8 * Q, NOW - 3_600_000);
      const res = await api.app.inject({ method: 'GET', url: '/v1/realtime/overview', headers: dashboard() });
      const body = res.json<OverviewResponse>();
      expect(body.watermark_source).toBe('clock');
      expect(Date.parse(body.window_end)).toBe(Math.floor((NOW - 600_000) / Q) * Q);
      expect(body.feeders.map((f) => [f.feeder_id, f.meters_reported])).toEqual([['F1', 0]]);
    });
  });
});
