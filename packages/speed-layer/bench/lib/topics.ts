/** Bench helpers: throw-away topics and realtime-view key prefixes. */
import {
  createTopics,
  topicOffsets,
  withAdmin,
  type KafkaClients,
  type RedisClient,
} from '@ami/shared/clients';

export async function createBenchTopic(
  kafka: KafkaClients,
  topic: string,
  partitions: number,
): Promise<void> {
  await withAdmin(kafka, (admin) =>
    createTopics(admin, [{ topic, numPartitions: partitions, replicationFactor: 1 }]),
  );
}

export async function deleteBenchTopic(kafka: KafkaClients, topic: string): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [topic] }).catch(() => undefined));
}

/** Log end offset (the next offset to be written) of every partition of `topic`. */
export async function topicEnd(kafka: KafkaClients, topic: string): Promise<Map<number, bigint>> {
  const offsets = await withAdmin(kafka, (admin) => topicOffsets(admin, topic));
  return new Map(offsets.map((o) => [o.partition, o.high]));
}

/** Deletes every key of a realtime-view prefix (all partitions, registry, retention). */
export async function deleteKeys(redis: RedisClient, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${keyPrefix}*`, 'COUNT', 2000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
