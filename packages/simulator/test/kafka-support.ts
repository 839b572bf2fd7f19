/** Reads a topic of the real Kafka from the beginning until `expected` messages have come. */
import { openStream, pumpBatches, topicMessageCount, withAdmin, type KafkaClients } from '@ami/shared/clients';

export interface Consumed {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  /** The record's CreateTime (ms): when the producer sent it. */
  readonly timestamp: number;
}

export async function consumeAll(kafka: KafkaClients, topic: string, expected: number): Promise<Consumed[]> {
  const seen: Consumed[] = [];
  if (expected === 0) return seen;
  const consumer = kafka.consumer({ groupId: `${topic}-check`, sessionTimeoutMs: 10_000 });
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, 60_000);
  try {
    const stream = await openStream(consumer, { topics: [topic], fallback: 'earliest' });
    try {
      await pumpBatches(
        stream,
        (batches) => {
          for (const batch of batches) {
            for (const r of batch.records) {
              seen.push({
                key: r.key?.toString() ?? '',
                value: r.value?.toString() ?? '',
                partition: r.partition,
                timestamp: Number(r.timestamp),
              });
            }
          }
          if (seen.length >= expected) stop.abort();
          return Promise.resolve();
        },
        { maxRecords: 10_000, signal: stop.signal },
      );
    } finally {
      await stream.close();
    }
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  if (timedOut) {
    const held = await withAdmin(kafka, (admin) => topicMessageCount(admin, topic));
    throw new Error(`only ${seen.length}/${expected} consumed; the topic holds ${held}`);
  }
  return seen;
}
