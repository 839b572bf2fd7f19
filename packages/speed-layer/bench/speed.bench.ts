/**
 * `pnpm ami bench speed [--quick]` — the speed layer's SPEC 9 figures in one run (bench/results/speed.json):
 *  (a) reads_per_s: one consumer at saturation on a pre-filled topic (full: 10,000 meters × 6 days
 *      ≈ 5.8 M reads), and raw_consume_reads_per_s: a plain consumer of the same topic on the
 *      same client, used the same way (@platformatic/kafka stream, same records per round), that
 *      only counts messages (the bound) — lib/ingest.ts;
 *  (b) freshness_p50_ms / freshness_p99_ms: produce → visible in Redis at a steady 20,000 reads/s
 *      (full: 60 s; quick: 10 s), beside freshness_bound_p99_ms: a plain Kafka consumer's produce →
 *      consume p99 of the same topic in the same run — lib/freshness.ts;
 *  (c) redis_bytes_per_meter_day: 10,000 meters × 2 days (quick: 2,000 × 1) — lib/memory.ts;
 *  (d) the Redis bound of (a): redis-benchmark on the same Redis at the speed layer's chunk size and
 *      concurrency — redis_bound_lua_reads_per_s (EVALSHA writing one slot per read) and
 *      redis_bound_set_ops_per_s (pipelined SET) — lib/redis-bound.ts.
 */
import { createKafka, createRedis } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { writeBenchResult } from '@ami/shared/bench';
import { measureFreshness } from './lib/freshness.ts';
import { measureIngest } from './lib/ingest.ts';
import { measureMemory } from './lib/memory.ts';
import { measureRedisBound } from './lib/redis-bound.ts';
import { loadSpeedLayerSettings } from '../src/config.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--phase='))?.slice('--phase='.length);
const PARTITIONS = 6;

async function main(): Promise<void> {
  const config = loadConfig();
  const kafka = createKafka(config, { component: 'bench-speed' });
  const redis = createRedis(config, { connectionName: 'bench-speed' });
  try {
    const ingestOpts = { meters: quick ? 2_000 : 10_000, days: quick ? 3 : 6, partitions: PARTITIONS };
    const freshOpts = {
      meters: quick ? 2_000 : 10_000,
      rate: 20_000,
      seconds: quick ? 10 : 60,
      partitions: PARTITIONS,
    };
    const memOpts = {
      meters: quick ? 2_000 : 10_000,
      days: quick ? 1 : 2,
      partitions: PARTITIONS,
      startDate: '2026-03-09',
    };
    const ingest =
      only === undefined || only === 'ingest' ? await measureIngest(kafka, config, ingestOpts) : undefined;
    const fresh =
      only === undefined || only === 'freshness'
        ? await measureFreshness(kafka, config, freshOpts)
        : undefined;
    const memory =
      only === undefined || only === 'memory' ? await measureMemory(redis, config, memOpts) : undefined;
    const speedSettings = loadSpeedLayerSettings();
    const redisBound =
      only === undefined || only === 'redis'
        ? await measureRedisBound(redis, config.connection.redisUrl, {
            chunk: speedSettings.maxMessagesPerChunk,
            concurrency: speedSettings.partitionsConsumedConcurrently,
            calls: quick ? 200 : 2_000,
          })
        : undefined;
    writeBenchResult(only === undefined ? 'speed' : `speed-${only}`, {
      reads_per_s: ingest ? Math.round(ingest.readsPerS) : null,
      raw_consume_reads_per_s: ingest ? Math.round(ingest.rawConsumeReadsPerS) : null,
      ratio_to_raw: ingest ? Number((ingest.readsPerS / ingest.rawConsumeReadsPerS).toFixed(3)) : null,
      redis_cpu_us_per_read: ingest ? Number(ingest.redisCpuUsPerRead.toFixed(2)) : null,
      redis_commands_per_read: ingest ? Number(ingest.redisCommandsPerRead.toFixed(3)) : null,
      redis_bound_lua_reads_per_s: redisBound?.luaReadsPerS ? Math.round(redisBound.luaReadsPerS) : null,
      redis_bound_set_ops_per_s: redisBound?.setOpsPerS ? Math.round(redisBound.setOpsPerS) : null,
      redis_bound_set_cpu_us_per_op: redisBound?.setCpuUsPerOp
        ? Number(redisBound.setCpuUsPerOp.toFixed(2))
        : null,
      ratio_to_redis_bound:
        ingest && redisBound?.luaReadsPerS
          ? Number((ingest.readsPerS / redisBound.luaReadsPerS).toFixed(3))
          : null,
      redis_bound_chunk: redisBound ? redisBound.chunk : null,
      redis_bound_concurrency: redisBound ? redisBound.concurrency : null,
      freshness_p50_ms: fresh ? Math.round(fresh.p50Ms) : null,
      freshness_p99_ms: fresh ? Math.round(fresh.p99Ms) : null,
      freshness_max_ms: fresh ? Math.round(fresh.maxMs) : null,
      freshness_bound_p99_ms: fresh ? Math.round(fresh.boundP99Ms) : null,
      freshness_offered_reads_per_s: fresh ? Math.round(fresh.achievedReadsPerS) : null,
      freshness_samples: fresh ? fresh.samples : null,
      redis_bytes_per_meter_day: memory ? memory.bytesPerMeterDay : null,
      redis_meter_key_bytes_per_meter_day: memory ? memory.meterKeyBytesPerMeterDay : null,
      redis_grid_key_bytes_per_meter_day: memory ? memory.gridKeyBytesPerMeterDay : null,
      ingest_reads: ingest ? ingest.reads : null,
      ingest_meters: ingestOpts.meters,
      ingest_days: ingestOpts.days,
      memory_meters: memOpts.meters,
      memory_days: memOpts.days,
      partitions: PARTITIONS,
      quick,
    });
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
