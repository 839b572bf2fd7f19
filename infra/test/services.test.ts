import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@ami/shared/config';
import {
  kafkaBrokerArgs,
  kafkaClusterId,
  kafkaLayout,
  kafkaVersionFromPom,
  parseJavaMajor,
  renderServerProperties,
} from '../local/kafka.ts';
import { MINIO_VERSION, minioArgs, minioEnv } from '../local/minio.ts';
import { infraPaths, sourceFiles } from '../local/paths.ts';
import { parseRedisMajor, redisArgs } from '../local/redis.ts';

function properties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    map.set(t.slice(0, eq), t.slice(eq + 1));
  }
  return map;
}

describe('kafka', () => {
  it('reads the pinned version from infra/kafka/pom.xml', () => {
    expect(kafkaVersionFromPom(readFileSync(sourceFiles.kafkaPom, 'utf8'))).toBe('4.4.0');
    expect(() => kafkaVersionFromPom('<project/>')).toThrow(/kafka\.version/);
  });

  it('pins slf4j 2 and log4j2 next to Kafka in the pom', () => {
    const pom = readFileSync(sourceFiles.kafkaPom, 'utf8');
    expect(pom).toMatch(/<slf4j\.version>2\.0\.17<\/slf4j\.version>/);
    expect(pom).toMatch(/<artifactId>log4j-slf4j2-impl<\/artifactId>/);
  });

  it('parses `java -version` output', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_402"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('command not found')).toBeNull();
  });

  it('renders the checked-in server.properties as a loopback-only KRaft combined node', () => {
    const text = renderServerProperties(readFileSync(sourceFiles.kafkaServerTemplate, 'utf8'), {
      port: 9092,
      controllerPort: 9093,
      dataDir: '/cache/kafka/data',
    });
    const p = properties(text);
    expect(p.get('process.roles')).toBe('broker,controller');
    expect(p.get('node.id')).toBe('1');
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:9093');
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(p.get('controller.listener.names')).toBe('CONTROLLER');
    expect(p.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(p.get('listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT');
    expect(p.get('log.dirs')).toBe('/cache/kafka/data');
    expect(p.get('offsets.topic.replication.factor')).toBe('1');
    expect(p.get('transaction.state.log.replication.factor')).toBe('1');
    expect(p.get('transaction.state.log.min.isr')).toBe('1');
    expect(p.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(p.get('auto.create.topics.enable')).toBe('false');
    expect(text).not.toMatch(/0\.0\.0\.0|\$\{/);
  });

  it('starts the broker with the cached jars and the checked-in log4j2 config', () => {
    const layout = kafkaLayout(infraPaths('/c'), '4.4.0');
    expect(layout.libsDir).toBe('/c/kafka/4.4.0/libs');
    const args = kafkaBrokerArgs(layout.libsDir, '/c/kafka/server.properties');
    expect(args).toContain('-Xmx1g');
    expect(args).toContain(`-Dlog4j2.configurationFile=${sourceFiles.kafkaLog4j}`);
    expect(args.slice(-4)).toEqual([
      '-cp',
      '/c/kafka/4.4.0/libs/*',
      'kafka.Kafka',
      '/c/kafka/server.properties',
    ]);
  });

  it('makes 22-character URL-safe cluster ids that never start with "-"', () => {
    const id = kafkaClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    const draws = [Buffer.from('fb'.repeat(16), 'hex'), Buffer.from('00'.repeat(16), 'hex')];
    // 0xfb… encodes to "-…" in base64url, so the first draw is rejected.
    expect(kafkaClusterId(() => draws.shift() ?? Buffer.alloc(16))).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });
});

describe('redis', () => {
  it('parses `redis-server --version`', () => {
    expect(parseRedisMajor('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toBe(7);
    expect(parseRedisMajor('Redis server v=6.2.6 sha=0')).toBe(6);
    expect(parseRedisMajor('nonsense')).toBeNull();
  });

  it('passes port, dir, pid file and log file on the command line after the config file', () => {
    expect(
      redisArgs({
        confFile: '/src/redis.conf',
        port: 6380,
        dataDir: '/c/redis',
        pidFile: '/c/run/redis.pid',
        logFile: '/c/logs/redis.log',
      }),
    ).toEqual([
      '/src/redis.conf',
      '--port',
      '6380',
      '--dir',
      '/c/redis',
      '--pidfile',
      '/c/run/redis.pid',
      '--logfile',
      '/c/logs/redis.log',
    ]);
  });

  it('ships a loopback, AOF-on config that keeps argv for the /proc check', () => {
    const conf = readFileSync(sourceFiles.redisConf, 'utf8');
    for (const line of [
      'bind 127.0.0.1',
      'protected-mode yes',
      'appendonly yes',
      'appendfsync everysec',
      'set-proc-title no',
    ]) {
      expect(conf.split('\n')).toContain(line);
    }
  });
});

describe('minio', () => {
  it('pins a Go pseudo-version (RELEASE tags are not semver)', () => {
    expect(MINIO_VERSION).toMatch(/^v0\.0\.0-\d{14}-[0-9a-f]{12}$/);
  });

  it('binds API and console to loopback', () => {
    expect(minioArgs({ dataDir: '/c/minio/data', port: 9000, consolePort: 9001 })).toEqual([
      'server',
      '/c/minio/data',
      '--address',
      '127.0.0.1:9000',
      '--console-address',
      '127.0.0.1:9001',
    ]);
  });

  it('uses the S3 credentials as root credentials', () => {
    const config = loadConfig({ S3_ACCESS_KEY_ID: 'k3y', S3_SECRET_ACCESS_KEY: 'secret-123' });
    expect(minioEnv(config)).toEqual({ MINIO_ROOT_USER: 'k3y', MINIO_ROOT_PASSWORD: 'secret-123' });
  });
});
