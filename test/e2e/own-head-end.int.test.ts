/**
 * Bring your own head-end (issue 17 item 5): follows docs/user-guide/connect-head-end.md literally,
 * with nothing from the simulator. A utility with its own id scheme (CHI-…), its own topology file,
 * `AMI_TIMEZONE=America/Chicago` (DST dates differ from Europe's) and a head-end whose producer is a
 * librdkafka client on its defaults (`kcat`, CRC32 `consistent_random` partitioner, so
 * `AMI_KAFKA_PARTITIONER=crc32`):
 *
 *  1. topics created, the four processes started with the guide's settings (section 1, 2, 6);
 *  2. November 2026 produced with kcat (its fall-back day 2026-11-01 has 100 quarter-hours), with
 *     duplicates, corrections (later read_ts) and reads the head-end flagged estimated; plus reads of
 *     the last two hours (the realtime view); then `pnpm ami backfill` for November (section 7);
 *  3. the API's answers are compared with values this test computes from its own input, with its own
 *     local-time arithmetic (Intl), not the platform's: energy per interval and per day, the DST day,
 *     quality counts, billing determinants (totals, TOU buckets, max demand, estimated counts, hold);
 *  4. a late read for 2026-06-10 — long before the published range — is published alone by the
 *     late-data sweep, and the watermark and November stay as they were;
 *  5. no read went to the dead-letter topic.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, createTopics, topicMessageCount, withAdmin } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { generateDevKeys } from '@ami/serving-layer';
import { behindTarget, endOffsets } from '@ami/cli/platform';
import { platformProcesses, readinessUrl, waitForHttp, type PlatformPorts } from '@ami/cli/platform';
import { Supervisor } from '@ami/cli/platform';
import { uniqueName } from '../support/config.ts';
import { freePort, isolatedPlatformEnv, platformTopics } from '../support/platform.ts';
import { until } from '../support/poll.ts';
import type { SeriesResponse } from '../support/api-types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TZ = 'America/Chicago';
const Q = 900_000;
/** November 2026 in Chicago: from 2026-11-01 00:00 CDT (−05:00) to 2026-12-01 00:00 CST (−06:00). */
const NOV_START_MS = Date.parse('2026-11-01T05:00:00Z');
const DEC_START_MS = Date.parse('2026-12-01T06:00:00Z');
const FALL_BACK_DAY = '2026-11-01';
const LATE_DAY = '2026-06-10';
/** 2026-06-10 12:00 CDT. */
const LATE_INTERVAL_MS = Date.parse('2026-06-10T17:00:00Z');
const LATE_WH = 432;

interface Meter {
  readonly meterId: string;
  readonly servicePointId: string;
  readonly customerId: string;
  readonly transformerId: string;
  readonly tariff: 'tou' | 'flat';
}

const METERS: Meter[] = Array.from({ length: 8 }, (_, i) => {
  const n = String(i + 1).padStart(4, '0');
  return {
    meterId: `CHI-M-${n}`,
    servicePointId: `CHI-SP-${n}`,
    customerId: `CHI-C-${n}`,
    transformerId: i < 4 ? 'CHI-XF-A' : 'CHI-XF-B',
    tariff: i % 2 === 0 ? 'tou' : 'flat',
  };
});

// ---- the test's own local-time arithmetic (Intl), independent of @ami/shared/time ----

const localParts = new Intl.DateTimeFormat('en-US', {
  timeZone: TZ,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  weekday: 'short',
  timeZoneName: 'longOffset',
});

function local(ms: number): { date: string; hour: number; weekday: string; offset: string } {
  const p = Object.fromEntries(localParts.formatToParts(ms).map((x) => [x.type, x.value]));
  const offset = (p.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), weekday: p.weekday!, offset };
}

/** ISO-8601 with the local offset, as a head-end would write it: 2026-11-01T01:00:00-05:00. */
function isoLocal(ms: number): string {
  const { offset } = local(ms);
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const shifted = new Date(ms + sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000).toISOString().slice(0, 19);
  return `${shifted}${offset}`;
}

/** Default TOU calendar of the platform, as documented: peak = Mon–Fri 06:00–22:00 local, Nov–Mar. */
function isPeak(ms: number): boolean {
  const l = local(ms);
  const month = Number(l.date.slice(5, 7));
  const winter = month >= 11 || month <= 3;
  return winter && !['Sat', 'Sun'].includes(l.weekday) && l.hour >= 6 && l.hour < 22;
}

// ---- the head-end's data ----

