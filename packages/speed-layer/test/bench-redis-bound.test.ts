/** The redis-benchmark bound's argument building and output parsing (bench/lib/redis-bound.ts). */
import { describe, expect, it } from 'vitest';
import { parseRedisBenchmarkCsv, redisBenchmarkArgs } from '../bench/lib/redis-bound.ts';

describe('redis-benchmark bound', () => {
  it('connects to the host, port, credentials, TLS and database of REDIS_URL', () => {
    expect(redisBenchmarkArgs('redis://127.0.0.1:6379')).toEqual(['-h', '127.0.0.1', '-p', '6379']);
    expect(redisBenchmarkArgs('rediss://bench:p%40ss@redis.example:6380/2')).toEqual([
      ...['-h', 'redis.example', '-p', '6380', '--user', 'bench', '-a', 'p@ss', '--no-auth-warning'],
      ...['--tls', '--dbnum', '2'],
    ]);
  });
  it('reads requests per second from --csv output', () => {
    const out =
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n' +
      '"SET k:__rand_int__ xxxxxxxxxxxxxxx","626959.25","0.307","0.128","0.287","0.431","0.543","5.223"\n';
    expect(parseRedisBenchmarkCsv(out)).toBe(626_959.25);
    expect(() => parseRedisBenchmarkCsv('ERR unknown command\n')).toThrow(/printed no rate/);
  });
});
