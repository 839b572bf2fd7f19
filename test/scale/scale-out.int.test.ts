/**
 * Scale-out (SPEC 4: "scales out by running more instances in the consumer group; keys are
 * Redis-Cluster safe"): two speed-layer instances in one consumer group and two batch workers on
 * one BullMQ queue, with the archiver and the API, run as `pnpm ami up` runs them — once on a local
 * three-master Redis Cluster (REDIS_CLUSTER_NODES, started here like the other infrastructure) and
 * once on the single Redis. The simulator streams a small fleet over 6 partitions with the faults
 * that lose nothing (duplicates, out-of-order reads, corrections, late reads, malformed and
 * schema-violating extra copies), on days old enough that every correction and late read is valid.
 * Then, exactly:
 *
 *  1. both speed instances own partitions of the reads topic (group assignment) and applied reads;
 *  2. the realtime view, through the API, equals the simulator's truth for every meter and interval,
 *     and for every transformer, feeder, substation and region per 15-minute window (energy in Wh
 *     and meters reported);
 *  3. both batch workers processed build-day jobs of the shared queue, and the published batch views,
 *     through the API, equal the truth for every meter interval (all actual) and grid window;
 *  4. in cluster mode every key of the run lies in the cluster and none in the single Redis.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisClusterUp } from '@ami/infra';
import {
  createKafka,
  createRedis,
  createTopics,
  deleteKeysMatching,
  scanKeys,
  scanTargets,
} from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import type { TopologyRow } from '@ami/shared/contracts';
import { addLocalDays, formatIsoOffset, localDate, localDayBounds, parseIsoInstant } from '@ami/shared/time';
import { generateDevKeys } from '@ami/serving-layer';
import { buildCalendar, buildFleet, topologyJsonl, topologyRows } from '@ami/simulator';
import { behindTarget, endOffsets } from '@ami/cli/platform';
import { platformProcesses, waitForHttp, type PlatformProcess } from '@ami/cli/platform';
import { Supervisor, type ProcessSpec } from '@ami/cli/platform';
import { uniqueName } from '../support/config.ts';
import { freePort, isolatedPlatformEnv, platformTopics } from '../support/platform.ts';
import { until } from '../support/poll.ts';
import type { GridSeriesPoint, MeterSeriesPoint, SeriesResponse } from '../support/api-types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TZ = 'Europe/Stockholm';
const METERS = 150;
const DAYS = 2;
const PARTITIONS = 6;
const SEED = 11;
const INTERVAL_MS = 900_000;
const LEVELS = ['transformer', 'feeder', 'substation', 'region'] as const;
type Level = (typeof LEVELS)[number];

type MeterPoint = MeterSeriesPoint;
type GridPoint = GridSeriesPoint;
type Series<P> = SeriesResponse<P>;

/** Sum of a counter's samples in a Prometheus text exposition, over the label sets `match` accepts. */
async function scrapeCounter(port: number, name: string, match: (labels: string) => boolean = () => true) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm')))
    if (match(m[1] ?? '')) sum += Number(m[2]);
  return sum;
}

type Mode = 'redis-cluster' | 'single-redis';

