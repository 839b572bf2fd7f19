// The script loader of @ami/shared/clients against the real Redis: a script read from its .lua file
// runs with KEYS and ARGV in order, has a Buffer variant, survives SCRIPT FLUSH (ioredis reloads it
// on NOSCRIPT), and a name stands for one script only.
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, redisScript, redisScriptFromSource } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';

describe('redisScript against real Redis', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'shared-redis-scripts-it' });
  const prefix = uniqueName('scripts');
  const key = (name: string) => `{${prefix}}:${name}`;

  afterAll(async () => {
    await redis.del(key('a'), key('b'));
    redis.disconnect();
  });

  it('runs a script from its .lua file with KEYS then ARGV, as strings and as Buffers', async () => {
    const echo = redisScriptFromSource(
      'amiTestEchoKeysArgs',
      "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}",
    );
    expect(await echo.run(redis, [key('a'), key('b')], ['x', 7])).toEqual([key('a'), key('b'), 'x', '7']);
    expect(await redis.get(key('a'))).toBe('x');
    const asBuffers = await echo.runBuffer(redis, [key('a'), key('b')], ['y', 8]);
    expect(Array.isArray(asBuffers) && (asBuffers as unknown[]).every((v) => Buffer.isBuffer(v))).toBe(true);

    const release = redisScript(
      'amiTestLeaseRelease',
      new URL('../../src/lease/release.lua', import.meta.url),
    );
    expect(release.lua).toContain('redis.call');
  });

  it('reloads the script after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const incr = redisScriptFromSource('amiTestIncrBy', "return redis.call('INCRBY', KEYS[1], ARGV[1])");
    expect(await incr.run(redis, [key('b')], [2])).toBe(2);
    await redis.script('FLUSH');
    expect(await incr.run(redis, [key('b')], [3])).toBe(5);
  });

  it('refuses a second, different script under one name and a name ioredis cannot hold', () => {
    redisScriptFromSource('amiTestOnce', 'return 1');
    expect(() => redisScriptFromSource('amiTestOnce', 'return 1')).not.toThrow();
    expect(() => redisScriptFromSource('amiTestOnce', 'return 2')).toThrow(/two different scripts/);
    expect(() => redisScriptFromSource('ami-test', 'return 1')).toThrow(RangeError);
  });
});
