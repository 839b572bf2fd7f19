import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@ami/shared/config';
import { INFRA_ENV_NAMES, infraEnvFromConfig, isExternal, renderExports, shellQuote } from '../local/env.ts';

const localEnv = infraEnvFromConfig(loadConfig({}));

describe('shellQuote', () => {
  it('single-quotes and escapes embedded single quotes', () => {
    expect(shellQuote('abc')).toBe("'abc'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });

  it('round-trips any string through a real POSIX shell', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
        (value) => {
          const echoed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(value)}`], {
            encoding: 'utf8',
          });
          expect(echoed).toBe(value);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('renderExports', () => {
  it('prints one export line per connection setting, in the documented order', () => {
    const text = renderExports(localEnv);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => /^export ([A-Z0-9_]+)=/.exec(l)?.[1])).toEqual([...INFRA_ENV_NAMES]);
    expect(lines[0]).toBe("export KAFKA_BROKERS='127.0.0.1:9092'");
    expect(text.endsWith('\n')).toBe(true);
  });

  it('is read back unchanged by sh', () => {
    const env = { ...localEnv, S3_SECRET_ACCESS_KEY: `se'cr$et "x" \\n` };
    const script = `${renderExports(env)}printf '%s' "$S3_SECRET_ACCESS_KEY"`;
    expect(execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: {} })).toBe(
      env.S3_SECRET_ACCESS_KEY,
    );
  });
});

describe('infraEnvFromConfig', () => {
  it('maps the configuration defaults to the SPEC 2 variables', () => {
    expect(localEnv).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      REDIS_URL: 'redis://127.0.0.1:6379',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'amiadmin',
      S3_SECRET_ACCESS_KEY: 'amiadmin-dev-secret',
      S3_BUCKET: 'ami-lake',
      AMI_TIMEZONE: 'Europe/Stockholm',
      API_PORT: '8080',
    });
  });

  it('follows the local port settings', () => {
    const env = infraEnvFromConfig(loadConfig({ AMI_KAFKA_PORT: '19092', AMI_REDIS_PORT: '16379' }));
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:19092');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:16379');
  });
});

describe('isExternal', () => {
  it('is false when the variable is unset or empty', () => {
    expect(isExternal('kafka', {}, localEnv)).toBe(false);
    expect(isExternal('redis', { REDIS_URL: '' }, localEnv)).toBe(false);
    expect(isExternal('minio', { S3_ENDPOINT: '  ' }, localEnv)).toBe(false);
  });

  it('is true when the variable names another endpoint', () => {
    expect(isExternal('kafka', { KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092' }, localEnv)).toBe(true);
    expect(isExternal('redis', { REDIS_URL: 'redis://localhost:6379' }, localEnv)).toBe(true);
    expect(isExternal('minio', { S3_ENDPOINT: 'https://s3.eu-north-1.amazonaws.com' }, localEnv)).toBe(true);
  });

  it('is false when the variable names the local service itself (output of `infra env`)', () => {
    expect(isExternal('kafka', { KAFKA_BROKERS: ' 127.0.0.1:9092 ' }, localEnv)).toBe(false);
    expect(isExternal('redis', { REDIS_URL: 'redis://127.0.0.1:6379' }, localEnv)).toBe(false);
    expect(isExternal('minio', { S3_ENDPOINT: 'http://127.0.0.1:9000/' }, localEnv)).toBe(false);
  });

  it('only looks at its own variable', () => {
    expect(isExternal('kafka', { REDIS_URL: 'redis://elsewhere:6379' }, localEnv)).toBe(false);
  });
});
