// Cluster mode of the Redis client factory: the setting, the client type it selects and how single-
// Redis options map onto cluster options (no server needed: clients are created lazily).
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import {
  Cluster,
  Redis,
  authFromRedisUrl,
  clusterOptions,
  createRedis,
  isCluster,
} from '../../src/clients/redis.ts';

describe('REDIS_CLUSTER_NODES', () => {
  it('is empty by default and a host:port list when set', () => {
    expect(loadConfig({}).connection.redisClusterNodes).toEqual([]);
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7001, redis-b:7002 ' }).connection.redisClusterNodes,
    ).toEqual(['10.0.0.1:7001', 'redis-b:7002']);
  });

  it('rejects an entry that is not host:port', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7001,b:99999' })).toThrow(ConfigError);
  });
});

describe('createRedis', () => {
  const lazy = { overrides: { lazyConnect: true } };

  it('returns a single-node client without REDIS_CLUSTER_NODES', () => {
    const c = createRedis(loadConfig({}), lazy);
    try {
      expect(c).toBeInstanceOf(Redis);
      expect(isCluster(c)).toBe(false);
    } finally {
      c.disconnect();
    }
  });

  it('returns a cluster client with REDIS_CLUSTER_NODES, BullMQ options on every node', () => {
    const c = createRedis(
      loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002', REDIS_URL: 'redis://:s3cret@x:1' }),
      { ...lazy, forBullMQ: true, connectionName: 'test' },
    );
    try {
      expect(c).toBeInstanceOf(Cluster);
      expect(isCluster(c)).toBe(true);
      if (!isCluster(c)) throw new Error('not a cluster');
      expect(c.options.lazyConnect).toBe(true);
      expect(c.options.redisOptions).toMatchObject({
        maxRetriesPerRequest: null,
        connectionName: 'test',
        password: 's3cret',
      });
    } finally {
      c.disconnect();
    }
  });
});

describe('clusterOptions', () => {
  it('puts connection behaviour on the cluster and the rest on each node', () => {
    const retry = () => null;
    const o = clusterOptions('redis://127.0.0.1:6379', {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      retryStrategy: retry,
      connectTimeout: 1000,
      commandTimeout: 2000,
      maxRetriesPerRequest: 0,
      host: 'ignored',
      port: 1,
      db: 3,
    });
    expect(o).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      clusterRetryStrategy: retry,
    });
    expect(o.redisOptions).toEqual({ connectTimeout: 1000, commandTimeout: 2000, maxRetriesPerRequest: 0 });
  });

  it('takes user, password and TLS from REDIS_URL', () => {
    expect(authFromRedisUrl('rediss://ami:p%40ss@redis.example:6380')).toEqual({
      username: 'ami',
      password: 'p@ss',
      tls: {},
    });
    expect(authFromRedisUrl('redis://127.0.0.1:6379')).toEqual({});
  });
});
