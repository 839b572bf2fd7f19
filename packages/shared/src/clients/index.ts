export * from './kafka.ts';
export * from './redis.ts';
export * from './s3.ts';
export * from './s3-cache.ts';
export * from './duckdb.ts';
export * from './redis-scripts.ts';
