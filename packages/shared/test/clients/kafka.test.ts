import { describe, expect, it } from 'vitest';
import { byPartition, MAX_SEND_BYTES, sendGroups, type KafkaRecord } from '../../src/clients/kafka.ts';

const record = (topic: string, partition: number, offset: number): KafkaRecord => ({
  topic,
  partition,
  offset: BigInt(offset),
  timestamp: 0n,
  leaderEpoch: 0,
  key: null,
  value: Buffer.from(`${topic}/${partition}/${offset}`),
});

describe('sendGroups: size-bounded produce calls', () => {
  it('keeps the order and cuts before a group would pass the budget', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) }));
    const groups = sendGroups(messages, 500);
    expect(groups.flat()).toEqual(messages);
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) expect(g.length).toBeGreaterThan(0);
    // each message counts key + value + 64 bytes of record overhead: 166 → three fit in 500
    expect(groups.map((g) => g.length)).toEqual([3, 3, 3, 1]);
  });

  it('counts UTF-8 bytes, not characters, and sends an oversized message alone', () => {
    const wide = { value: 'é'.repeat(300) }; // 600 bytes
    const big = { value: 'y'.repeat(2000) };
    const groups = sendGroups([wide, wide, big, wide], 1000);
    expect(groups).toEqual([[wide], [wide], [big], [wide]]);
  });

  it('fits 1,800 reads of 420 bytes in one call, and bounds a large backlog by MAX_SEND_BYTES', () => {
    const read = { key: 'MTR-0000001', value: 'r'.repeat(420) };
    expect(sendGroups(Array.from({ length: 1800 }, () => read))).toHaveLength(1);
    const groups = sendGroups(Array.from({ length: 10_000 }, () => read));
    for (const g of groups) expect(g.length * (11 + 420 + 64)).toBeLessThanOrEqual(MAX_SEND_BYTES);
  });
});

describe('byPartition: one batch per topic partition, offsets in order', () => {
  it('groups interleaved records without reordering a partition', () => {
    const records = [
      record('r', 0, 1),
      record('r', 1, 7),
      record('e', 0, 3),
      record('r', 0, 2),
      record('r', 1, 8),
    ];
    const batches = byPartition(records);
    expect(batches.map((b) => [b.topic, b.partition, b.records.map((r) => Number(r.offset))])).toEqual([
      ['r', 0, [1, 2]],
      ['r', 1, [7, 8]],
      ['e', 0, [3]],
    ]);
  });
});
