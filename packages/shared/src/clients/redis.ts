/**
 * Redis client factory (ioredis). `forBullMQ` sets the options BullMQ requires
 * (maxRetriesPerRequest: null) for blocking connections.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { AmiConfig } from '../config/index.ts';

export { Redis } from 'ioredis';

export interface RedisClientOptions {
  readonly connectionName?: string;
  readonly forBullMQ?: boolean;
  readonly overrides?: RedisOptions;
}

export function createRedis(config: AmiConfig, opts: RedisClientOptions = {}): Redis {
  return new Redis(config.connection.redisUrl, {
    connectionName: opts.connectionName,
    lazyConnect: false,
    enableAutoPipelining: false,
    ...(opts.forBullMQ ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3 }),
    ...opts.overrides,
  });
}