describe.each<Mode>(['redis-cluster', 'single-redis'])(
  'two speed layers and two batch workers on %s',
  (mode) => {
    const id = uniqueName(mode === 'redis-cluster' ? 'scalec' : 'scales');
    const work = mkdtempSync(join(tmpdir(), 'ami-scale-'));
    const logDir = join(ROOT, 'test-artifacts', 'scale-logs', mode);
    const keys = generateDevKeys();
    const key = (role: string) => keys.keys.find((k) => k.role === role)!.key;
    const today = localDate(Date.now(), TZ);
    // Old enough that every correction (≤ 2 days later) and late read (≤ 3 days later) has a past read_ts.
    const firstDay = addLocalDays(today, -6);
    const lastDay = addLocalDays(firstDay, DAYS - 1);
    const fromMs = localDayBounds(firstDay, TZ).startMs;
    const toMs = localDayBounds(lastDay, TZ).endMs;
    const fleet = buildFleet(SEED, METERS, buildCalendar(firstDay, 1, TZ).startMs);
    const topology = topologyRows(fleet);
    const truth = new Map<string, number>(); // meter|startMs → Wh
    const faultCounts = new Map<string, number>();
    const provisional = {
      meters: new Map<string, Series<MeterPoint>>(),
      grid: new Map<string, Series<GridPoint>>(),
    };
    const authoritative = {
      meters: new Map<string, Series<MeterPoint>>(),
      grid: new Map<string, Series<GridPoint>>(),
    };
    /** Partitions of the reads topic per speed-group member. */
    let assignment: number[][] = [];
    const applied: Record<string, number> = {};
    const builds: Record<string, number> = {};
    const jobsDone: Record<string, number> = {};
    let clusterNodes = '';
    let keysPerMaster: number[] = [];
    let keysInSingle = -1;
    let env: Record<string, string>;
    let supervisor: Supervisor | undefined;
    let api: string;
    const config = () => loadConfig({ ...process.env, ...env });
    const ports: Record<string, number> = {};

    const get = async <T>(path: string, role: string): Promise<T> => {
      const res = await fetch(`${api}${path}`, { headers: { 'x-api-key': key(role) } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    const range = new URLSearchParams({
      from: formatIsoOffset(fromMs, TZ),
      to: formatIsoOffset(toMs, TZ),
      step: '15m',
    }).toString();
    const entities = (level: Level): string[] => {
      const field = {
        transformer: 'transformer_id',
        feeder: 'feeder_id',
        substation: 'substation_id',
        region: 'region',
      }[level] as keyof TopologyRow;
      return [...new Set(topology.map((r) => String(r[field])))].sort();
    };
    const readAll = async (into: typeof provisional) => {
      for (const m of fleet.meters)
        into.meters.set(m.meterId, await get(`/v1/meters/${m.meterId}/series?${range}`, 'analyst'));
      for (const level of LEVELS)
        for (const e of entities(level))
          into.grid.set(
            `${level}|${e}`,
            await get(`/v1/grid/${level}/${encodeURIComponent(e)}/series?${range}`, 'analyst'),
          );
    };

    beforeAll(async () => {
      env = {
        ...inject('infraEnv'),
        ...isolatedPlatformEnv(id, PARTITIONS),
        AMI_TIMEZONE: TZ,
        AMI_API_CACHE_DIR: join(work, 'api-cache'),
        AMI_API_RATE_LIMIT_PER_MIN: '1000000',
        AMI_ARCHIVER_FLUSH_AGE_S: '2',
        AMI_ALERT_MAX_CATCHUP_WINDOWS: '700',
        AMI_BATCH_SWEEP_EVERY_S: '5',
        AMI_BATCH_SWEEP_CLOSE_DELAY_S: '60',
        AMI_BATCH_RELAY_EVERY_S: '5',
        AMI_BATCH_BACKOFF_MS: '1000',
        LOG_LEVEL: 'info',
      };
      if (mode === 'redis-cluster') {
        const cluster = await redisClusterUp({ log: (line) => process.stderr.write(`[infra] ${line}\n`) });
        expect(cluster.state).toBe('ok');
        clusterNodes = cluster.nodesEnv;
        env.REDIS_CLUSTER_NODES = clusterNodes;
        // BullMQ's scripts touch several keys of the queue: one hash tag keeps them in one slot.
        env.AMI_BATCH_KEY_PREFIX = `{${id}-bull}`;
      }
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
      for (const name of ['api', 'speed-1', 'speed-2', 'archiver', 'batch-1', 'batch-2'])
        ports[name] = await freePort();
      const base = platformProcesses({
        ports: {
          api: ports.api!,
          speedMetrics: ports['speed-1']!,
          archiverMetrics: ports.archiver!,
          batchMetrics: ports['batch-1']!,
        },
        topologyFile,
        apiKeysJson: JSON.stringify(keys.entries),
        pseudonymSecret: 'scale-pseudonym-secret-0123456789',
      });
      const spec = (name: PlatformProcess) => base.find((s) => s.name === name)!;
      const instance = (of: PlatformProcess, name: string, extra: Record<string, string>): ProcessSpec => ({
        ...spec(of),
        name,
        env: { ...spec(of).env, ...extra },
      });
      const specs: Record<string, ProcessSpec> = {
        'speed-1': instance('speed-layer', 'speed-1', {}),
        'speed-2': instance('speed-layer', 'speed-2', { AMI_SPEED_METRICS_PORT: String(ports['speed-2']) }),
        archiver: spec('archiver'),
        api: spec('api'),
        'batch-1': instance('batch-worker', 'batch-1', {}),
        // An extra worker: the first one upserts the job schedulers.
        'batch-2': instance('batch-worker', 'batch-2', {
          AMI_BATCH_METRICS_PORT: String(ports['batch-2']),
          AMI_BATCH_SCHEDULE: 'false',
        }),
      };
      api = `http://127.0.0.1:${ports.api}`;
      const ready = async (name: string) => {
        const url = name === 'api' ? `${api}/readyz` : `http://127.0.0.1:${ports[name]}/healthz`;
        await waitForHttp(url, {
          timeoutMs: 120_000,
          hint: `log ${join(logDir, `${name}.log`)}`,
          alive: () => supervisor!.status().find((p) => p.name === name)?.restarts === 0,
        });
      };
      for (const name of ['speed-1', 'speed-2', 'archiver', 'api']) supervisor.start(specs[name]!);
      for (const name of ['speed-1', 'speed-2', 'archiver', 'api']) await ready(name);

      // The speed group settles with both instances before anything is produced.
      const readsTopic = env.AMI_TOPIC_READS!;
      const groupAssignment = async () => {
        const groupId = env.AMI_SPEED_GROUP_ID!;
        const g = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
        if (g?.state !== 'Stable') return undefined;
        const owned = [...g.members.values()].map((m) => m.assignments?.get(readsTopic)?.partitions ?? []);
        return owned.length === 2 && owned.every((p) => p.length > 0) ? owned : undefined;
      };
      await until('both speed instances to own partitions', groupAssignment, 120_000);

      const truthFile = join(work, 'truth.jsonl');
      const sim = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'packages/simulator/src/main.ts',
          ...['--to', 'kafka', '--meters', String(METERS), '--days', String(DAYS), '--start', firstDay],
          ...['--seed', String(SEED), '--truth', truthFile],
          ...['--duplicates', '0.01', '--out-of-order', '0.005', '--corrections', '0.005', '--late', '0.005'],
          ...['--malformed', '0.001', '--schema-violations', '0.001'],
        ],
        { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let simErr = '';
      sim.stderr.on('data', (b: Buffer) => (simErr += b.toString()));
      const simCode = await new Promise<number | null>((r) => sim.once('exit', r));
      expect(simCode, simErr).toBe(0);
      for (const line of readFileSync(truthFile, 'utf8').split('\n')) {
        if (line === '') continue;
        const t = JSON.parse(line) as {
          fault?: string;
          meter_id?: string;
          interval_start?: string;
          wh?: number;
        };
        if (t.fault === undefined) truth.set(`${t.meter_id}|${parseIsoInstant(t.interval_start!)}`, t.wh!);
        else faultCounts.set(t.fault, (faultCounts.get(t.fault) ?? 0) + 1);
      }

      const target = await endOffsets(admin, [readsTopic, env.AMI_TOPIC_EVENTS!]);
      for (const group of [env.AMI_SPEED_GROUP_ID!, env.AMI_ARCHIVER_GROUP_ID!])
        await until(
          `${group} to consume everything`,
          async () => ((await behindTarget(admin, group, target)) === 0n ? true : undefined),
          300_000,
        );
      assignment = (await until('the speed group assignment', groupAssignment, 60_000)).map((p) =>
        [...p].sort((a, b) => a - b),
      );
      for (const name of ['speed-1', 'speed-2'])
        applied[name] = await scrapeCounter(ports[name]!, 'ami_speed_reads_applied_total');
      await readAll(provisional);

      // Now the two batch workers: the late-data sweep finds the days dirty and closed. The extra
      // worker is ready first, so both wait for jobs when the first one upserts the schedulers.
      for (const name of ['batch-2', 'batch-1']) {
        supervisor.start(specs[name]!);
        await ready(name);
      }
      await until(
        'the batch watermark to pass the last simulated day',
        async () => {
          const c = await get<{ watermark: string | null }>('/v1/catalog', 'operator');
          return c.watermark !== null && parseIsoInstant(c.watermark) >= toMs ? true : undefined;
        },
        900_000,
        { everyMs: 3000 },
      );
      for (const name of ['batch-1', 'batch-2']) {
        builds[name] = await scrapeCounter(ports[name]!, 'ami_batch_jobs_completed_total', (l) =>
          l.includes('name="build-day"'),
        );
        jobsDone[name] = await scrapeCounter(ports[name]!, 'ami_batch_jobs_completed_total');
      }
      await readAll(authoritative);
      await admin.close();

      // Where the run's keys are: every master of the cluster (or the single Redis).
      const redis = createRedis(config(), { connectionName: 'scale-test' });
      const single = createRedis({
        ...config(),
        connection: { ...config().connection, redisClusterNodes: [] },
      });
      try {
        keysPerMaster = [];
        for (const node of await scanTargets(redis)) {
          let n = 0;
          let cursor = '0';
          do {
            const [next, found] = await node.scan(cursor, 'MATCH', `*${id}*`, 'COUNT', 1000);
            cursor = next;
            n += found.length;
          } while (cursor !== '0');
          keysPerMaster.push(n);
        }
        keysInSingle = 0;
        if (mode === 'redis-cluster')
          for await (const found of scanKeys(single, `*${id}*`)) keysInSingle += found.length;
      } finally {
        single.disconnect();
        redis.disconnect();
      }
    }, 1_800_000);

    afterAll(async () => {
      await supervisor?.stopAll();
      if (env !== undefined) {
        const redis = createRedis(config(), { connectionName: 'scale-test-cleanup' });
        try {
          await deleteKeysMatching(redis, `*${id}*`);
        } finally {
          redis.disconnect();
        }
      }
      rmSync(work, { recursive: true, force: true });
    }, 120_000);

    it('streamed the faults that lose nothing, over the whole fleet', () => {
      expect(truth.size).toBe((METERS * (toMs - fromMs)) / INTERVAL_MS);
      for (const f of [
        'duplicate',
        'out_of_order',
        'correction',
        'late',
        'malformed_json',
        'schema_violation',
      ])
        expect(faultCounts.get(f) ?? 0, f).toBeGreaterThan(0);
    });

    it('gave both speed instances partitions of the reads topic, and both applied reads', () => {
      expect(assignment).toHaveLength(2);
      expect(assignment.flat().sort((a, b) => a - b)).toEqual(
        Array.from({ length: PARTITIONS }, (_, p) => p),
      );
      for (const owned of assignment) expect(owned.length).toBeGreaterThan(0);
      expect(applied['speed-1']).toBeGreaterThan(0);
      expect(applied['speed-2']).toBeGreaterThan(0);
      process.stderr.write(
        `[scale ${mode}] partitions ${JSON.stringify(assignment)}; reads applied ${JSON.stringify(applied)}\n`,
      );
    });

    const meterTotals = (series: Map<string, Series<MeterPoint>>, status: MeterPoint['status']) => {
      let compared = 0;
      let servedWh = 0;
      let truthWh = 0;
      for (const [meter, s] of series) {
        expect(s.points).toHaveLength((toMs - fromMs) / INTERVAL_MS);
        for (const p of s.points) {
          const k = `${meter}|${parseIsoInstant(p.start)}`;
          const wh = p.kwh === null ? null : Math.round(p.kwh * 1000);
          expect({ k, status: p.status, wh }).toEqual({ k, status, wh: truth.get(k) });
          if (status === 'authoritative') expect({ k, actual: p.quality?.actual }).toEqual({ k, actual: 1 });
          servedWh += wh ?? 0;
          truthWh += truth.get(k) ?? 0;
          compared++;
        }
      }
      return { compared, servedWh, truthWh };
    };

    const gridTotals = (series: Map<string, Series<GridPoint>>, status: GridPoint['status']) => {
      const fieldOf = {
        transformer: 'transformer_id',
        feeder: 'feeder_id',
        substation: 'substation_id',
        region: 'region',
      };
      let compared = 0;
      for (const level of LEVELS) {
        const field = fieldOf[level] as keyof TopologyRow;
        for (const e of entities(level)) {
          const meters = topology.filter((r) => String(r[field]) === e).map((r) => r.meter_id);
          const s = series.get(`${level}|${e}`)!;
          expect(s.points).toHaveLength((toMs - fromMs) / INTERVAL_MS);
          for (const p of s.points) {
            const t = parseIsoInstant(p.start);
            const wh = meters.reduce((sum, m) => sum + truth.get(`${m}|${t}`)!, 0);
            expect({
              level,
              e,
              start: p.start,
              status: p.status,
              wh: Math.round(p.kwh! * 1000),
              reported: p.meters_reported,
            }).toEqual({
              level,
              e,
              start: p.start,
              status,
              wh,
              reported: meters.length,
            });
            compared++;
          }
        }
      }
      return compared;
    };

    it('serves a realtime view equal to the truth: every meter interval and every grid window', () => {
      const m = meterTotals(provisional.meters, 'provisional');
      expect(m.compared).toBe(truth.size);
      expect(m.servedWh).toBe(m.truthWh);
      const g = gridTotals(provisional.grid, 'provisional');
      process.stderr.write(
        `[scale ${mode}] realtime: ${m.compared} meter intervals, total ${m.servedWh} Wh = truth ${m.truthWh} Wh; ${g} grid windows equal\n`,
      );
    });

    it('had both batch workers build days from the shared queue', () => {
      expect(builds['batch-1']).toBeGreaterThan(0);
      expect(builds['batch-2']).toBeGreaterThan(0);
      expect(builds['batch-1']! + builds['batch-2']!).toBeGreaterThanOrEqual(DAYS);
      process.stderr.write(
        `[scale ${mode}] build-day jobs ${JSON.stringify(builds)}; all jobs ${JSON.stringify(jobsDone)}\n`,
      );
    });

    it('publishes batch views equal to the truth: every meter interval actual and every grid window', () => {
      const m = meterTotals(authoritative.meters, 'authoritative');
      expect(m.compared).toBe(truth.size);
      expect(m.servedWh).toBe(m.truthWh);
      const g = gridTotals(authoritative.grid, 'authoritative');
      process.stderr.write(
        `[scale ${mode}] batch: ${m.compared} meter intervals, total ${m.servedWh} Wh = truth ${m.truthWh} Wh; ${g} grid windows equal\n`,
      );
    });

    it.runIf(mode === 'redis-cluster')(
      'kept every key of the run in the cluster, none in the single Redis',
      () => {
        expect(clusterNodes.split(',')).toHaveLength(3);
        expect(keysPerMaster).toHaveLength(3);
        expect(keysPerMaster.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        expect(keysInSingle).toBe(0);
        process.stderr.write(
          `[scale ${mode}] keys of the run per master: ${JSON.stringify(keysPerMaster)}\n`,
        );
      },
    );
  },
);
