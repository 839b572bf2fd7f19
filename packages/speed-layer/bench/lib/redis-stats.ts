/**
 * Redis server figures around a measured phase: CPU seconds the server used (INFO cpu:
 * used_cpu_sys + used_cpu_user, its main thread and helpers) and commands it executed (INFO
 * commandstats: the sum of `calls`, which counts the commands a Lua script runs as well as the
 * script call itself). The difference of two snapshots divided by the reads of the phase gives
 * redis_cpu_us_per_read and redis_commands_per_read.
 */
import type { RedisClient } from '@ami/shared/clients';

export interface RedisServerStats {
  readonly cpuS: number;
  readonly calls: number;
}

function field(info: string, name: string): number {
  const m = new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info);
  return m === null ? 0 : Number(m[1]);
}

export async function redisServerStats(redis: RedisClient): Promise<RedisServerStats> {
  const cpu = await redis.info('cpu');
  const commands = await redis.info('commandstats');
  let calls = 0;
  for (const m of commands.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) calls += Number(m[1]);
  return { cpuS: field(cpu, 'used_cpu_sys') + field(cpu, 'used_cpu_user'), calls };
}

/** Per-read figures of the phase between `before` and `after` (the two INFO calls not counted). */
export function perRead(
  before: RedisServerStats,
  after: RedisServerStats,
  reads: number,
): { cpuUsPerRead: number; commandsPerRead: number } {
  return {
    cpuUsPerRead: ((after.cpuS - before.cpuS) * 1e6) / reads,
    commandsPerRead: (after.calls - before.calls - 2) / reads,
  };
}
