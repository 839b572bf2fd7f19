/**
 * @ami/infra: local Kafka, Redis and MinIO without Docker.
 *
 * - `runInfraCli(argv)`: the `pnpm ami infra …` command (argv = arguments after `infra`).
 * - `ensureInfra()`, `infraUp()`, `infraDown()`, `infraStatus()`, `infraEnv()`: the same as an API,
 *   for the integration tests' global setup and other commands.
 * - `ensureChromium()`: a headless Chromium for the dashboard's browser test (Debian's, installed if needed).
 * - `ensureKcat()`: kcat, a librdkafka producer on its defaults, for the tests that play a
 *   third-party head-end (Debian's, installed if needed).
 */
export { runInfraCli, parseInfraArgs, INFRA_HELP, type InfraCommand, type CliIO } from './cli.ts';
export {
  ensureInfra,
  infraUp,
  infraDown,
  infraStatus,
  infraEnv,
  localServicesNotRunning,
  type InfraOptions,
  type InfraUpResult,
  type ServiceState,
  type ServiceStatus,
  type StopResult,
} from './infra.ts';
export { INFRA_ENV_NAMES, renderExports, shellQuote, type InfraEnv, type InfraEnvName } from './env.ts';
export { InfraError, UsageError } from './errors.ts';
export { SERVICE_NAMES, infraPaths, type InfraPaths, type ServiceName } from './paths.ts';
export { MINIO_VERSION } from './minio.ts';
export * from './redis-cluster.ts';
export {
  CHROMIUM_PATH_ENV,
  chromiumVersion,
  ensureChromium,
  findChromium,
  type EnsureChromiumOptions,
} from './chromium.ts';
export { ensureKcat, findKcat, kcatVersion, type EnsureKcatOptions } from './kcat.ts';
