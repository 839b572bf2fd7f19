import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  parse,
  readSettings,
  setting,
  settingsTable,
} from '../../src/config/index.ts';

describe('loadConfig', () => {
  it('gives the documented local defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.connection).toMatchObject({
      kafkaBrokers: ['127.0.0.1:9092'],
      redisUrl: 'redis://127.0.0.1:6379',
      s3Endpoint: 'http://127.0.0.1:9000',
      s3Region: 'us-east-1',
      s3Bucket: 'ami-lake',
      timeZone: 'Europe/Stockholm',
      apiPort: 8080,
    });
    expect(c.topics.reads).toBe('ami.headend.reads');
    expect(c.topics.headendPartitions).toBe(6);
    expect(c.topics.partitioner).toBe('murmur2');
  });

  it('takes the head-end partitioner from AMI_KAFKA_PARTITIONER and names the allowed ones', () => {
    for (const p of ['murmur2', 'crc32', 'fnv1a'] as const)
      expect(loadConfig({ AMI_KAFKA_PARTITIONER: p }).topics.partitioner).toBe(p);
    expect(() => loadConfig({ AMI_KAFKA_PARTITIONER: 'consistent_random' })).toThrow(
      /AMI_KAFKA_PARTITIONER="consistent_random": must be one of murmur2, crc32, fnv1a \(librdkafka's consistent_random is crc32\)/,
    );
    expect(() => loadConfig({ AMI_KAFKA_PARTITIONER: 'random' })).toThrow(
      /AMI_KAFKA_PARTITIONER="random": must be one of murmur2, crc32, fnv1a$/m,
    );
  });

  it('derives the default connection URLs from the local port overrides', () => {
    const c = loadConfig({ AMI_KAFKA_PORT: '29092', AMI_REDIS_PORT: '26379', AMI_MINIO_PORT: '29000' });
    expect(c.connection.kafkaBrokers).toEqual(['127.0.0.1:29092']);
    expect(c.connection.redisUrl).toBe('redis://127.0.0.1:26379');
    expect(c.connection.s3Endpoint).toBe('http://127.0.0.1:29000');
    expect(c.ports.kafkaPort).toBe(29092);
  });

  it('takes explicit values over defaults and treats empty strings as unset', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093', AMI_TIMEZONE: 'Asia/Tokyo', API_PORT: '' });
    expect(c.connection.kafkaBrokers).toEqual(['k1:9092', 'k2:9093']);
    expect(c.connection.timeZone).toBe('Asia/Tokyo');
    expect(c.connection.apiPort).toBe(8080);
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadConfig({
        KAFKA_BROKERS: 'no-port',
        REDIS_URL: 'http://wrong-scheme',
        API_PORT: '70000',
        AMI_TIMEZONE: 'Mars/Olympus',
        S3_BUCKET: 'Bad_Bucket',
        S3_SECRET_ACCESS_KEY: 'short',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => p.env).sort();
    expect(problems).toEqual(
      [
        'API_PORT',
        'AMI_TIMEZONE',
        'KAFKA_BROKERS',
        'LOG_LEVEL',
        'REDIS_URL',
        'S3_BUCKET',
        'S3_SECRET_ACCESS_KEY',
      ].sort(),
    );
    expect((err as ConfigError).message).toContain('API_PORT="70000": must be between 1 and 65535');
    expect((err as ConfigError).message).toContain('AMI_TIMEZONE="Mars/Olympus"');
  });

  it('documents every setting in the generated table', () => {
    const table = settingsTable();
    for (const name of [
      'KAFKA_BROKERS',
      'REDIS_URL',
      'S3_ENDPOINT',
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
      'S3_BUCKET',
      'AMI_TIMEZONE',
      'API_PORT',
    ]) {
      expect(table).toContain(`\`${name}\``);
    }
  });
});

describe('parsers', () => {
  it('parse integers, booleans, host lists and enumerations strictly', () => {
    expect(parse.int(1, 10)('7')).toBe(7);
    expect(() => parse.int(1, 10)('7.5')).toThrow('integer');
    expect(() => parse.int(1, 10)('11')).toThrow('between 1 and 10');
    expect(parse.bool('Yes')).toBe(true);
    expect(parse.bool('off')).toBe(false);
    expect(() => parse.bool('maybe')).toThrow();
    expect(parse.hostPortList('[::1]:9092,localhost:1')).toEqual(['[::1]:9092', 'localhost:1']);
    expect(() => parse.hostPortList(' , ')).toThrow('at least one');
    expect(parse.oneOf(['a', 'b'] as const)('b')).toBe('b');
    expect(() => parse.topic('bad topic')).toThrow('Kafka topic');
    expect(parse.number(0, 1)('0.25')).toBe(0.25);
  });

  it('lets packages declare their own settings with the same reporting', () => {
    const spec = {
      lateness: setting('AMI_ALLOWED_LATENESS_MS', 'allowed lateness', '600000', parse.int(0, 86_400_000)),
      storm: setting('AMI_STORM_MODE', 'storm mode', 'false', parse.bool),
    };
    expect(readSettings(spec, {})).toEqual({ lateness: 600000, storm: false });
    expect(() => readSettings(spec, { AMI_ALLOWED_LATENESS_MS: '-1', AMI_STORM_MODE: 'x' })).toThrow(
      /2 problems[\s\S]*AMI_ALLOWED_LATENESS_MS[\s\S]*AMI_STORM_MODE/,
    );
  });
});
