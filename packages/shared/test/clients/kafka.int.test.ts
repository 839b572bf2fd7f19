/**
 * The platform's Kafka helpers against the real broker: producers place keyed messages where the
 * Java client (and `partitionForKey`, which the serving layer uses to find a meter's keys) would;
 * size-bounded sends deliver everything in order; the batch pump hands over every record in
 * partition order and the committed offsets are the ones asked for.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '@ami/shared/partitioner';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { readTopic } from '../../../../test/support/kafka.ts';
import {
  committedOffsets,
  createKafka,
  createTopics,
  sendMessages,
  topicOffsets,
  withAdmin,
  type KafkaRecord,
} from '../../src/clients/kafka.ts';

const kafka = createKafka(integrationConfig(), { component: 'kafka-helpers-it' });
const created: string[] = [];

async function topic(partitions: number): Promise<string> {
  const name = uniqueName('kafka-helpers');
  await withAdmin(kafka, (admin) => createTopics(admin, [{ topic: name, numPartitions: partitions }]));
  created.push(name);
  return name;
}

/** The first `count` records of `name` in group `groupId`, committing after each batch. */
function readAll(name: string, count: number, groupId: string): Promise<KafkaRecord[]> {
  return readTopic(kafka, name, count, { groupId, commit: true, maxRecords: 500, timeoutMs: 30_000 });
}

afterAll(async () => {
  await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: created })).catch(() => undefined);
});

describe('Kafka helpers (real broker)', () => {
  it('places every keyed message on the partition the Java client would, and keeps per-key order', async () => {
    const name = await topic(6);
    const meters = Array.from({ length: 300 }, (_, i) => `MTR-${String(i * 7919).padStart(7, '0')}`);
    const messages = meters.flatMap((m) => [1, 2, 3].map((seq) => ({ key: m, value: `${m}#${seq}` })));
    const producer = kafka.producer();
    await sendMessages(producer, name, messages);
    await producer.close();

    const records = await readAll(name, messages.length, uniqueName('kafka-helpers-g'));
    expect(records).toHaveLength(messages.length);
    const misplaced = records.filter((r) => r.partition !== partitionForKey(String(r.key), 6));
    expect(misplaced.map((r) => String(r.key))).toEqual([]);
    const seqOf = new Map<string, number[]>();
    for (const r of records) {
      const [meter, seq] = String(r.value).split('#');
      seqOf.set(meter as string, [...(seqOf.get(meter as string) ?? []), Number(seq)]);
    }
    for (const seqs of seqOf.values()) expect(seqs).toEqual([1, 2, 3]);
  });

  it('sends a backlog larger than one request in order, and commits what the pump handed over', async () => {
    const name = await topic(2);
    const value = 'v'.repeat(1000);
    const messages = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i % 10}`, value: `${i}:${value}` }));
    const producer = kafka.producer({ acks: 'leader' });
    await sendMessages(producer, name, messages); // ≈ 3 MB: several calls of ≤ 900 KiB
    await producer.close();

    const groupId = uniqueName('kafka-helpers-g');
    const records = await readAll(name, messages.length, groupId);
    expect(records).toHaveLength(messages.length);
    for (const p of [0, 1]) {
      const offsets = records.filter((r) => r.partition === p).map((r) => Number(r.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    const ends = await withAdmin(kafka, (admin) => topicOffsets(admin, name));
    const committed = await withAdmin(kafka, (admin) => committedOffsets(admin, groupId, name));
    expect(ends.reduce((s, o) => s + Number(o.high - o.low), 0)).toBe(messages.length);
    for (const o of ends) expect(committed.get(o.partition)).toBe(o.high);
  });
});
