import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@ami/shared/config';
import { infraEnvFromConfig, isExternal } from '../local/env.ts';
import { infraDown, infraStatus } from '../local/infra.ts';
import { kafkaLayout, kafkaVersionFromPom } from '../local/kafka.ts';
import { infraPaths, SERVICE_NAMES, sourceFiles } from '../local/paths.ts';
import {
  freePrivatePorts,
  parsePortRange,
  privateInstanceEnv,
  privatePortRange,
  shareInstalledTools,
} from '../local/private-instance.ts';

const work = mkdtempSync(join(tmpdir(), 'ami-private-instance-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PORTS = { kafka: 29092, kafkaController: 29093, redis: 26379, minio: 29000, minioConsole: 29001 };
const version = kafkaVersionFromPom(readFileSync(sourceFiles.kafkaPom, 'utf8'));

/** A cache dir with a MinIO binary and Kafka jars as `infraUp` leaves them (stamps included or not). */
function fakeInstalled(dir: string, opts: { minioStamp: boolean; kafkaStamp: boolean }): void {
  const paths = infraPaths(dir);
  mkdirSync(paths.binDir, { recursive: true });
  writeFileSync(join(paths.binDir, 'minio'), 'binary');
  if (opts.minioStamp) writeFileSync(join(paths.binDir, 'minio.version'), 'v0\n');
  const layout = kafkaLayout(paths, version);
  mkdirSync(layout.libsDir, { recursive: true });
  writeFileSync(join(layout.libsDir, 'kafka.jar'), 'jar');
  if (opts.kafkaStamp) writeFileSync(layout.stampFile, 'hash\n');
}

describe('privateInstanceEnv', () => {
  const dir = join(work, 'private');
  const env = privateInstanceEnv(dir, PORTS);

  it('points the configuration and every connection setting at the private ports and cache dir', () => {
    const config = loadConfig(env);
    expect(config.runtime.cacheDir).toBe(dir);
    expect(config.connection.kafkaBrokers).toEqual(['127.0.0.1:29092']);
    expect(config.connection.redisUrl).toBe('redis://127.0.0.1:26379');
    expect(config.connection.s3Endpoint).toBe('http://127.0.0.1:29000');
    expect(config.ports).toMatchObject({
      kafkaPort: 29092,
      kafkaControllerPort: 29093,
      redisPort: 26379,
      minioPort: 29000,
      minioConsolePort: 29001,
    });
  });

  it('leaves every service local (managed by infraUp/infraDown), not external', () => {
    const localEnv = infraEnvFromConfig(
      loadConfig({ ...env, KAFKA_BROKERS: undefined, REDIS_URL: undefined, S3_ENDPOINT: undefined }),
    );
    for (const s of SERVICE_NAMES) expect(isExternal(s, env, localEnv), s).toBe(false);
  });

  it('rejects a port used twice', () => {
    expect(() => privateInstanceEnv(dir, { ...PORTS, redis: PORTS.kafka })).toThrow(/must differ/);
  });
});

describe('shareInstalledTools', () => {
  it('links a complete MinIO and Kafka installation, once', () => {
    const from = join(work, 'shared-complete');
    const to = join(work, 'to-complete');
    fakeInstalled(from, { minioStamp: true, kafkaStamp: true });
    const fromPaths = infraPaths(from);
    const toPaths = infraPaths(to);
    const linked = shareInstalledTools(from, to);
    expect(linked.sort()).toEqual(
      [
        join(toPaths.binDir, 'minio'),
        join(toPaths.binDir, 'minio.version'),
        kafkaLayout(toPaths, version).libsDir,
      ].sort(),
    );
    expect(readlinkSync(join(toPaths.binDir, 'minio'))).toBe(join(fromPaths.binDir, 'minio'));
    expect(readFileSync(join(kafkaLayout(toPaths, version).libsDir, 'kafka.jar'), 'utf8')).toBe('jar');
    expect(shareInstalledTools(from, to)).toEqual([]);
  });

  it('links nothing that lacks its stamp (an interrupted installation), and nothing onto itself', () => {
    const from = join(work, 'shared-partial');
    fakeInstalled(from, { minioStamp: false, kafkaStamp: false });
    expect(shareInstalledTools(from, join(work, 'to-partial'))).toEqual([]);
    expect(shareInstalledTools(from, from)).toEqual([]);
  });
});

describe('infraDown / infraStatus with an env', () => {
  const env = privateInstanceEnv(join(work, 'empty'), PORTS);

  it('stops only the services named (nothing runs in an empty cache dir)', async () => {
    expect(await infraDown({ env, services: ['redis'] })).toEqual([
      { service: 'redis', outcome: 'not-running', pid: null },
    ]);
  });

  it('reports the private instance, not the shared one', async () => {
    const statuses = await infraStatus({ env });
    expect(statuses.map((s) => [s.service, s.state, s.address])).toEqual([
      ['kafka', 'stopped', '127.0.0.1:29092'],
      ['redis', 'stopped', 'redis://127.0.0.1:26379'],
      ['minio', 'stopped', 'http://127.0.0.1:29000'],
    ]);
    expect(statuses[1]?.logFile).toBe(join(work, 'empty', 'logs', 'redis.log'));
  });
});

describe('freePrivatePorts', () => {
  it('reads the kernel range and keeps private ports on its larger free side', () => {
    expect(parsePortRange('32768\t60999\n')).toEqual([32768, 60999]);
    expect(parsePortRange('garbage')).toBeNull();
    expect(privatePortRange([32768, 60999])).toEqual([10000, 32767]);
    expect(privatePortRange([10000, 20000])).toEqual([20001, 65535]);
  });

  it('gives distinct ports that can be listened on, none of them ephemeral', async () => {
    const ports = await freePrivatePorts(5);
    expect(new Set(ports).size).toBe(5);
    const range = parsePortRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(10_000);
      if (range) expect(p < range[0] || p > range[1], String(p)).toBe(true);
    }
  });
});
