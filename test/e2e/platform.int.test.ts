/**
 * End to end, through the public API only (issue 7): the platform's processes — speed layer,
 * archiver, batch worker with its schedulers, API — run as `pnpm ami up` runs them (same process
 * table, same supervisor) on the real Kafka, Redis and MinIO. The simulator streams a fleet with
 * every fault kind switched on, from the first day of last month to yesterday. Then:
 *
 *  1. before the batch worker starts, the API serves the last two days provisionally (realtime view);
 *  2. the batch worker's sweep rebuilds and publishes every day without being asked;
 *  3. authoritative intervals equal the simulator's truth wherever nothing was lost or corrupted
 *     (gaps, outages, stuck meters, spikes, reads and corrections that could not arrive yet);
 *  4. provisional equals authoritative wherever VEE changed nothing;
 *  5. billing determinants of last month (a closed period) equal the truth for clean service points
 *     and the authoritative daily series for all;
 *  6. every injected incident of the last two days (transformer outage, tamper, reverse energy,
 *     communication loss of long gaps) has its alert, and no such alert lacks an incident;
 *  7. a late correction after publication is rebuilt by the sweep: the API shows the new value under a
 *     new catalog version, and a restatement notice names the day and the service point.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, createTopics, openStream, pumpBatches, sendMessages } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import {
  addLocalDays,
  formatIsoOffset,
  localDate,
  localDayBounds,
  localDaysBetween,
  parseIsoInstant,
} from '@ami/shared/time';
import { generateDevKeys } from '@ami/serving-layer';
import { FAULT_KINDS, buildCalendar, buildFleet, topologyJsonl, topologyRows } from '@ami/simulator';
import { behindTarget, endOffsets } from '@ami/cli/platform';
import { platformProcesses, readinessUrl, waitForHttp, type PlatformPorts } from '@ami/cli/platform';
import { Supervisor } from '@ami/cli/platform';
import { uniqueName } from '../support/config.ts';
import { freePort, isolatedPlatformEnv, platformTopics } from '../support/platform.ts';
import { until } from '../support/poll.ts';
import type { SeriesResponse } from '../support/api-types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TZ = 'Europe/Stockholm';
const METERS = 100;
const SEED = 7;
const INTERVAL_MS = 900_000;
/** AMI_ALERT_EVENT_HOLD_S (default 24 h). */
const EVENT_HOLD_MS = 86_400_000;

type Series = SeriesResponse;
interface AlertItem {
  transition: 'opened' | 'cleared';
  alert: { id: string; type: string; entity_type: string; entity_id: string; opened_at: string };
}
interface Fault {
  fault: string;
  meter_id?: string;
  meter_ids?: string[];
  transformer_id?: string;
  interval_start?: string;
  interval_starts?: string[];
  first_interval_start?: string;
  last_interval_start?: string;
  intervals?: number;
  from?: string;
  event_ts?: string;
  event_code?: number;
  read_ts?: string;
  corrected_read_ts?: string;
  message?: string;
}

