/**
 * @ami/infra/instances — controlling single service instances, for fault-injection tests (the chaos
 * suite): a private Kafka/Redis/MinIO instance on other ports with its own data directory, each
 * service's start/stop, its pid file and whether its process is alive. `pnpm ami infra …` and the
 * integration tests' global setup need only the package root (`@ami/infra`).
 */
export { kafkaService } from './kafka.ts';
export { minioService } from './minio.ts';
export { redisService } from './redis.ts';
export { pidFileOf } from './paths.ts';
export { pidFileState, type PidFileState } from './process.ts';
export { isAlive } from './procfs.ts';
export { isPortOpen } from './service.ts';
export {
  freePrivatePorts,
  privateInstanceEnv,
  shareInstalledTools,
  type PrivatePorts,
} from './private-instance.ts';
