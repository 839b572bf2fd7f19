/**
 * The platform's processes (as `pnpm ami up` starts them: same process table, same supervisor) on
 * the shared local Kafka/Redis/MinIO, isolated from everything else — own topics, consumer groups,
 * Redis key prefixes, S3 prefixes, queue and free ports (test/support/platform.ts) — for the
 * benchmarks and the soak run. `cleanup()` removes the run's topics, groups and Redis keys (S3 is
 * the caller's: only the archiver and batch worker write there).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  createKafka,
  createRedis,
  deleteKeysMatching,
  ensureTopics,
  platformTopics,
  withAdmin,
} from '@ami/shared/clients';
import { loadConfig, type AmiConfig } from '@ami/shared/config';
import { generateDevKeys } from '@ami/serving-layer';
import {
  platformProcesses,
  readinessUrl,
  waitForHttp,
  type PlatformPorts,
  type PlatformProcess,
} from '../../src/platform/processes.ts';
import { Supervisor } from '../../src/platform/supervisor.ts';
import { freePort, isolatedPlatformEnv } from '../../../../test/support/platform.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

type Kafka = ReturnType<typeof createKafka>;

export interface PlatformRunOptions {
  /** Unique id of the run (≤ 20 characters: Redis key prefixes are at most 32). */
  readonly id: string;
  readonly processes: readonly PlatformProcess[];
  /** Partitions of the reads and events topics. */
  readonly partitions: number;
  /** JSONL topology (AMI_TOPOLOGY_FILE) written into `workDir`. */
  readonly topologyJsonl: string;
  readonly workDir: string;
  readonly logDir: string;
  /** The infrastructure's environment (KAFKA_BROKERS, REDIS_URL, S3_* …); default process.env. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  readonly extraEnv?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

export interface PlatformRun {
  readonly id: string;
  /** Everything the processes got (base + isolation + ports + extra). */
  readonly env: Readonly<Record<string, string>>;
  readonly config: AmiConfig;
  readonly ports: PlatformPorts;
  readonly apiUrl: string;
  readonly supervisor: Supervisor;
  readonly kafka: Kafka;
  /** The development API key of a role (admin, operator, analyst, dashboard …). */
  keyOf(role: string): string;
  /** Consumer groups of the started processes, by process name. */
  readonly groups: Readonly<Partial<Record<PlatformProcess, string>>>;
  /** The metrics URL of a process (the API's /metrics for 'api'). */
  metricsUrl(name: PlatformProcess): string;
  stop(): Promise<void>;
  /** Deletes the run's topics, consumer groups and Redis keys (best effort). */
  cleanup(): Promise<void>;
}

export async function startPlatformRun(o: PlatformRunOptions): Promise<PlatformRun> {
  const ports: PlatformPorts = {
    api: await freePort(),
    speedMetrics: await freePort(),
    archiverMetrics: await freePort(),
    batchMetrics: await freePort(),
  };
  const isolation = isolatedPlatformEnv(o.id, o.partitions);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...(o.baseEnv ?? process.env), ...isolation, ...o.extraEnv }))
    if (v !== undefined) env[k] = v;
  const config = loadConfig(env);
  const kafka = createKafka(config, { component: `run-${o.id}` });
  await ensureTopics(kafka, platformTopics(config));

  const topologyFile = join(o.workDir, 'topology.jsonl');
  writeFileSync(topologyFile, o.topologyJsonl);
  const keys = generateDevKeys();
  const supervisor = new Supervisor({ cwd: REPO_ROOT, logDir: o.logDir, env, stopGraceMs: 15_000 });
  const specs = platformProcesses({
    ports,
    topologyFile,
    apiKeysJson: JSON.stringify(keys.entries),
    pseudonymSecret: randomBytes(24).toString('base64url'),
  }).filter((s) => o.processes.includes(s.name));
  for (const spec of specs) supervisor.start(spec);
  try {
    for (const spec of specs)
      await waitForHttp(readinessUrl(spec.name, ports), {
        timeoutMs: o.readyTimeoutMs ?? 180_000,
        hint: `log ${join(o.logDir, `${spec.name}.log`)}`,
        alive: () => supervisor.status().find((p) => p.name === spec.name)?.restarts === 0,
      });
  } catch (err) {
    await supervisor.stopAll();
    throw err;
  }
  const groups: Partial<Record<PlatformProcess, string>> = {};
  if (o.processes.includes('speed-layer')) groups['speed-layer'] = isolation.AMI_SPEED_GROUP_ID;
  if (o.processes.includes('archiver')) groups.archiver = isolation.AMI_ARCHIVER_GROUP_ID;
  return {
    id: o.id,
    env,
    config,
    ports,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    supervisor,
    kafka,
    groups,
    keyOf: (role) => {
      const k = keys.keys.find((x) => x.role === role);
      if (k === undefined) throw new Error(`no development key for role ${role}`);
      return k.key;
    },
    metricsUrl: (name) => {
      switch (name) {
        case 'speed-layer':
          return `http://127.0.0.1:${ports.speedMetrics}/metrics`;
        case 'archiver':
          return `http://127.0.0.1:${ports.archiverMetrics}/metrics`;
        case 'batch-worker':
          return `http://127.0.0.1:${ports.batchMetrics}/metrics`;
        case 'api':
          return `http://127.0.0.1:${ports.api}/metrics`;
      }
    },
    stop: () => supervisor.stopAll(),
    cleanup: async () => {
      await withAdmin(kafka, async (admin) => {
        const topics = platformTopics(config).map((t) => t.topic);
        await admin.deleteTopics({ topics }).catch(() => undefined);
        const ids = Object.values(groups);
        if (ids.length > 0) await admin.deleteGroups({ groups: ids }).catch(() => undefined);
      });
      const redis = createRedis(config, { connectionName: `cleanup-${o.id}` });
      try {
        // every isolated key prefix, queue and cursor carries the run id
        await deleteKeysMatching(redis, `*${o.id}*`);
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** A run id: `<tag>-<base36 time>-<4 random>` (unique, short enough for every key prefix). */
export function runId(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}
