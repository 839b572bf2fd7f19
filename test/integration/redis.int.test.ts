import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../support/config.ts';

describe('Redis (real server)', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'it' });
  const prefix = uniqueName('it');

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('writes and reads strings, hashes and a Lua script result', async () => {
    await redis.set(`${prefix}:s`, 'hello');
    expect(await redis.get(`${prefix}:s`)).toBe('hello');
    await redis.hset(`${prefix}:h`, { a: '1', b: '2' });
    expect(await redis.hgetall(`${prefix}:h`)).toEqual({ a: '1', b: '2' });
    const sum = await redis.eval(
      "return redis.call('HINCRBY', KEYS[1], 'a', ARGV[1]) + redis.call('HINCRBY', KEYS[1], 'b', ARGV[1])",
      1,
      `${prefix}:h`,
      '10',
    );
    expect(sum).toBe(23);
  });

  it('runs with AOF persistence on (BullMQ jobs must survive a restart)', async () => {
    const res = await redis.config('GET', 'appendonly');
    expect(res).toEqual(['appendonly', 'yes']);
    const info = await redis.info('server');
    expect(info).toMatch(/redis_version:7\./);
  });
});
