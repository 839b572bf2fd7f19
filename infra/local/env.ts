/**
 * The connection settings of SPEC 2 as one record, and their rendering as `export NAME='value'`
 * lines that any POSIX shell can `eval`.
 */
import type { AmiConfig, Env } from '@ami/shared/config';
import type { ServiceName } from './paths.ts';

export const INFRA_ENV_NAMES = [
  'KAFKA_BROKERS',
  'REDIS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_BUCKET',
  'AMI_TIMEZONE',
  'API_PORT',
] as const;

export type InfraEnvName = (typeof INFRA_ENV_NAMES)[number];
/** Connection settings by variable name, e.g. `{ KAFKA_BROKERS: '127.0.0.1:9092', … }`. */
export type InfraEnv = Record<InfraEnvName, string>;

export function infraEnvFromConfig(config: AmiConfig): InfraEnv {
  const c = config.connection;
  return {
    KAFKA_BROKERS: c.kafkaBrokers.join(','),
    REDIS_URL: c.redisUrl,
    S3_ENDPOINT: c.s3Endpoint,
    S3_REGION: c.s3Region,
    S3_ACCESS_KEY_ID: c.s3AccessKeyId,
    S3_SECRET_ACCESS_KEY: c.s3SecretAccessKey,
    S3_BUCKET: c.s3Bucket,
    AMI_TIMEZONE: c.timeZone,
    API_PORT: String(c.apiPort),
  };
}

/** POSIX shell single-quoting: safe for every string, including quotes, `$`, newlines. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function renderExports(env: InfraEnv): string {
  return INFRA_ENV_NAMES.map((name) => `export ${name}=${shellQuote(env[name])}\n`).join('');
}

/** The variable whose presence makes a service external (not provisioned locally). */
export const EXTERNAL_VARIABLE: Readonly<Record<ServiceName, InfraEnvName>> = {
  kafka: 'KAFKA_BROKERS',
  redis: 'REDIS_URL',
  minio: 'S3_ENDPOINT',
};

/**
 * A service is external when its variable is set to something other than the address the local
 * service would have. The exception keeps `eval "$(pnpm -s ami infra env)"` followed by
 * `pnpm ami infra up` (or a test run) working: those values point at the local infra itself.
 */
export function isExternal(service: ServiceName, env: Env, localEnv: InfraEnv): boolean {
  const name = EXTERNAL_VARIABLE[service];
  const given = env[name]?.trim();
  if (given === undefined || given === '') return false;
  return normalise(name, given) !== normalise(name, localEnv[name]);
}

function normalise(name: InfraEnvName, value: string): string {
  if (name === 'KAFKA_BROKERS') {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .join(',');
  }
  return value.trim().replace(/\/+$/, '');
}
