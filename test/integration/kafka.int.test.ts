/**
 * The platform's Kafka helpers (@ami/shared/clients on @platformatic/kafka) against the real broker:
 * topics created once, a keyed produce, consumption in a group with explicit commits after
 * processing, committed offsets equal to the log ends, and a restarted group resuming from them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  committedOffsets,
  createKafka,
  ensureTopics,
  sendMessages,
  topicOffsets,
  withAdmin,
  type KafkaClients,
} from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../support/config.ts';
import { readTopic } from '../support/kafka.ts';

describe('Kafka through @platformatic/kafka (real broker)', () => {
  let kafka: KafkaClients;
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
    await withAdmin(kafka, async (admin) => {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    });
  });

  /**
   * Consumes `expected` records in the group, committing after each batch (after processing, as
   * the platform's consumers do); key → value of what came.
   */
  async function consumeAll(expected: number): Promise<Map<string, string>> {
    const records = await readTopic(kafka, topic, expected, {
      groupId,
      commit: true,
      consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    });
    return new Map(records.map((m) => [m.key?.toString() ?? '', m.value?.toString() ?? '']));
  }

  it('produces, consumes in a consumer group and commits offsets that a restarted group resumes from', async () => {
    const producer = kafka.producer();
    try {
      const first = Array.from({ length: 300 }, (_, i) => ({
        key: `meter-${i}`,
        value: JSON.stringify({ i }),
      }));
      await sendMessages(producer, topic, first);

      const seen = await consumeAll(300);
      expect(seen.size).toBe(300);
      expect(seen.get('meter-42')).toBe('{"i":42}');

      // committed offsets equal the end of every partition
      const { ends, committed } = await withAdmin(kafka, async (admin) => ({
        ends: await topicOffsets(admin, topic),
        committed: await committedOffsets(admin, groupId, topic),
      }));
      const endByPartition = new Map(ends.map((p) => [p.partition, p.high]));
      expect(committed.size).toBe(3);
      for (const [partition, offset] of committed) expect(offset).toBe(endByPartition.get(partition));
      expect(ends.reduce((s, p) => s + Number(p.high), 0)).toBe(300);

      // the same group, restarted, receives only what was produced after the commit
      await sendMessages(producer, topic, [{ key: 'meter-late', value: 'late' }]);
    } finally {
      await producer.close();
    }
    const resumed = await consumeAll(1);
    expect([...resumed.keys()]).toEqual(['meter-late']);
  });
});
