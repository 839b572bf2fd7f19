/** Reads a topic of the real Kafka from the beginning until `expected` messages have come. */
import type { Kafka } from 'kafkajs';

export interface Consumed {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  /** The record's CreateTime (ms): when the producer sent it. */
  readonly timestamp: number;
}

export async function consumeAll(kafka: Kafka, topic: string, expected: number): Promise<Consumed[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-check`, sessionTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: Consumed[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length}/${expected} consumed`)), 60_000);
      if (expected === 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      consumer
        .run({
          eachBatch: ({ batch }) => {
            for (const m of batch.messages) {
              seen.push({
                key: m.key?.toString() ?? '',
                value: m.value?.toString() ?? '',
                partition: batch.partition,
                timestamp: Number(m.timestamp),
              });
            }
            if (seen.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