/** A deterministic, plausible 15-minute consumption (Wh, 150–900: no VEE rule fires on it). */
function baseWh(meterIndex: number, startMs: number): number {
  const slot = Math.round(startMs / Q);
  return 150 + ((meterIndex * 7919 + slot * 104_729) % 751);
}

interface ReadMessage {
  readonly key: string;
  readonly value: string;
}

function readMessage(
  m: Meter,
  startMs: number,
  wh: number,
  readTsMs: number,
  estimated: boolean,
): ReadMessage {
  const kwh = wh / 1000;
  return {
    key: m.meterId,
    value: JSON.stringify({
      meter_id: m.meterId,
      service_point_id: m.servicePointId,
      customer_id: m.customerId,
      transformer_id: m.transformerId,
      feeder_id: 'CHI-FD-1',
      read_type: 'INTERVAL',
      interval_start: isoLocal(startMs),
      interval_end: isoLocal(startMs + Q),
      consumption_kwh: kwh,
      delivered_kwh: kwh,
      received_kwh: 0,
      voltage_v: 118 + ((startMs / Q) % 40) / 10,
      power_quality_code: 0,
      estimated_flag: estimated,
      read_ts: new Date(readTsMs).toISOString(),
    }),
  };
}

/** Meter 3's reads of 10–14 November are head-end estimates (> 10 % of its month: billing hold). */
function headEndEstimated(meterIndex: number, startMs: number): boolean {
  const day = local(startMs).date;
  if (meterIndex === 2) return day >= '2026-11-10' && day <= '2026-11-14';
  // meter 1: twelve estimated quarter-hours on 5 November (well under the hold share)
  if (meterIndex === 0) return day === '2026-11-05' && local(startMs).hour >= 9 && local(startMs).hour < 12;
  return false;
}

