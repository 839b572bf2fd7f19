/**
 * Local Redis 7 from Debian's redis-server (installed with apt-get when missing and we are
 * root). Config in infra/redis/redis.conf (loopback, AOF on so BullMQ jobs survive restarts);
 * port, data dir, pid file and log file come from the configuration on the command line.
 */
import { mkdirSync } from 'node:fs';
import { createRedis } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { InfraError } from './errors.ts';
import { installLogOf, logFileOf, pidFileOf, sourceFiles } from './paths.ts';
import type { LaunchSpec } from './process.ts';
import type { InfraContext, LocalService } from './service.ts';
import { commandOutput, findExecutable, runLogged } from './tools.ts';

export const MIN_REDIS_MAJOR = 7;

/** The major version in `redis-server --version` output ("Redis server v=7.0.15 …" → 7), or null. */
export function parseRedisMajor(versionOutput: string): number | null {
  const m = /\bv=(\d+)\./.exec(versionOutput);
  return m?.[1] ? Number(m[1]) : null;
}

export interface RedisArgsInput {
  readonly confFile: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export function redisArgs(v: RedisArgsInput): string[] {
  return [
    v.confFile,
    '--port',
    String(v.port),
    '--dir',
    v.dataDir,
    '--pidfile',
    v.pidFile,
    '--logfile',
    v.logFile,
  ];
}

async function installWithApt(ctx: InfraContext): Promise<void> {
  const aptGet = findExecutable('apt-get');
  if (aptGet === null || process.getuid?.() !== 0) {
    throw new InfraError(
      '`redis-server` is not on PATH; install Redis 7 (as root: apt-get install -y redis-server), ' +
        'or point REDIS_URL at a running Redis',
    );
  }
  ctx.log('redis-server is missing: installing it with apt-get (Debian package redis-server)');
  const opts = { logFile: installLogOf(ctx.paths, 'redis'), env: { DEBIAN_FRONTEND: 'noninteractive' } };
  await runLogged(aptGet, ['update'], { ...opts, what: 'apt-get update' });
  await runLogged(aptGet, ['install', '-y', '--no-install-recommends', 'redis-server'], {
    ...opts,
    what: 'apt-get install redis-server',
  });
}

/** The redis-server binary (installed with apt-get when missing and we are root), checked for Redis 7+. */
export async function requireRedisServer(ctx: InfraContext): Promise<string> {
  let bin = findExecutable('redis-server');
  if (bin === null) {
    await installWithApt(ctx);
    bin = findExecutable('redis-server');
    if (bin === null) throw new InfraError('apt-get installed redis-server, but it is still not on PATH');
  }
  const major = parseRedisMajor(await commandOutput(bin, ['--version']));
  if (major === null || major < MIN_REDIS_MAJOR) {
    throw new InfraError(
      `${bin} is Redis ${major ?? '(unknown version)'}; the platform needs Redis ${MIN_REDIS_MAJOR}+`,
    );
  }
  return bin;
}

async function ping(config: AmiConfig): Promise<boolean> {
  // Always the single Redis of REDIS_URL, also when REDIS_CLUSTER_NODES points the platform at a cluster.
  const single = { ...config, connection: { ...config.connection, redisClusterNodes: [] } };
  const client = createRedis(single, {
    connectionName: 'ami-infra-health',
    overrides: {
      lazyConnect: true,
      connectTimeout: 1_000,
      commandTimeout: 2_000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    },
  });
  client.on('error', () => undefined); // failures are the answer here, not noise for the console
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisService: LocalService = {
  name: 'redis',
  address: (ctx) => ctx.config.connection.redisUrl,
  ports: (ctx) => [ctx.config.ports.redisPort],
  markers: (ctx) => [ctx.paths.redisDataDir],
  async prepare(ctx): Promise<LaunchSpec> {
    const bin = await requireRedisServer(ctx);
    mkdirSync(ctx.paths.redisDataDir, { recursive: true });
    return {
      command: bin,
      args: redisArgs({
        confFile: sourceFiles.redisConf,
        port: ctx.config.ports.redisPort,
        dataDir: ctx.paths.redisDataDir,
        pidFile: pidFileOf(ctx.paths, 'redis'),
        logFile: logFileOf(ctx.paths, 'redis'),
      }),
      cwd: ctx.paths.redisDataDir,
    };
  },
  isHealthy: (ctx) => ping(ctx.config),
  isReachable: (ctx) => ping(ctx.config),
  provision: () => Promise.resolve('ready'),
  startTimeoutMs: 30_000,
  stopGraceMs: 15_000,
};
