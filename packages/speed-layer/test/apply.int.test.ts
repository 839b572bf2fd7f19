import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@ami/shared/clients';
import { buildTopologyIndex } from '@ami/shared/contracts';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { PartitionWatermarks } from '../src/watermark.ts';
import { applyChunk, readFence } from '../src/realtime-view/apply.ts';
import { PartitionWriter, createViewValueCache } from '../src/realtime-view/partition-writer.ts';
import { planReadBatch, type InboundMessage } from '../src/consumer/plan-reads.ts';
import { viewAsModel, normalise } from './support/compare.ts';
import { TZ, dayOfMessages, fleet, model, topologyRows } from './support/fleet.ts';

const PARTITIONS = 6;
const DATE = '2025-03-10';

describe('the realtime-view writer (write.lua) against real Redis', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'speed-apply-it' });
  const prefixes: string[] = [];

  afterAll(async () => {
    for (const prefix of prefixes) {
      for (let p = 0; p < PARTITIONS; p++) {
        const keys = await redis.keys(`{${prefix}:${p}}:*`);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      }
    }
    redis.disconnect();
  });

  /** Splits messages by partition in order, with offsets 0…n per partition (as Kafka would). */
  function byPartition(values: readonly { key: string | null; value: string }[]) {
    const out = new Map<number, InboundMessage[]>();
    for (const m of values) {
      const p = partitionOfMeter(m.key ?? '', PARTITIONS);
      const list = out.get(p) ?? [];
      list.push({
        offset: BigInt(list.length),
        key: m.key === null ? null : Buffer.from(m.key),
        value: Buffer.from(m.value),
      });
      out.set(p, list);
    }
    return out;
  }

  /** The consumer's plan of one partition's messages (validation, DLQ, chunks of `chunk` messages). */
  function planPartition(
    prefix: string,
    p: number,
    messages: InboundMessage[],
    chunk: number,
    nowMs: number,
    fenceMaxEventMs?: number,
  ) {
    const watermarks = new PartitionWatermarks({ allowedLatenessMs: 600_000, idleTimeoutMs: 60_000 });
    watermarks.restore(p, fenceMaxEventMs, nowMs);
    return planReadBatch(messages, {
      topic: 'reads',
      partition: p,
      keyPrefix: prefix,
      timeZone: TZ,
      nowMs,
      validation: { nowMs, timeZone: TZ },
      topology: buildTopologyIndex(topologyRows(fleet(20))),
      retentionDays: 7,
      maxMessagesPerChunk: chunk,
      watermarks,
    });
  }

  async function applyAll(
    prefix: string,
    parts: Map<number, InboundMessage[]>,
    chunk: number,
    nowMs: number,
  ) {
    const totals = { inserted: 0, replaced: 0, unchanged: 0, replayed: 0, dlq: 0 };
    for (const [p, messages] of parts) {
      const fence = await readFence(redis, prefix, p);
      const plan = planPartition(prefix, p, messages, chunk, nowMs, fence.maxEventMs);
      totals.dlq += plan.dlq.length;
      for (const c of plan.chunks) {
        const r = await applyChunk(redis, prefix, c);
        totals.inserted += r.inserted;
        totals.replaced += r.replaced;
        totals.unchanged += r.unchanged;
        totals.replayed += r.replayed;
      }
    }
    return totals;
  }

  /** A day of 20 meters with faults, split by partition, and the view the model expects of it. */
  function scenario(seed: number, faults: Parameters<typeof dayOfMessages>[3]) {
    const prefix = uniqueName('rvit');
    prefixes.push(prefix);
    const meters = fleet(20);
    const nowMs = Date.now();
    const parts = byPartition(dayOfMessages(meters, DATE, seed, faults));
    const values = [...parts.values()].flatMap((ms) => ms.map((m) => (m.value as Buffer).toString()));
    return { prefix, meters, parts, nowMs, expected: normalise(model(values, meters, nowMs)) };
  }

  it('applies duplicates, corrections and ties exactly, and a replay changes nothing', async () => {
    const { prefix, meters, parts, nowMs, expected } = scenario(42, {
      duplicates: 150,
      corrections: 200,
      ties: 40,
      invalid: 12,
    });

    const first = await applyAll(prefix, parts, 97, nowMs);
    expect(first.dlq).toBe(12);
    expect(first.inserted).toBe(20 * 96);
    expect(first.replaced).toBeGreaterThan(100);
    expect(first.unchanged).toBeGreaterThan(100);
    expect(first.replayed).toBe(0);
    const after1 = await viewAsModel(redis, prefix, PARTITIONS, meters, DATE);
    expect(after1.meterDays).toEqual(expected.meterDays);
    expect(after1.grid).toEqual(expected.grid);
    const energy = [...expected.meterDays.values()].reduce((s, d) => s + d.daily, 0);
    expect(energy).not.toBe(0);

    // Replay everything, chunked differently: the fences make it a no-op.
    const second = await applyAll(prefix, parts, 31, nowMs);
    expect(second.inserted + second.replaced + second.unchanged).toBe(0);
    expect(second.replayed).toBe(first.inserted + first.replaced + first.unchanged);
    const after2 = await viewAsModel(redis, prefix, PARTITIONS, meters, DATE);
    expect(after2).toEqual(after1);
  });

  it('a long-lived writer with a tiny cache and a second writer taking over midway give the same view', async () => {
    const { prefix, meters, parts, nowMs, expected } = scenario(7, {
      duplicates: 100,
      corrections: 150,
      ties: 30,
      invalid: 0,
    });
    const totals = { inserted: 0, replaced: 0, unchanged: 0, replayed: 0 };
    const add = (r: { inserted: number; replaced: number; unchanged: number; replayed: number }) => {
      totals.inserted += r.inserted;
      totals.replaced += r.replaced;
      totals.unchanged += r.unchanged;
      totals.replayed += r.replayed;
    };
    for (const [p, list] of parts) {
      const { chunks } = planPartition(prefix, p, list, 15, nowMs);
      expect(chunks.length).toBeGreaterThan(4);
      // 4 KiB of cache: values are evicted between (and within) chunks and read again
      const a = new PartitionWriter(redis, prefix, p, createViewValueCache(4096));
      const b = new PartitionWriter(redis, prefix, p, createViewValueCache(1 << 20));
      const half = Math.floor(chunks.length / 2);
      const threeQuarters = Math.floor((chunks.length * 3) / 4);
      for (const c of chunks.slice(0, half)) add(await a.apply(c));
      for (const c of chunks.slice(half, threeQuarters)) add(await b.apply(c));
      // a's values are stale now: it notices the moved fence, reads again, and skips b's chunk
      const again = await a.apply(chunks[threeQuarters - 1]!);
      expect(again.replayed).toBe(chunks[threeQuarters - 1]!.reads.length);
      expect(again.inserted + again.replaced + again.unchanged).toBe(0);
      for (const c of chunks.slice(threeQuarters)) add(await a.apply(c));
    }
    expect(totals.inserted).toBe(20 * 96);
    expect(totals.replayed).toBe(0);
    const view = await viewAsModel(redis, prefix, PARTITIONS, meters, DATE);
    expect(view.meterDays).toEqual(expected.meterDays);
    expect(view.grid).toEqual(expected.grid);
  });
});
