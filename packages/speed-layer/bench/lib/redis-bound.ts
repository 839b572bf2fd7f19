/**
 * Bench bound for the speed layer's Redis work, measured with `redis-benchmark` (Debian's
 * redis-tools) against the same Redis in the same run, at the speed layer's own depth: one call
 * carries AMI_SPEED_CHUNK_MESSAGES reads, AMI_SPEED_CONCURRENT_PARTITIONS calls are in flight.
 *  - lua: EVALSHA of a script that writes one 15-byte interval slot (SETRANGE, the slot size of
 *    the realtime view's layout) per read into a meter-day string, `chunk` reads per call, with
 *    `concurrency` clients → reads/s = calls/s × chunk. The script does only the writes the
 *    apply script cannot avoid, so it bounds what one script per chunk can reach.
 *  - set: SET of 15-byte values pipelined `chunk` deep with `concurrency` clients → ops/s (what
 *    Redis takes for one plain write per read when nothing is computed).
 * Keys live under a fresh prefix and are deleted after. Returns null figures (with the reason on
 * stderr) when redis-benchmark is not installed or Redis is a cluster.
 */
import { spawnSync } from 'node:child_process';
import { deleteKeysMatching, isCluster, type RedisClient } from '@ami/shared/clients';
import { perRead, redisServerStats } from './redis-stats.ts';

export interface RedisBoundFigures {
  readonly luaReadsPerS: number | null;
  readonly setOpsPerS: number | null;
  /** Redis server CPU (user + sys, INFO cpu) per SET of that run, µs: the bound of redis_cpu_us_per_read. */
  readonly setCpuUsPerOp: number | null;
  readonly chunk: number;
  readonly concurrency: number;
}

const SLOT_VALUE = 'x'.repeat(15);
/** Slots per meter-day string (96 quarter hours), as the layout keeps them. */
const SLOTS = 96;
const BOUND_LUA = `local n = tonumber(ARGV[2])
for i = 0, n - 1 do
  redis.call('SETRANGE', KEYS[1] .. ':' .. math.floor(i / ${SLOTS}), (i % ${SLOTS}) * 15, ARGV[1])
end
return n`;

/** redis-benchmark's connection arguments for a redis:// or rediss:// URL. */
export function redisBenchmarkArgs(url: string): string[] {
  const u = new URL(url);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '6379'];
  if (u.username !== '') args.push('--user', decodeURIComponent(u.username));
  if (u.password !== '') args.push('-a', decodeURIComponent(u.password), '--no-auth-warning');
  if (u.protocol === 'rediss:') args.push('--tls');
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') args.push('--dbnum', db);
  return args;
}

/** Requests per second from redis-benchmark's `--csv` output (first data row). */
export function parseRedisBenchmarkCsv(text: string): number {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"') && !l.startsWith('"test"'));
  const cols = lines[0]?.match(/"([^"]*)"/g)?.map((c) => c.slice(1, -1)) ?? [];
  const rps = Number(cols[1]);
  if (!Number.isFinite(rps) || rps <= 0)
    throw new Error(`redis-benchmark printed no rate: ${text.slice(0, 300)}`);
  return rps;
}

function redisBenchmark(url: string, args: string[]): number {
  const r = spawnSync('redis-benchmark', [...redisBenchmarkArgs(url), '--csv', ...args], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`redis-benchmark exited ${r.status}: ${r.stderr}`);
  return parseRedisBenchmarkCsv(r.stdout);
}

export async function measureRedisBound(
  redis: RedisClient,
  redisUrl: string,
  opts: { chunk: number; concurrency: number; calls: number },
): Promise<RedisBoundFigures> {
  const none = {
    luaReadsPerS: null,
    setOpsPerS: null,
    setCpuUsPerOp: null,
    chunk: opts.chunk,
    concurrency: opts.concurrency,
  };
  if (spawnSync('redis-benchmark', ['--version']).error) {
    process.stderr.write('redis bound skipped: redis-benchmark not found (apt-get install redis-tools)\n');
    return none;
  }
  if (isCluster(redis)) {
    process.stderr.write('redis bound skipped: REDIS_CLUSTER_NODES is set (single Redis only)\n');
    return none;
  }
  const prefix = `bench-rb-${process.pid}-${Date.now().toString(36)}`;
  try {
    const sha = String(await redis.script('LOAD', BOUND_LUA));
    const callsPerS = redisBenchmark(redisUrl, [
      '-c',
      String(opts.concurrency),
      '-n',
      String(opts.calls),
      'EVALSHA',
      sha,
      '1',
      `${prefix}:m`,
      SLOT_VALUE,
      String(opts.chunk),
    ]);
    const before = await redisServerStats(redis);
    const setOpsPerS = redisBenchmark(redisUrl, [
      '-c',
      String(opts.concurrency),
      '-P',
      String(opts.chunk),
      '-n',
      String(opts.calls * opts.chunk),
      '-r',
      '100000',
      'SET',
      `${prefix}:s:__rand_int__`,
      SLOT_VALUE,
    ]);
    const sets = opts.calls * opts.chunk;
    const { cpuUsPerRead: setCpuUsPerOp } = perRead(before, await redisServerStats(redis), sets);
    return { ...none, luaReadsPerS: callsPerS * opts.chunk, setOpsPerS, setCpuUsPerOp };
  } finally {
    await deleteKeysMatching(redis, `${prefix}:*`);
  }
}
