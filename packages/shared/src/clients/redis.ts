/**
 * Redis client factory (ioredis): the single Redis of REDIS_URL or, when REDIS_CLUSTER_NODES is
 * set, a Redis Cluster client (same commands; a command's keys must share one hash slot, which the
 * platform's key layouts guarantee with hash tags). `forBullMQ` sets the options BullMQ requires
 * (maxRetriesPerRequest: null) for blocking connections.
 *
 * SCAN is a per-node command: `scanKeys` walks the keys matching a pattern on the single Redis or
 * on every master of a cluster, and `deleteKeysMatching` removes them one key per command, so it
 * works whatever slots the keys are in.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { AmiConfig } from '../config/index.ts';

export { Cluster, Redis } from 'ioredis';

/** What `createRedis` returns: a single-node client or a cluster client (same command API). */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  readonly connectionName?: string;
  readonly forBullMQ?: boolean;
  /** Options as for a single Redis; in cluster mode they are split into cluster and per-node options. */
  readonly overrides?: RedisOptions;
}

export function createRedis(config: AmiConfig, opts: RedisClientOptions = {}): RedisClient {
  const options: RedisOptions = {
    connectionName: opts.connectionName,
    lazyConnect: false,
    enableAutoPipelining: false,
    ...(opts.forBullMQ ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3 }),
    ...opts.overrides,
  };
  const nodes = config.connection.redisClusterNodes;
  if (nodes.length === 0) return new Redis(config.connection.redisUrl, options);
  return new Cluster([...nodes], clusterOptions(config.connection.redisUrl, options));
}

/** True when `client` talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Credentials and TLS of a redis:// or rediss:// URL, for every node of a cluster. */
export function authFromRedisUrl(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const u = new URL(url);
  return {
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Single-Redis options as cluster options: connection behaviour (lazyConnect, offline queue,
 * auto-pipelining, retry) at the cluster level, the rest (timeouts, retries per request, name)
 * for each node; credentials and TLS from REDIS_URL.
 */
export function clusterOptions(redisUrl: string, options: RedisOptions): ClusterOptions {
  const {
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    retryStrategy,
    port: _port,
    host: _host,
    path: _path,
    sentinels: _sentinels,
    readOnly: _readOnly,
    db: _db,
    himportFieldsets: _himport,
    ...node
  } = options;
  const cluster: ClusterOptions = { lazyConnect, enableOfflineQueue, enableAutoPipelining };
  for (const k of Object.keys(cluster) as (keyof ClusterOptions)[])
    if (cluster[k] === undefined) delete cluster[k]; // left to the cluster defaults
  return {
    ...cluster,
    ...(retryStrategy !== undefined ? { clusterRetryStrategy: retryStrategy } : {}),
    redisOptions: { ...authFromRedisUrl(redisUrl), ...node },
  };
}

/** The connections SCAN must run on: the client itself, or every master of the cluster. */
export async function scanTargets(client: RedisClient): Promise<Redis[]> {
  if (!isCluster(client)) return [client];
  let masters = client.nodes('master');
  if (masters.length === 0) {
    await client.ping(); // connects and loads the slot map
    masters = client.nodes('master');
  }
  if (masters.length === 0) throw new Error('Redis Cluster: no master node known');
  return masters;
}

/** Batches of keys matching `pattern` (SCAN MATCH, per master in a cluster); a key may repeat. */
export async function* scanKeys(
  client: RedisClient,
  pattern: string,
  count = 1000,
): AsyncGenerator<string[], void, undefined> {
  for (const node of await scanTargets(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** UNLINKs every key matching `pattern`, one key per command (keys may lie in any slot); returns how many. */
export async function deleteKeysMatching(client: RedisClient, pattern: string): Promise<number> {
  let deleted = 0;
  for (const node of await scanTargets(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = node.pipeline();
      for (const k of keys) pipeline.unlink(k);
      for (const [err, n] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        deleted += Number(n);
      }
    } while (cursor !== '0');
  }
  return deleted;
}

/** A new connection with the same options (e.g. for a blocking XREAD): a cluster client stays one. */
export function duplicateClient(client: RedisClient): RedisClient {
  return isCluster(client) ? client.duplicate() : client.duplicate();
}
