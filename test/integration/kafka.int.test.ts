import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { createKafka, ensureTopics } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../support/config.ts';

describe('Kafka through kafkajs (real broker)', () => {
  let kafka: Kafka;
  const topic = uniqueName('it.roundtrip');
  const groupId = uniqueName('it-group');

  beforeAll(async () => {
    kafka = createKafka(integrationConfig(), { component: 'it' });
    const created = await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
    expect(created).toEqual([topic]);
    // idempotent: a second call creates nothing
    expect(await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }])).toEqual([]);
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function consumeAll(expected: number): Promise<Map<string, string>> {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<string, string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen.size}/${expected} messages consumed`)),
        60_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            for (const m of batch.messages) {
              seen.set(m.key?.toString() ?? '', m.value?.toString() ?? '');
              payload.resolveOffset(m.offset);
            }
            // commit explicitly after processing, as the platform's consumers do
            await consumer.commitOffsets([
              {
                topic: batch.topic,
                partition: batch.partition,
                offset: (BigInt(batch.lastOffset()) + 1n).toString(),
              },
            ]);
            await payload.heartbeat();
            if (seen.size >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return seen;
  }

  it('produces, consumes in a consumer group and commits offsets that a restarted group resumes from', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const first = Array.from({ length: 300 }, (_, i) => ({
      key: `meter-${i}`,
      value: JSON.stringify({ i }),
    }));
    await producer.send({ topic, messages: first });

    const seen = await consumeAll(300);
    expect(seen.size).toBe(300);
    expect(seen.get('meter-42')).toBe('{"i":42}');

    // committed offsets equal the end of every partition
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const endByPartition = new Map(ends.map((p) => [p.partition, p.high]));
    expect(committed?.partitions.length).toBe(3);
    for (const p of committed?.partitions ?? []) expect(p.offset).toBe(endByPartition.get(p.partition));
    expect(ends.reduce((s, p) => s + Number(p.high), 0)).toBe(300);

    // the same group, restarted, receives only what was produced after the commit
    await producer.send({ topic, messages: [{ key: 'meter-late', value: 'late' }] });
    await producer.disconnect();
    const resumed = await consumeAll(1);
    expect([...resumed.keys()]).toEqual(['meter-late']);
  });
});
