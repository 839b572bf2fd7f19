// docker-compose.yml cannot run here (no Docker); this keeps it consistent with the local scripts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformTopics } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { kafkaVersionFromPom } from '../local/kafka.ts';
import { infraSourceDir, sourceFiles } from '../local/paths.ts';

const compose = readFileSync(join(infraSourceDir, 'docker-compose.yml'), 'utf8');
const config = loadConfig({});

describe('infra/docker-compose.yml', () => {
  it('runs the Kafka version pinned in the pom', () => {
    const version = kafkaVersionFromPom(readFileSync(sourceFiles.kafkaPom, 'utf8'));
    const images = [...compose.matchAll(/image: apache\/kafka:(\S+)/g)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([version]));
  });

  it('publishes the default ports on loopback only', () => {
    const p = config.ports;
    for (const port of [p.kafkaPort, p.redisPort, p.minioPort, p.minioConsolePort]) {
      expect(compose).toContain(`'127.0.0.1:${port}:${port}'`);
    }
    const published = [...compose.matchAll(/^\s+- '([^']*:\d+:\d+)'$/gm)].map((m) => m[1] ?? '');
    expect(published.every((x) => x.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('uses the default S3 credentials and bucket', () => {
    const c = config.connection;
    expect(compose).toContain(`MINIO_ROOT_USER: ${c.s3AccessKeyId}`);
    expect(compose).toContain(`MINIO_ROOT_PASSWORD: ${c.s3SecretAccessKey}`);
    expect(compose).toContain(`mc mb --ignore-existing ami/${c.s3Bucket}`);
  });

  it('creates the platform topics with the same partition counts', () => {
    const created = [...compose.matchAll(/^\s+create (\S+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    expect(created).toEqual(platformTopics(config).map((t) => [t.topic, t.numPartitions]));
  });

  it('keeps Redis durable (AOF) as infra/redis/redis.conf does', () => {
    expect(compose).toMatch(/image: redis:7\n/);
    expect(compose).toMatch(/--appendonly\n\s+- 'yes'/);
  });
});
