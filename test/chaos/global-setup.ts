/**
 * Global setup of the chaos project: a private Kafka, Redis and MinIO, started from their own cache
 * dir (<default cache>/chaos) on free ports, with the binaries linked from the default cache dir.
 * The chaos tests stop, wipe and restart these services; the shared instance the integration tests
 * and other tools use (9092/6379/9000) is never touched. A previous run's services are stopped and
 * its data removed first; this run's are stopped at the end (logs stay in <cache>/chaos/logs).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@ami/shared/config';
import { infraDown, infraUp } from '@ami/infra';
import { freePrivatePorts, privateInstanceEnv, shareInstalledTools } from '@ami/infra/instances';

declare module 'vitest' {
  export interface ProvidedContext {
    chaosEnv: Record<string, string>;
  }
}

const log = (line: string) => process.stderr.write(`[chaos infra] ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  // The default cache dir (AMI_CACHE_DIR or ~/.cache/ami-platform) holds the installed binaries.
  const sharedCache = loadConfig({ HOME: process.env.HOME, AMI_CACHE_DIR: process.env.AMI_CACHE_DIR }).runtime
    .cacheDir;
  const dir = join(sharedCache, 'chaos');
  const envFile = join(dir, 'instance.json');
  if (existsSync(envFile)) {
    const previous = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    for (const r of await infraDown({ env: previous, log }))
      if (r.outcome !== 'not-running') log(`left over from an earlier run: ${r.service} ${r.outcome}`);
  }
  for (const sub of ['kafka', 'redis', 'minio', 'run', 'api-cache', 'batch-worker'])
    rmSync(join(dir, sub), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Outside the ephemeral range: these services restart while clients reconnect (see freePrivatePorts).
  const [kafka, kafkaController, redis, minio, minioConsole] = await freePrivatePorts(5);
  const ports = {
    kafka: kafka!,
    kafkaController: kafkaController!,
    redis: redis!,
    minio: minio!,
    minioConsole: minioConsole!,
  };
  const env = privateInstanceEnv(dir, ports);
  writeFileSync(envFile, `${JSON.stringify(env, null, 2)}\n`);
  const linked = shareInstalledTools(sharedCache, dir);
  if (linked.length > 0) log(`reusing ${linked.length} installed file(s) from ${sharedCache}`);
  const { env: connection } = await infraUp({ env, log });
  const { API_PORT: _apiPort, ...settings } = connection;
  // Every connection setting is given, so nothing from the caller's environment (e.g. an
  // `eval "$(pnpm -s ami infra env)"` of the shared instance, a Redis Cluster) can point a process elsewhere.
  project.provide('chaosEnv', { ...env, ...settings, REDIS_CLUSTER_NODES: '' });
  log(
    `private Kafka ${env.KAFKA_BROKERS}, Redis ${env.REDIS_URL}, MinIO ${env.S3_ENDPOINT} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return async () => {
    await infraDown({ env, log });
  };
}
