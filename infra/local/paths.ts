/**
 * Where the local infrastructure keeps things: binaries, data, logs and pid files all live under
 * the cache dir (AMI_CACHE_DIR, default ~/.cache/ami-platform), outside the source tree; the
 * checked-in configuration templates live in infra/.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVICE_NAMES = ['kafka', 'redis', 'minio'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface InfraPaths {
  readonly cacheDir: string;
  /** Built or downloaded executables (MinIO). */
  readonly binDir: string;
  /** One log per service plus the install logs. */
  readonly logsDir: string;
  /** Pid files and the lock. */
  readonly runDir: string;
  readonly lockFile: string;
  readonly mavenRepo: string;
  readonly kafkaDir: string;
  readonly kafkaDataDir: string;
  readonly kafkaServerProperties: string;
  readonly redisDataDir: string;
  readonly minioDataDir: string;
}

export function infraPaths(cacheDir: string): InfraPaths {
  const root = resolve(cacheDir);
  const runDir = join(root, 'run');
  return {
    cacheDir: root,
    binDir: join(root, 'bin'),
    logsDir: join(root, 'logs'),
    runDir,
    lockFile: join(runDir, 'infra.lock'),
    mavenRepo: join(root, 'm2'),
    kafkaDir: join(root, 'kafka'),
    kafkaDataDir: join(root, 'kafka', 'data'),
    kafkaServerProperties: join(root, 'kafka', 'server.properties'),
    redisDataDir: join(root, 'redis'),
    minioDataDir: join(root, 'minio', 'data'),
  };
}

export function pidFileOf(paths: InfraPaths, service: ServiceName): string {
  return join(paths.runDir, `${service}.pid`);
}

export function logFileOf(paths: InfraPaths, service: ServiceName): string {
  return join(paths.logsDir, `${service}.log`);
}

/** Log of a one-time installation step (Maven resolution, MinIO build, apt-get). */
export function installLogOf(paths: InfraPaths, service: ServiceName): string {
  return join(paths.logsDir, `${service}-install.log`);
}

/** The checked-in infra/ directory (templates, pom.xml, redis.conf). */
export const infraSourceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const sourceFiles = {
  kafkaPom: join(infraSourceDir, 'kafka', 'pom.xml'),
  kafkaServerTemplate: join(infraSourceDir, 'kafka', 'server.properties'),
  kafkaLog4j: join(infraSourceDir, 'kafka', 'log4j2.properties'),
  redisConf: join(infraSourceDir, 'redis', 'redis.conf'),
} as const;
