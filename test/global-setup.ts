/**
 * Vitest global setup of the integration project: brings the local Kafka, Redis and MinIO up
 * (installing them on first use) or checks the external services named by KAFKA_BROKERS /
 * REDIS_URL / S3_ENDPOINT, then hands the connection settings to every test worker.
 * The services are left running so the next run starts in seconds (`pnpm ami infra down` stops them).
 */
import type { TestProject } from 'vitest/node';
import { ensureInfra } from '@ami/infra';

declare module 'vitest' {
  export interface ProvidedContext {
    infraEnv: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  const env = await ensureInfra({ log: (line) => process.stderr.write(`[infra] ${line}\n`) });
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  project.provide('infraEnv', env);
  process.stderr.write(`[infra] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