describe('the platform end to end, through the public API', () => {
  const id = uniqueName('e2e');
  const work = mkdtempSync(join(tmpdir(), 'ami-e2e-'));
  /** Process logs are kept as a test artifact (test-artifacts/ is git-ignored). */
  const logDir = join(ROOT, 'test-artifacts', 'e2e-logs');
  const keys = generateDevKeys();
  const key = (role: string) => keys.keys.find((k) => k.role === role)!.key;
  const now = Date.now();
  const today = localDate(now, TZ);
  const yesterday = addLocalDays(today, -1);
  const dayBefore = addLocalDays(today, -2);
  const thisMonthFirst = `${today.slice(0, 7)}-01`;
  const lastMonth = addLocalDays(thisMonthFirst, -1).slice(0, 7);
  const firstDay = `${lastMonth}-01`;
  const days = localDaysBetween(firstDay, yesterday) + 1;
  const recentFromMs = localDayBounds(dayBefore, TZ).startMs;
  const todayStartMs = localDayBounds(today, TZ).startMs;
  const fleet = buildFleet(SEED, METERS, buildCalendar(firstDay, 1, TZ).startMs);
  const topology = topologyRows(fleet);
  const truth = new Map<string, number>(); // meter|startMs → Wh
  const faults: Fault[] = [];
  /** meter|startMs of intervals whose delivered value is not the truth (lost or corrupted). */
  const corrupted = new Set<string>();
  const provisional = new Map<string, number | null>(); // meter|startMs → Wh
  const authoritative = new Map<string, Series>(); // meter → series of the last two days
  let env: Record<string, string>;
  let ports: PlatformPorts;
  let supervisor: Supervisor;
  let api: string;
  let simStartedMs = 0;
  const config = () => loadConfig({ ...process.env, ...env });

  const get = async <T>(path: string, role: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${api}${path}`, { headers: { 'x-api-key': key(role) } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const meterSeries = async (meter: string): Promise<Series> => {
    const q = new URLSearchParams({
      from: formatIsoOffset(recentFromMs, TZ),
      to: formatIsoOffset(todayStartMs, TZ),
      step: '15m',
    });
    const r = await get<Series>(`/v1/meters/${meter}/series?${q.toString()}`, 'analyst');
    expect(r.status).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    ports = {
      api: await freePort(),
      speedMetrics: await freePort(),
      archiverMetrics: await freePort(),
      batchMetrics: await freePort(),
    };
    api = `http://127.0.0.1:${ports.api}`;
    env = {
      ...inject('infraEnv'),
      ...isolatedPlatformEnv(id),
      AMI_TIMEZONE: TZ,
      AMI_API_CACHE_DIR: join(work, 'api-cache'),
      AMI_API_RATE_LIMIT_PER_MIN: '100000',
      AMI_ARCHIVER_FLUSH_AGE_S: '2',
      // Seven weeks arrive within seconds: let the alert engine evaluate every window it falls
      // behind on within 7 days (the default bound of 96 skips older ones after a long outage).
      AMI_ALERT_MAX_CATCHUP_WINDOWS: '700',
      AMI_BATCH_SWEEP_EVERY_S: '5',
      AMI_BATCH_SWEEP_CLOSE_DELAY_S: '60',
      AMI_BATCH_RELAY_EVERY_S: '5',
      AMI_BATCH_BACKOFF_MS: '1000',
      LOG_LEVEL: 'info',
    };
    const kafka = createKafka(config());
    const admin = kafka.admin();
    await createTopics(admin, platformTopics(env));

    const topologyFile = join(work, 'topology.jsonl');
    writeFileSync(topologyFile, topologyJsonl(fleet));
    rmSync(logDir, { recursive: true, force: true });
    supervisor = new Supervisor({
      cwd: ROOT,
      logDir,
      env: { ...process.env, ...env },
      stopGraceMs: 10_000,
    });
    const specs = platformProcesses({
      ports,
      topologyFile,
      apiKeysJson: JSON.stringify(keys.entries),
      pseudonymSecret: 'e2e-pseudonym-secret-0123456789',
    });
    // The batch worker starts after the provisional snapshot (below), so the API first serves the realtime view only.
    for (const spec of specs.filter((s) => s.name !== 'batch-worker')) supervisor.start(spec);
    for (const spec of specs.filter((s) => s.name !== 'batch-worker'))
      await waitForHttp(readinessUrl(spec.name, ports), {
        timeoutMs: 120_000,
        hint: `log ${join(logDir, `${spec.name}.log`)}`,
        alive: () => supervisor.status().find((p) => p.name === spec.name)?.restarts === 0,
      });

    // Stream the fleet with every fault kind (incident kinds at higher rates so the last two days have some).
    const truthFile = join(work, 'truth.jsonl');
    simStartedMs = Date.now();
    const sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/simulator/src/main.ts',
        ...[
          '--to',
          'kafka',
          '--meters',
          String(METERS),
          '--days',
          String(days),
          '--start',
          firstDay,
          '--seed',
          String(SEED),
        ],
        ...[
          '--faults',
          'all',
          '--outages',
          '0.5',
          '--tamper',
          '0.05',
          '--reverse-energy',
          '0.05',
          '--stuck-at-zero',
          '0.02',
        ],
        ...['--truth', truthFile],
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let simErr = '';
    sim.stderr.on('data', (b: Buffer) => (simErr += b.toString()));
    const simCode = await new Promise<number | null>((r) => sim.once('exit', r));
    expect(simCode, simErr).toBe(0);

    for (const line of readFileSync(truthFile, 'utf8').split('\n')) {
      if (line === '') continue;
      const t = JSON.parse(line) as Fault & { wh?: number };
      if (t.fault === undefined) truth.set(`${t.meter_id}|${parseIsoInstant(t.interval_start!)}`, t.wh!);
      else faults.push(t);
    }
    const mark = (meter: string, startMs: number, n = 1) => {
      for (let i = 0; i < n; i++) corrupted.add(`${meter}|${startMs + i * INTERVAL_MS}`);
    };
    for (const f of faults) {
      const at = (iso: string | undefined) => parseIsoInstant(iso!);
      if (f.fault === 'gap') for (const s of f.interval_starts ?? []) mark(f.meter_id!, at(s));
      if (f.fault === 'outage')
        for (const m of f.meter_ids ?? []) mark(m, at(f.first_interval_start), f.intervals);
      if (f.fault === 'stuck_at_zero')
        mark(
          f.meter_id!,
          at(f.first_interval_start),
          (at(f.last_interval_start) - at(f.first_interval_start)) / INTERVAL_MS + 1,
        );
      if (f.fault === 'spike') mark(f.meter_id!, at(f.interval_start));
      // read_ts in the future when produced: rejected (FUTURE_TIMESTAMP) — lost, or the wrong value stays.
      if (f.fault === 'late' && at(f.read_ts) > simStartedMs) mark(f.meter_id!, at(f.interval_start));
      if (f.fault === 'correction' && at(f.corrected_read_ts) > simStartedMs)
        mark(f.meter_id!, at(f.interval_start));
      // A read "from the future" when simulated is in the past now that the days are replayed: it is
      // valid today and competes with the true read of the interval it names.
      if (f.fault === 'future_timestamp' && f.message !== undefined) {
        const r = JSON.parse(f.message) as { meter_id: string; interval_start: string };
        if (parseIsoInstant(r.interval_start) <= simStartedMs)
          mark(r.meter_id, parseIsoInstant(r.interval_start));
      }
    }

    // Wait until the speed layer and the archiver have everything, then take the provisional snapshot.
    const target = await endOffsets(admin, [env.AMI_TOPIC_READS!, env.AMI_TOPIC_EVENTS!]);
    for (const group of [env.AMI_SPEED_GROUP_ID!, env.AMI_ARCHIVER_GROUP_ID!])
      await until(
        `${group} to consume everything`,
        async () => ((await behindTarget(admin, group, target)) === 0n ? true : undefined),
        300_000,
      );
    await admin.close();
    for (const m of fleet.meters) {
      const s = await meterSeries(m.meterId);
      expect(s.watermark).toBeNull();
      for (const p of s.points)
        provisional.set(
          `${m.meterId}|${parseIsoInstant(p.start)}`,
          p.kwh === null ? null : Math.round(p.kwh * 1000),
        );
    }

    // Now the batch worker: its late-data sweep finds every archived day dirty and closed, and builds them.
    const worker = specs.find((s) => s.name === 'batch-worker')!;
    supervisor.start(worker);
    await waitForHttp(readinessUrl('batch-worker', ports), {
      timeoutMs: 60_000,
      hint: `log ${join(logDir, 'batch-worker.log')}`,
      alive: () => supervisor.status().find((p) => p.name === 'batch-worker')?.restarts === 0,
    });
    await until(
      'the batch watermark to reach today',
      async () => {
        const c = await get<{ watermark: string | null }>('/v1/catalog', 'operator');
        return c.body.watermark !== null && parseIsoInstant(c.body.watermark) >= todayStartMs
          ? true
          : undefined;
      },
      900_000,
      { everyMs: 3000 },
    );
    for (const m of fleet.meters) authoritative.set(m.meterId, await meterSeries(m.meterId));
  }, 1_500_000);

  afterAll(async () => {
    await supervisor?.stopAll();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('streamed every fault kind', () => {
    const kinds = new Set(faults.map((f) => f.fault));
    for (const k of FAULT_KINDS) expect(kinds, k).toContain(k);
  });

  it('serves authoritative intervals equal to the truth wherever nothing was lost', () => {
    let equal = 0;
    let total = 0;
    for (const [meter, series] of authoritative) {
      for (const p of series.points) {
        total++;
        expect(p.status).toBe('authoritative');
        const k = `${meter}|${parseIsoInstant(p.start)}`;
        if (corrupted.has(k)) continue;
        expect({
          k,
          quality: p.quality?.actual,
          wh: p.kwh === null ? null : Math.round(p.kwh * 1000),
        }).toEqual({
          k,
          quality: 1,
          wh: truth.get(k),
        });
        equal++;
      }
    }
    expect(total).toBe((METERS * (localDayBounds(yesterday, TZ).endMs - recentFromMs)) / INTERVAL_MS);
    // The check must cover most of the data, not only what survived the faults by luck.
    expect(equal / total).toBeGreaterThan(0.7);
  });

  it('served provisional values equal to the authoritative ones wherever VEE changed nothing', () => {
    let compared = 0;
    for (const [meter, series] of authoritative) {
      for (const p of series.points) {
        if (p.quality?.actual !== 1) continue;
        const k = `${meter}|${parseIsoInstant(p.start)}`;
        expect({ k, wh: provisional.get(k) }).toEqual({ k, wh: Math.round(p.kwh! * 1000) });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(METERS * 96);
  });

  it('gives billing determinants of last month that add up the authoritative days, equal to the truth on clean days', async () => {
    const r = await get<{
      watermark: string;
      determinants: {
        service_point_id: string;
        total_kwh: number;
        complete: boolean;
        days: number;
        days_in_period: number;
      }[];
    }>(`/v1/billing/determinants?period=${lastMonth}`, 'billing');
    expect(r.status).toBe(200);
    expect(r.body.determinants).toHaveLength(METERS);
    const monthDays = localDaysBetween(firstDay, thisMonthFirst);
    const monthStart = localDayBounds(firstDay, TZ).startMs;
    const monthEnd = localDayBounds(thisMonthFirst, TZ).startMs;
    let clean = 0;
    for (const row of topology) {
      const d = r.body.determinants.find((x) => x.service_point_id === row.service_point_id)!;
      expect(d, row.service_point_id).toBeDefined();
      expect({ sp: d.service_point_id, days: d.days, of: d.days_in_period, complete: d.complete }).toEqual({
        sp: row.service_point_id,
        days: monthDays,
        of: monthDays,
        complete: true,
      });
      // The meter's authoritative daily series of the month (the same API): the determinant adds it up,
      // and every day without a lost or corrupted interval equals the truth.
      const q = new URLSearchParams({
        from: formatIsoOffset(monthStart, TZ),
        to: formatIsoOffset(monthEnd, TZ),
        step: '1d',
      });
      const daily = await get<Series>(`/v1/meters/${row.meter_id}/series?${q.toString()}`, 'analyst');
      expect(daily.status).toBe(200);
      expect(daily.body.points).toHaveLength(monthDays);
      let seriesWh = 0;
      for (const p of daily.body.points) {
        expect(p.status).toBe('authoritative');
        const dayWh = Math.round((p.kwh ?? 0) * 1000);
        seriesWh += dayWh;
        const { startMs, endMs } = localDayBounds(localDate(parseIsoInstant(p.start), TZ), TZ);
        let truthWh = 0;
        let dirty = false;
        for (let t = startMs; t < endMs; t += INTERVAL_MS) {
          if (corrupted.has(`${row.meter_id}|${t}`)) dirty = true;
          truthWh += truth.get(`${row.meter_id}|${t}`) ?? 0;
        }
        if (dirty) continue;
        expect({ meter: row.meter_id, day: p.start, wh: dayWh }).toEqual({
          meter: row.meter_id,
          day: p.start,
          wh: truthWh,
        });
        clean++;
      }
      expect({ sp: d.service_point_id, wh: Math.round(d.total_kwh * 1000) }).toEqual({
        sp: d.service_point_id,
        wh: seriesWh,
      });
    }
    expect(clean).toBeGreaterThan(0);
  });

  it('raised an alert for every injected incident of the last two days, and none without one', async () => {
    const r = await get<{ alerts: AlertItem[]; truncated: boolean }>(
      `/v1/alerts?status=all&limit=1000&since=${encodeURIComponent(new Date(recentFromMs - EVENT_HOLD_MS).toISOString())}`,
      'dashboard',
    );
    expect(r.status).toBe(200);
    expect(r.body.truncated).toBe(false);
    const opened = new Map<string, AlertItem['alert']>();
    for (const a of r.body.alerts) opened.set(a.alert.id, a.alert);
    const all = [...opened.values()];
    const alerts = all.filter(
      (a) => parseIsoInstant(a.opened_at) >= recentFromMs && parseIsoInstant(a.opened_at) < todayStartMs,
    );
    const recent = (iso: string | undefined) => {
      const t = parseIsoInstant(iso!);
      return t >= recentFromMs && t < todayStartMs;
    };
    const find = (type: string, entity: string, fromMs: number, toMs: number) =>
      all.find(
        (a) =>
          a.type === type &&
          a.entity_id === entity &&
          parseIsoInstant(a.opened_at) >= fromMs &&
          parseIsoInstant(a.opened_at) <= toMs,
      );

    // slackMs: how long after the incident the alert may open (last gasps spread over seconds);
    // mergeMs: how long before it an open alert of the same type and meter absorbs it (EVENT alerts
    // stay open AMI_ALERT_EVENT_HOLD_S, and a repeat while open is merged into the open alert).
    const expected: { type: string; entity: string; atMs: number; slackMs: number; mergeMs: number }[] = [];
    for (const f of faults) {
      if (f.fault === 'outage' && recent(f.from)) {
        expected.push({
          type: 'TRANSFORMER_OUTAGE',
          entity: f.transformer_id!,
          atMs: parseIsoInstant(f.from!),
          slackMs: 60_000,
          mergeMs: 0,
        });
        for (const m of f.meter_ids ?? [])
          expected.push({
            type: 'POWER_OUTAGE',
            entity: m,
            atMs: parseIsoInstant(f.from!),
            slackMs: 60_000,
            mergeMs: 0,
          });
      }
      if (f.fault === 'tamper' && recent(f.event_ts))
        expected.push({
          type: f.event_code === 2048 ? 'TAMPER_COVER_OPEN' : 'TAMPER_MAGNETIC',
          entity: f.meter_id!,
          atMs: parseIsoInstant(f.event_ts!),
          slackMs: 0,
          mergeMs: EVENT_HOLD_MS,
        });
      if (f.fault === 'reverse_energy' && recent(f.event_ts))
        expected.push({
          type: 'REVERSE_ENERGY_FLOW',
          entity: f.meter_id!,
          atMs: parseIsoInstant(f.event_ts!),
          slackMs: 0,
          mergeMs: EVENT_HOLD_MS,
        });
    }
    expect(expected.filter((e) => e.type === 'TRANSFORMER_OUTAGE').length).toBeGreaterThan(0);
    for (const e of expected)
      expect(
        find(e.type, e.entity, e.atMs - e.mergeMs, e.atMs + e.slackMs),
        `${e.type} ${e.entity} at ${new Date(e.atMs).toISOString()}`,
      ).toBeDefined();

    // Communication loss: a gap of ≥ 4 intervals on a transformer without an outage then.
    const outageOf = new Map<string, { from: number; to: number }[]>();
    for (const f of faults.filter((x) => x.fault === 'outage'))
      for (const m of f.meter_ids ?? [])
        outageOf.set(m, [
          ...(outageOf.get(m) ?? []),
          {
            from: parseIsoInstant(f.first_interval_start!),
            to: parseIsoInstant(f.first_interval_start!) + f.intervals! * INTERVAL_MS,
          },
        ]);
    const gaps = faults
      .filter((f) => f.fault === 'gap')
      .map((f) => ({ meter: f.meter_id!, starts: (f.interval_starts ?? []).map((s) => parseIsoInstant(s)) }));
    for (const g of gaps) {
      const first = g.starts[0]!;
      const overlapsOutage = (outageOf.get(g.meter) ?? []).some(
        (o) => o.from <= g.starts.at(-1)! && o.to > first,
      );
      if (
        g.starts.length >= 4 &&
        first >= recentFromMs &&
        g.starts.at(-1)! < todayStartMs - 4 * INTERVAL_MS &&
        !overlapsOutage
      )
        expect(
          find('METER_COMM_LOSS', g.meter, first, first),
          `METER_COMM_LOSS ${g.meter} at ${new Date(first).toISOString()}`,
        ).toBeDefined();
    }

    // None spurious: every incident-type alert matches an injected incident.
    const incidentTypes = new Set([
      'TRANSFORMER_OUTAGE',
      'POWER_OUTAGE',
      'TAMPER_COVER_OPEN',
      'TAMPER_MAGNETIC',
      'REVERSE_ENERGY_FLOW',
    ]);
    for (const a of alerts) {
      const at = parseIsoInstant(a.opened_at);
      if (incidentTypes.has(a.type)) {
        expect(
          expected.some(
            (e) => e.type === a.type && e.entity === a.entity_id && at >= e.atMs && at <= e.atMs + e.slackMs,
          ),
          `spurious ${a.id}`,
        ).toBe(true);
      }
      if (a.type === 'METER_COMM_LOSS')
        expect(
          gaps.some((g) => g.meter === a.entity_id && g.starts.includes(at)),
          `spurious ${a.id}`,
        ).toBe(true);
    }
  });

  it('rebuilds a late correction after publication: new value, new version, a restatement notice', async () => {
    // A clean, actual interval of the day before yesterday.
    const meter = fleet.meters.find((m) => {
      const p = authoritative.get(m.meterId)!.points[40]!;
      return (
        p.quality?.actual === 1 &&
        (p.kwh ?? -1) >= 0 &&
        !corrupted.has(`${m.meterId}|${parseIsoInstant(p.start)}`)
      );
    })!;
    const row = topology.find((t) => t.meter_id === meter.meterId)!;
    const before = authoritative.get(meter.meterId)!;
    const startMs = parseIsoInstant(before.points[40]!.start);
    const newWh = Math.round(before.points[40]!.kwh! * 1000) + 111;
    const catalogBefore = (await get<{ version: string }>('/v1/catalog', 'operator')).body.version;
    const read = {
      meter_id: row.meter_id,
      service_point_id: row.service_point_id,
      customer_id: row.customer_id,
      transformer_id: row.transformer_id,
      feeder_id: row.feeder_id,
      read_type: 'INTERVAL',
      interval_start: formatIsoOffset(startMs, TZ),
      interval_end: formatIsoOffset(startMs + INTERVAL_MS, TZ),
      consumption_kwh: newWh / 1000,
      delivered_kwh: newWh / 1000,
      received_kwh: 0,
      voltage_v: 231.5,
      power_quality_code: 0,
      estimated_flag: false,
      read_ts: formatIsoOffset(Date.now() - 1000, TZ),
    };
    const kafka = createKafka(config());
    const producer = kafka.producer();
    await sendMessages(producer, env.AMI_TOPIC_READS!, [{ key: row.meter_id, value: JSON.stringify(read) }]);
    await producer.close();

    const after = await until(
      'the corrected value in the API',
      async () => {
        const s = await meterSeries(meter.meterId);
        const p = s.points.find((x) => parseIsoInstant(x.start) === startMs);
        return p && Math.round((p.kwh ?? 0) * 1000) === newWh ? s : undefined;
      },
      300_000,
      { everyMs: 2000 },
    );
    expect(after.version).not.toBe(before.version);
    expect(after.points.find((x) => parseIsoInstant(x.start) === startMs)).toMatchObject({
      status: 'authoritative',
      quality: { actual: 1 },
    });
    const catalogAfter = (await get<{ version: string }>('/v1/catalog', 'operator')).body.version;
    expect(catalogAfter).not.toBe(catalogBefore);

    // The restatement notice (the billing interface) names the day and the service point.
    const consumer = kafka.consumer({ groupId: `${id}-restatements-reader` });
    const stream = await openStream(consumer, {
      topics: [env.AMI_TOPIC_RESTATEMENTS!],
      fallback: 'earliest',
    });
    interface Notice {
      view: string;
      local_date: string;
      affected_service_point_ids: string[];
      cause: string;
      new_version: string;
    }
    const notices: Notice[] = [];
    const stop = new AbortController();
    const reading = pumpBatches(
      stream,
      (batches) => {
        for (const b of batches)
          for (const m of b.records) notices.push(JSON.parse(m.value!.toString()) as Notice);
        return Promise.resolve();
      },
      { maxRecords: 1000, signal: stop.signal },
    );
    const notice = await until(
      'a restatement notice for the corrected day',
      () =>
        Promise.resolve(
          notices.find(
            (n) =>
              n.view === 'intervals_validated' &&
              n.local_date === dayBefore &&
              n.affected_service_point_ids.includes(row.service_point_id),
          ),
        ),
      120_000,
    );
    stop.abort();
    await reading;
    await stream.close();
    await consumer.close();
    expect(notice.cause).toBe('late_data');
  }, 600_000);
});
