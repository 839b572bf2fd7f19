/** Reads a topic of the real Kafka from the beginning until `expected` messages have come. */
import type { KafkaClients } from '@ami/shared/clients';
import { readTopic } from '../../../test/support/kafka.ts';

export interface Consumed {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  /** The record's CreateTime (ms): when the producer sent it. */
  readonly timestamp: number;
}

export async function consumeAll(kafka: KafkaClients, topic: string, expected: number): Promise<Consumed[]> {
  const records = await readTopic(kafka, topic, expected, {
    maxRecords: 10_000,
    consumer: { sessionTimeoutMs: 10_000 },
  });
  return records.map((r) => ({
    key: r.key?.toString() ?? '',
    value: r.value?.toString() ?? '',
    partition: r.partition,
    timestamp: Number(r.timestamp),
  }));
}
