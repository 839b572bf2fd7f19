/**
 * Bench phase (c): RedisClient memory of the realtime view per meter per retained day (SPEC 9 target
 * ≤ 1 KB). The simulator's fleet (no faults) is applied through the real planner and Lua script
 * (`planReadBatch` + `applyChunk`, as the consumer does) into a fresh key prefix, without Kafka in
 * between; `INFO memory` before and after, plus `MEMORY USAGE` per key kind for the breakdown.
 */
import type { RedisClient } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { buildTopologyIndex } from '@ami/shared/contracts';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { NO_FAULTS, Simulation, topologyRow, type MessageSink } from '@ami/simulator';
import { applyChunk } from '../../src/realtime-view/apply.ts';
import { planReadBatch, type InboundMessage } from '../../src/consumer/plan-reads.ts';
import { PartitionWatermarks } from '../../src/watermark.ts';
import { deleteKeys } from './topics.ts';

export interface MemoryFigures {
  readonly bytesPerMeterDay: number;
  readonly meterKeyBytesPerMeterDay: number;
  readonly gridKeyBytesPerMeterDay: number;
}

export async function measureMemory(
  redis: RedisClient,
  config: AmiConfig,
  opts: { meters: number; days: number; partitions: number; startDate: string },
): Promise<MemoryFigures> {
  const prefix = `bench-mem-${Date.now().toString(36)}`;
  const tz = config.connection.timeZone;
  const nowMs = Date.now();
  const watermarks = new PartitionWatermarks({ allowedLatenessMs: 600_000, idleTimeoutMs: 60_000 });
  const offsets = new Array<bigint>(opts.partitions).fill(0n);
  let queued: InboundMessage[][] = Array.from({ length: opts.partitions }, () => []);
  // set once the simulation (and so the fleet) exists, before the first flush
  const fleet: { topology?: ReturnType<typeof buildTopologyIndex> } = {};
  const sink: MessageSink = {
    read(key, value) {
      const p = partitionOfMeter(key, opts.partitions);
      const offset = offsets[p]!;
      offsets[p] = offset + 1n;
      queued[p]!.push({ offset, key: Buffer.from(key), value: Buffer.from(value) });
    },
    event() {},
    async flush() {
      const batches = queued;
      queued = Array.from({ length: opts.partitions }, () => []);
      for (let p = 0; p < opts.partitions; p++) {
        const messages = batches[p]!;
        if (messages.length === 0) continue;
        const plan = planReadBatch(messages, {
          topic: 'reads',
          partition: p,
          keyPrefix: prefix,
          timeZone: tz,
          nowMs,
          validation: { nowMs, timeZone: tz },
          topology: fleet.topology,
          retentionDays: 7,
          maxMessagesPerChunk: 2000,
          watermarks,
        });
        for (const c of plan.chunks) await applyChunk(redis, prefix, c);
      }
    },
    close() {
      return this.flush();
    },
  };
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const sim = new Simulation(
    {
      seed: 5,
      meters: opts.meters,
      days: opts.days,
      startDate: opts.startDate,
      timeZone: tz,
      faults: NO_FAULTS,
    },
    sink,
  );
  fleet.topology = buildTopologyIndex(sim.fleet.meters.map((m) => topologyRow(m, sim.fleet.validFrom)));
  const before = await usedMemory();
  await sim.run();
  await sink.close();
  const after = await usedMemory();
  let meterBytes = 0;
  let gridBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 2000);
    cursor = next;
    for (const k of keys) {
      const b = Number(await redis.memory('USAGE', k));
      if (k.includes('}:m:')) meterBytes += b;
      else if (k.includes('}:g:')) gridBytes += b;
    }
  } while (cursor !== '0');
  await deleteKeys(redis, prefix);
  const meterDays = opts.meters * opts.days;
  return {
    bytesPerMeterDay: Math.round((after - before) / meterDays),
    meterKeyBytesPerMeterDay: Math.round(meterBytes / meterDays),
    gridKeyBytesPerMeterDay: Math.round(gridBytes / meterDays),
  };
}