describe('bring your own head-end: the guide followed literally (America/Chicago, kcat, own ids)', () => {
  const id = uniqueName('byo');
  const work = mkdtempSync(join(tmpdir(), 'ami-byo-'));
  const logDir = join(ROOT, 'test-artifacts', 'own-head-end-logs');
  const keys = generateDevKeys();
  const key = (role: string) => keys.keys.find((k) => k.role === role)!.key;
  /** meter|startMs → the value that must win (latest read_ts). */
  const expected = new Map<string, { wh: number; estimated: boolean }>();
  /** meter|startMs of the last two hours (the realtime view's part). */
  const recent = new Map<string, { wh: number; estimated: boolean }>();
  let recentFromMs = 0;
  let recentToMs = 0;
  let produced = 0;
  let novemberMessages = 0;
  let env: Record<string, string>;
  let ports: PlatformPorts;
  let supervisor: Supervisor;
  let api: string;
  let backfillOutput = '';
  const config = () => loadConfig({ ...process.env, ...env });

  const get = async <T>(path: string, role: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${api}${path}`, { headers: { 'x-api-key': key(role) } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const series = async (meter: string, fromMs: number, toMs: number, step: string) => {
    const q = new URLSearchParams({ from: isoLocal(fromMs), to: isoLocal(toMs), step });
    const r = await get<SeriesResponse>(`/v1/meters/${meter}/series?${q.toString()}`, 'analyst');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const catalogWatermark = async () =>
    (await get<{ watermark: string | null }>('/v1/catalog', 'operator')).body.watermark;

  /** Guide section 7 step 1: `kcat -P -b $KAFKA_BROKERS -t <topic> -K '|' -l history.txt`. */
  const produceWithKcat = async (messages: readonly ReadMessage[], file: string): Promise<void> => {
    writeFileSync(file, messages.map((m) => `${m.key}|${m.value}`).join('\n') + '\n');
    const brokers = config().connection.kafkaBrokers.join(',');
    const kcat = spawn('kcat', ['-P', '-b', brokers, '-t', env.AMI_TOPIC_READS!, '-K', '|', '-l', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    kcat.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((r) => kcat.once('exit', r));
    expect(code, `kcat failed: ${err}`).toBe(0);
    produced += messages.length;
  };

  /** Guide section 7 step 2: `pnpm ami backfill --from … --to …` (the CLI, as an operator runs it). */
  const backfill = async (from: string, to: string): Promise<string> => {
    const cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/cli/src/main.ts',
        'backfill',
        '--from',
        from,
        '--to',
        to,
        '--timeout',
        '600',
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    cli.stdout.on('data', (b: Buffer) => (out += b.toString()));
    cli.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((r) => cli.once('exit', r));
    expect(code, out).toBe(0);
    return out;
  };

  beforeAll(async () => {
    ports = {
      api: await freePort(),
      speedMetrics: await freePort(),
      archiverMetrics: await freePort(),
      batchMetrics: await freePort(),
    };
    api = `http://127.0.0.1:${ports.api}`;
    // Guide section 1: the settings decided before the first read.
    env = {
      ...inject('infraEnv'),
      ...isolatedPlatformEnv(id, 4),
      AMI_TIMEZONE: TZ,
      AMI_KAFKA_PARTITIONER: 'crc32',
      AMI_API_CACHE_DIR: join(work, 'api-cache'),
      AMI_API_RATE_LIMIT_PER_MIN: '100000',
      // The late-data sweep publishes the old late day; days closed less than two days ago are left to
      // the backfill (and the reads of the last two hours stay provisional).
      AMI_BATCH_SWEEP_EVERY_S: '5',
      AMI_BATCH_SWEEP_CLOSE_DELAY_S: '172800',
      // No nightly build of yesterday while the test runs (it would publish the recent reads' day).
      AMI_BATCH_NIGHTLY_CRON: '0 3 29 2 *',
      AMI_BATCH_BACKOFF_MS: '1000',
      // Guide section 7: a late read reaches the master dataset within the archiver's flush age.
      AMI_ARCHIVER_FLUSH_AGE_S: '2',
      LOG_LEVEL: 'info',
    };
    // Guide section 2: the topics, created before the head-end produces.
    const kafka = createKafka(config());
    const admin = kafka.admin();
    await createTopics(admin, platformTopics(env));

    // Guide section 5: the topology file.
    const topologyFile = join(work, 'topology.jsonl');
    writeFileSync(
      topologyFile,
      METERS.map((m) =>
        JSON.stringify({
          meter_id: m.meterId,
          service_point_id: m.servicePointId,
          customer_id: m.customerId,
          transformer_id: m.transformerId,
          feeder_id: 'CHI-FD-1',
          substation_id: 'CHI-SS-1',
          region: 'CHI-NORTH',
          segment: 'residential',
          tariff: m.tariff,
          prosumer: false,
          valid_from: '2026-01-01T06:00:00Z',
          valid_to: null,
        }),
      ).join('\n') + '\n',
    );

    // Guide section 6: the four processes, no simulator.
    rmSync(logDir, { recursive: true, force: true });
    supervisor = new Supervisor({ cwd: ROOT, logDir, env: { ...process.env, ...env }, stopGraceMs: 10_000 });
    const specs = platformProcesses({
      ports,
      topologyFile,
      apiKeysJson: JSON.stringify(keys.entries),
      pseudonymSecret: 'byo-pseudonym-secret-0123456789',
    });
    for (const spec of specs) supervisor.start(spec);
    for (const spec of specs)
      await waitForHttp(readinessUrl(spec.name, ports), {
        timeoutMs: 120_000,
        hint: `log ${join(logDir, `${spec.name}.log`)}`,
        alive: () => supervisor.status().find((p) => p.name === spec.name)?.restarts === 0,
      });

    // Guide section 7 step 1: November, oldest first, then duplicates and corrections.
    const history: ReadMessage[] = [];
    const retry: ReadMessage[] = [];
    METERS.forEach((m, i) => {
      for (let t = NOV_START_MS; t < DEC_START_MS; t += Q) {
        const wh = baseWh(i, t);
        const estimated = headEndEstimated(i, t);
        const msg = readMessage(m, t, wh, t + Q + 20_000, estimated);
        history.push(msg);
        expected.set(`${m.meterId}|${t}`, { wh, estimated });
        const slot = t / Q;
        // every 97th quarter-hour sent twice (an identical duplicate: changes nothing)
        if ((slot + i) % 97 === 0) retry.push(msg);
        // every 211th corrected a day later with another value: the correction wins
        if ((slot + i) % 211 === 0) {
          retry.push(readMessage(m, t, wh + 111, t + 86_400_000, false));
          expected.set(`${m.meterId}|${t}`, { wh: wh + 111, estimated: false });
        }
      }
    });
    await produceWithKcat(history, join(work, 'history.txt'));
    await produceWithKcat(retry, join(work, 'retry.txt'));
    novemberMessages = history.length + retry.length;

    // The last two hours (fully past quarter-hours): provisional, in the realtime view.
    recentToMs = Math.floor((Date.now() - 30 * 60_000) / Q) * Q;
    recentFromMs = recentToMs - 8 * Q;
    const live: ReadMessage[] = [];
    METERS.forEach((m, i) => {
      for (let t = recentFromMs; t < recentToMs; t += Q) {
        const estimated = (t / Q + i) % 5 === 0;
        const wh = baseWh(i, t);
        live.push(readMessage(m, t, wh, t + Q + 5_000, estimated));
        recent.set(`${m.meterId}|${t}`, { wh, estimated });
      }
    });
    await produceWithKcat(live, join(work, 'live.txt'));

    // The speed layer has seen everything (so the DLQ check below is complete).
    const target = await endOffsets(admin, [env.AMI_TOPIC_READS!]);
    await until(
      'the speed layer to consume every read',
      async () => ((await behindTarget(admin, env.AMI_SPEED_GROUP_ID!, target)) === 0n ? true : undefined),
      300_000,
    );
    await admin.close();

    // Guide section 7 step 2: build November.
    backfillOutput = await backfill('2026-11-01', '2026-11-30');
  }, 1_200_000);

  afterAll(async () => {
    await supervisor?.stopAll();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('publishes November: the watermark is local midnight of 1 December, Chicago time', async () => {
    expect(Date.parse((await catalogWatermark()) ?? '')).toBe(DEC_START_MS);
  });

  it('reports how many reads the backfill found', () => {
    // every message produced for November (8 meters × 2,884 quarter-hours — the fall-back day has
    // 100 — plus the duplicates and corrections), none missing for any day
    const m = /(\d[\d,]*) reads found over 30 day\(s\)/.exec(backfillOutput);
    expect(m, backfillOutput).not.toBeNull();
    expect(Number(m![1]!.replaceAll(',', ''))).toBe(novemberMessages);
    expect(backfillOutput).not.toMatch(/no reads found/);
  });

  it('serves every November quarter-hour of every meter as the latest read, labelled as sent', async () => {
    for (const m of METERS) {
      const s = await series(m.meterId, NOV_START_MS, DEC_START_MS, '15m');
      expect(s.points).toHaveLength((DEC_START_MS - NOV_START_MS) / Q);
      for (const p of s.points) {
        const t = Date.parse(p.start);
        const want = expected.get(`${m.meterId}|${t}`)!;
        expect({
          meter: m.meterId,
          start: p.start,
          status: p.status,
          wh: Math.round(p.kwh! * 1000),
          q: p.quality,
        }).toEqual({
          meter: m.meterId,
          start: p.start,
          status: 'authoritative',
          wh: want.wh,
          q: {
            actual: want.estimated ? 0 : 1,
            estimated: want.estimated ? 1 : 0,
            edited: 0,
            missing: 0,
            outage: 0,
          },
        });
      }
    }
  });

  it('has 100 quarter-hours on the fall-back day and daily sums equal to the input', async () => {
    for (const [i, m] of METERS.entries()) {
      const s = await series(m.meterId, NOV_START_MS, DEC_START_MS, '1d');
      expect(s.points).toHaveLength(30);
      for (const p of s.points) {
        const day = local(Date.parse(p.start)).date;
        let wh = 0;
        let intervals = 0;
        let estimated = 0;
        for (let t = NOV_START_MS; t < DEC_START_MS; t += Q) {
          if (local(t).date !== day) continue;
          const e = expected.get(`${m.meterId}|${t}`)!;
          wh += e.wh;
          intervals++;
          if (e.estimated) estimated++;
        }
        if (day === FALL_BACK_DAY) expect(intervals).toBe(100);
        expect({ meter: i, day, wh: Math.round(p.kwh! * 1000), estimated: p.quality?.estimated }).toEqual({
          meter: i,
          day,
          wh,
          estimated,
        });
      }
    }
  });

  it('bills November exactly: totals, TOU buckets, max demand, estimated counts and the hold rule', async () => {
    const r = await get<{
      determinants: {
        service_point_id: string;
        total_kwh: number;
        tou: { peak_kwh: number; off_peak_kwh: number; flat_kwh: number };
        max_demand_kw: number | null;
        max_demand_at: string | null;
        intervals: { total: number; estimated: number; edited: number; missing: number; outage: number };
        complete: boolean;
        hold: boolean;
      }[];
    }>('/v1/billing/determinants?period=2026-11', 'billing');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.determinants).toHaveLength(METERS.length);
    for (const m of METERS) {
      let total = 0;
      let peak = 0;
      let maxWh = -1;
      let maxAt = 0;
      let estimated = 0;
      let intervals = 0;
      for (let t = NOV_START_MS; t < DEC_START_MS; t += Q) {
        const e = expected.get(`${m.meterId}|${t}`)!;
        total += e.wh;
        if (isPeak(t)) peak += e.wh;
        if (e.wh > maxWh) [maxWh, maxAt] = [e.wh, t];
        if (e.estimated) estimated++;
        intervals++;
      }
      const d = r.body.determinants.find((x) => x.service_point_id === m.servicePointId)!;
      expect(d, m.servicePointId).toBeDefined();
      const kwh = (wh: number) => Math.round(wh) / 1000;
      expect({
        sp: d.service_point_id,
        total: d.total_kwh,
        peak: d.tou.peak_kwh,
        offPeak: d.tou.off_peak_kwh,
        flat: d.tou.flat_kwh,
        demandKw: d.max_demand_kw,
        demandAt: d.max_demand_at === null ? null : Date.parse(d.max_demand_at),
        intervals: d.intervals,
        complete: d.complete,
        hold: d.hold,
      }).toEqual({
        sp: m.servicePointId,
        total: kwh(total),
        peak: m.tariff === 'tou' ? kwh(peak) : 0,
        offPeak: m.tariff === 'tou' ? kwh(total - peak) : 0,
        flat: m.tariff === 'flat' ? kwh(total) : 0,
        demandKw: (maxWh * 4) / 1000,
        demandAt: maxAt,
        intervals: { total: intervals, estimated, edited: 0, missing: 0, outage: 0 },
        complete: true,
        hold: estimated / intervals > 0.1,
      });
    }
    // the fixture exercises both sides of the hold rule
    expect(r.body.determinants.filter((d) => d.hold).map((d) => d.service_point_id)).toEqual(['CHI-SP-0003']);
  });

  it('serves the last two hours provisionally from the realtime view, head-end estimates labelled', async () => {
    for (const m of METERS) {
      const s = await series(m.meterId, recentFromMs, recentToMs, '15m');
      expect(s.points).toHaveLength(8);
      for (const p of s.points) {
        const want = recent.get(`${m.meterId}|${Date.parse(p.start)}`)!;
        expect({
          start: p.start,
          status: p.status,
          wh: Math.round(p.kwh! * 1000),
          est: p.quality?.estimated,
        }).toEqual({
          start: p.start,
          status: 'provisional',
          wh: want.wh,
          est: want.estimated ? 1 : 0,
        });
      }
    }
  });

  it('sends no read to the dead-letter topic (the crc32 partitioner is the producer’s)', async () => {
    const dead = await withAdmin(createKafka(config()), (admin) =>
      topicMessageCount(admin, env.AMI_TOPIC_READS_DLQ!),
    );
    expect(dead).toBe(0);
  });

  it('publishes a late read for a day long before the range alone; the watermark and November stay', async () => {
    const before = await get<{ determinants: { service_point_id: string; total_kwh: number }[] }>(
      '/v1/billing/determinants?period=2026-11',
      'billing',
    );
    await produceWithKcat(
      [readMessage(METERS[1]!, LATE_INTERVAL_MS, LATE_WH, LATE_INTERVAL_MS + Q + 60_000, false)],
      join(work, 'late.txt'),
    );
    const lateDayStart = Date.parse('2026-06-10T05:00:00Z');
    const lateDayEnd = Date.parse('2026-06-11T05:00:00Z');
    const point = await until(
      `the late-data sweep to publish ${LATE_DAY}`,
      async () => {
        const s = await series(METERS[1]!.meterId, lateDayStart, lateDayEnd, '15m');
        const p = s.points.find((x) => Date.parse(x.start) === LATE_INTERVAL_MS);
        return p?.status === 'authoritative' && p.kwh !== null ? p : undefined;
      },
      300_000,
      { everyMs: 2000 },
    );
    expect({ wh: Math.round(point.kwh! * 1000), actual: point.quality?.actual }).toEqual({
      wh: LATE_WH,
      actual: 1,
    });
    expect(Date.parse((await catalogWatermark()) ?? '')).toBe(DEC_START_MS);
    const after = await get<typeof before.body>('/v1/billing/determinants?period=2026-11', 'billing');
    expect(after.status).toBe(200);
    expect(after.body.determinants.map((d) => [d.service_point_id, d.total_kwh])).toEqual(
      before.body.determinants.map((d) => [d.service_point_id, d.total_kwh]),
    );
    const nov = await series(METERS[1]!.meterId, NOV_START_MS, DEC_START_MS, '1d');
    expect(nov.points.every((p) => p.status === 'authoritative' && p.kwh !== null)).toBe(true);
    expect(produced).toBeGreaterThan(METERS.length * 2884);
  }, 360_000);
});
