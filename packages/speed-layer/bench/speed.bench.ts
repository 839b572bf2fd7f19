/**
 * `pnpm ami bench speed` — today: Redis memory of the realtime view per meter per retained day
 * (SPEC 9 target ≤ 1 KB). Full: 10,000 meters × 2 local days; --quick: 2,000 × 1.
 * Applies the reads through the real planner and Lua script (`planReadBatch` + `applyChunk`) into
 * a fresh key prefix and reads `INFO memory` before and after, plus `MEMORY USAGE` per key kind.
 * Ingest rate vs a plain kafkajs consumer and freshness are not measured yet (issue #4).
 */
import { createRedis } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { buildTopologyIndex } from '@ami/shared/contracts';
import { writeBenchResult } from '@ami/shared/bench';
import { addLocalDays } from '@ami/shared/time';
import {
  PartitionWatermarks,
  applyChunk,
  partitionOfMeter,
  planReadBatch,
  type InboundMessage,
} from '../src/index.ts';
import { TZ, dayOfMessages, fleet, topologyRows } from '../test/support/fleet.ts';

const quick = process.argv.includes('--quick');
const METERS = quick ? 2_000 : 10_000;
const DAYS = quick ? 1 : 2;
const PARTITIONS = 6;
const FIRST_DATE = '2025-03-10';

const redis = createRedis(loadConfig(), { connectionName: 'bench-speed' });
const prefix = `bench-rv-${Date.now().toString(36)}`;
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);

async function main(): Promise<void> {
  const meters = fleet(METERS, 20, 50);
  const topology = buildTopologyIndex(topologyRows(meters));
  const nowMs = Date.now();
  const watermarks = new PartitionWatermarks({ allowedLatenessMs: 600_000, idleTimeoutMs: 60_000 });
  const offsets = new Map<number, number>();
  const before = await usedMemory();
  for (let d = 0; d < DAYS; d++) {
    const messages = dayOfMessages(meters, addLocalDays(FIRST_DATE, d), 7 + d, {
      duplicates: 0,
      corrections: 0,
      ties: 0,
      invalid: 0,
    });
    const parts = new Map<number, InboundMessage[]>();
    for (const m of messages) {
      const p = partitionOfMeter(m.key ?? '', PARTITIONS);
      const next = offsets.get(p) ?? 0;
      offsets.set(p, next + 1);
      const list = parts.get(p) ?? [];
      list.push({
        offset: String(next),
        key: m.key === null ? null : Buffer.from(m.key),
        value: Buffer.from(m.value),
      });
      parts.set(p, list);
    }
    for (const [p, ms] of parts) {
      const plan = planReadBatch(ms, {
        topic: 'reads',
        partition: p,
        keyPrefix: prefix,
        timeZone: TZ,
        nowMs,
        validation: { nowMs, timeZone: TZ },
        topology,
        retentionDays: 7,
        maxMessagesPerChunk: 2000,
        watermarks,
      });
      for (const c of plan.chunks) await applyChunk(redis, prefix, c);
    }
  }
  const after = await usedMemory();
  let meterBytes = 0;
  let gridBytes = 0;
  const keys: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) keys.push(...(await redis.keys(`{${prefix}:${p}}:*`)));
  for (const k of keys) {
    const b = Number(await redis.memory('USAGE', k));
    if (k.includes('}:m:')) meterBytes += b;
    else if (k.includes('}:g:')) gridBytes += b;
  }
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  const meterDays = METERS * DAYS;
  writeBenchResult('speed', {
    redis_bytes_per_meter_day: Math.round((after - before) / meterDays),
    redis_meter_key_bytes_per_meter_day: Math.round(meterBytes / meterDays),
    redis_grid_key_bytes_per_meter_day: Math.round(gridBytes / meterDays),
    meters: METERS,
    days: DAYS,
    partitions: PARTITIONS,
    quick,
  });
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => redis.disconnect());
