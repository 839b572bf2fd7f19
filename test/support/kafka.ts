/**
 * Reading Kafka topics back in tests and benches: `readTopic` consumes one or more topics from the
 * beginning (or from a group's committed offsets) the way the platform's consumers do (`openStream`
 * + `pumpBatches`), until a given number of records came, and fails with what the topics hold when
 * they did not come in time. Free of vitest, so benches may use it too.
 */
import {
  commitNext,
  openStream,
  pumpBatches,
  topicMessageCount,
  withAdmin,
  type ConsumerSettings,
  type KafkaClients,
  type KafkaRecord,
} from '@ami/shared/clients';

export interface ReadTopicOptions {
  /** The consumer group (default: a new one, so the read starts at the earliest offsets). */
  readonly groupId?: string;
  /** Fail when fewer than `count` records came by then (default 60 s). */
  readonly timeoutMs?: number;
  /** Commit each partition batch's next offset once it is collected (default false: nothing committed). */
  readonly commit?: boolean;
  /** Records per batch handed over by the pump (default 1000). */
  readonly maxRecords?: number;
  /** Consumer settings other than the group (fetch sizes, session timeout…). */
  readonly consumer?: Omit<ConsumerSettings, 'groupId'>;
  /** Keeps only the records it accepts; the others are dropped and not counted. */
  readonly accept?: (record: KafkaRecord) => boolean;
}

/** A group id no other read uses. */
function freshGroupId(topics: readonly string[]): string {
  return `${topics[0] ?? 'topics'}-read-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** "a: 3, b: 0" — the messages each topic holds now, for an error message. */
async function describeHeld(kafka: KafkaClients, topics: readonly string[]): Promise<string> {
  try {
    const held = await withAdmin(kafka, (admin) =>
      Promise.all(topics.map((t) => topicMessageCount(admin, t))),
    );
    return topics.map((t, i) => `${t}: ${held[i]}`).join(', ');
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Reads `topics` until `count` records came and returns every record that came (each partition's
 * in offset order; at least `count`, the last batch may bring more). A new group (the default)
 * reads from the earliest offsets; a group with commits resumes from them. Throws, naming the
 * topics, how many records came and how many the topics hold, when fewer came before `timeoutMs`
 * or the stream ended. Stream and consumer are closed in every case.
 */
export async function readTopic(
  kafka: KafkaClients,
  topics: string | readonly string[],
  count: number,
  opts: ReadTopicOptions = {},
): Promise<KafkaRecord[]> {
  const names = typeof topics === 'string' ? [topics] : [...topics];
  const records: KafkaRecord[] = [];
  if (count <= 0) return records;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const consumer = kafka.consumer({ ...opts.consumer, groupId: opts.groupId ?? freshGroupId(names) });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    const stream = await openStream(consumer, { topics: names, fallback: 'earliest' });
    try {
      await pumpBatches(
        stream,
        async (batches) => {
          for (const b of batches) {
            for (const r of b.records) if (opts.accept?.(r) ?? true) records.push(r);
            const last = b.records.at(-1);
            if (opts.commit === true && last !== undefined) await commitNext(consumer, last);
          }
          if (records.length >= count) stop.abort();
        },
        { maxRecords: opts.maxRecords ?? 1000, signal: stop.signal },
      );
    } finally {
      await stream.close();
    }
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  if (records.length < count) {
    const held = await describeHeld(kafka, names);
    throw new Error(
      `${names.join(', ')}: only ${records.length} of ${count} records came in ${timeoutMs} ms; the topics hold ${held}`,
    );
  }
  return records;
}
