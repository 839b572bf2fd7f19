/**
 * Kafka access for every process, on @platformatic/kafka (ADR 0010). `createKafka` gives a
 * `KafkaClients` configured once (brokers, client id, timeouts, retries, the Java client's
 * partitioner); the helpers below are the few multi-step operations the platform repeats (topics
 * with leaders, offsets as plain maps, size-bounded produce, batch consumption).
 *
 * Partitioner: @platformatic/kafka's default partitioner takes murmur2 `>>> 0`; the Java client,
 * the client this platform used before (ADR 0010), librdkafka's `murmur2_random` and this platform (`partitionForKey`) take `& 0x7fffffff`.
 * They disagree on half the keys, so every producer made here uses `compatibilityPartitioner`.
 */
import {
  Admin,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  compatibilityPartitioner,
  type ConsumerOptions,
  type MessagesStream,
  type ProduceResult,
} from '@platformatic/kafka';
import type { AmiConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';

/** Keys and values the platform produces: text (JSON, meter ids) or bytes. */
export type KafkaBytes = string | Buffer;
export type KafkaProducer = Producer<KafkaBytes, KafkaBytes, string, string>;
export type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
export type KafkaStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;
export type { Admin as KafkaAdmin, ProduceResult };

/** A consumed record: the fields of @platformatic/kafka's `Message` the platform reads. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** Produce (or log-append) time, ms since the epoch. */
  readonly timestamp: bigint;
  readonly leaderEpoch: number;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
}

/** A message to produce; without `partition` the Java client's partitioner places it by key. */
export interface OutgoingMessage {
  readonly key?: KafkaBytes | null;
  readonly value: KafkaBytes;
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor?: number;
}

export interface KafkaClientOptions {
  /** Appended to the configured client id, e.g. `speed-layer`. */
  readonly component?: string;
  readonly logger?: Logger;
}

export interface ProducerSettings {
  /** Idempotent producer (exactly one copy per send even when retried); default true. */
  readonly idempotent?: boolean;
  /** 'all' in-sync replicas (default) or the 'leader' only. */
  readonly acks?: 'all' | 'leader';
}

export interface ConsumerSettings {
  readonly groupId: string;
  /** Most bytes of one fetch response (default 4 MiB: larger responses decode slower, see ADR 0010). */
  readonly maxBytes?: number;
  readonly maxBytesPerPartition?: number;
  /** Records buffered ahead of the handler (the stream's high-water mark, default 4096). */
  readonly highWaterMark?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly maxWaitTimeMs?: number;
}

const textOrBytes = (v?: KafkaBytes | null): Buffer | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
const text = (v?: string): Buffer | undefined => (v === undefined ? undefined : Buffer.from(v, 'utf8'));

/** Factory of configured clients; holds no connection itself. */
export class KafkaClients {
  constructor(
    readonly clientId: string,
    readonly bootstrapBrokers: readonly string[],
    readonly logger?: Logger,
  ) {}

  private base(suffix?: string) {
    return {
      clientId: suffix ? `${this.clientId}-${suffix}` : this.clientId,
      bootstrapBrokers: [...this.bootstrapBrokers],
      connectTimeout: 5_000,
      timeout: 30_000,
      retries: 8,
      retryDelay: 250,
      autocreateTopics: false,
    };
  }

  admin(): Admin {
    return new Admin(this.base('admin'));
  }

  producer(settings: ProducerSettings = {}): KafkaProducer {
    return new Producer<KafkaBytes, KafkaBytes, string, string>({
      ...this.base(),
      idempotent: settings.idempotent ?? true,
      acks: settings.acks === 'leader' ? ProduceAcks.LEADER : ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      serializers: { key: textOrBytes, value: textOrBytes, headerKey: text, headerValue: text },
    });
  }

  consumer(settings: ConsumerSettings): KafkaConsumer {
    const options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer> = {
      ...this.base(),
      groupId: settings.groupId,
      maxBytes: settings.maxBytes ?? 4 * 1024 * 1024,
      maxWaitTime: settings.maxWaitTimeMs ?? 500,
      highWaterMark: settings.highWaterMark ?? 4096,
      sessionTimeout: settings.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: settings.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: settings.rebalanceTimeoutMs ?? 60_000,
    };
    if (settings.maxBytesPerPartition !== undefined)
      options.maxBytesPerPartition = settings.maxBytesPerPartition;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>(options);
    // The consumer emits 'error' when a rejoin fails; without a listener Node would end the
    // process. Callers add their own listener to end their session; this one only logs.
    consumer.on('error', (err: unknown) => this.logger?.warn({ err }, 'Kafka consumer error'));
    return consumer;
  }
}

export function createKafka(config: AmiConfig, opts: KafkaClientOptions = {}): KafkaClients {
  const clientId = opts.component
    ? `${config.runtime.kafkaClientId}-${opts.component}`
    : config.runtime.kafkaClientId;
  return new KafkaClients(clientId, config.connection.kafkaBrokers, opts.logger);
}

/** The topics of SPEC 3.1 with the partition counts the platform creates them with. */
export function platformTopics(config: AmiConfig): TopicSpec[] {
  const t = config.topics;
  const small = Math.max(1, Math.min(3, t.headendPartitions));
  return [
    { topic: t.reads, numPartitions: t.headendPartitions },
    { topic: t.events, numPartitions: t.headendPartitions },
    { topic: t.readsDlq, numPartitions: small },
    { topic: t.eventsDlq, numPartitions: small },
    { topic: t.alertsGrid, numPartitions: small },
    { topic: t.alertsEvents, numPartitions: small },
    { topic: t.restatements, numPartitions: 1 },
  ].map((x) => ({ ...x, replicationFactor: 1 }));
}

/** Runs `fn` with an admin client that is closed afterwards. */
export async function withAdmin<T>(kafka: KafkaClients, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** Creates `topics` (all must be new) and waits until every partition has a leader. */
export async function createTopics(admin: Admin, topics: readonly TopicSpec[]): Promise<void> {
  if (topics.length === 0) return;
  await admin.createTopics({
    topics: topics.map((t) => ({
      topic: t.topic,
      partitions: t.numPartitions,
      replicas: t.replicationFactor ?? 1,
    })),
  });
  await waitForLeaders(
    admin,
    topics.map((t) => t.topic),
  );
}

/** Polls metadata until every partition of `topics` has a leader (≤ 30 s). */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const meta = await admin.metadata({ topics: [...topics], forceUpdate: true }).catch(() => undefined);
    const ready =
      meta !== undefined &&
      topics.every((t) => {
        const tm = meta.topics.get(t);
        return tm !== undefined && tm.partitions.length > 0 && tm.partitions.every((p) => p.leader >= 0);
      });
    if (ready) return;
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates the missing topics among `topics` (existing ones are left as they are). */
export async function ensureTopics(kafka: KafkaClients, topics: readonly TopicSpec[]): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    await createTopics(admin, missing);
    return missing.map((t) => t.topic);
  });
}

/** Partition count of `topic`; rejects (after the client's retries) when it does not exist. */
export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
  return meta.topics.get(topic)?.partitions.length ?? 0;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** First offset still in the log. */
  readonly low: bigint;
  /** Log end offset (the next offset to be written). */
  readonly high: bigint;
}

/** Earliest and log-end offsets of every partition of `topic`, by partition. */
export async function topicOffsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  const n = await partitionCount(admin, topic);
  const ask = async (timestamp: bigint) => {
    const [listed] = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
        },
      ],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  };
  const [low, high] = await Promise.all([ask(-2n), ask(-1n)]);
  return Array.from({ length: n }, (_, partition) => ({
    partition,
    low: low.get(partition) ?? 0n,
    high: high.get(partition) ?? 0n,
  }));
}

/** Messages in `topic` (sum of log end − log start over its partitions). */
export async function topicMessageCount(admin: Admin, topic: string): Promise<number> {
  return (await topicOffsets(admin, topic)).reduce((s, o) => s + Number(o.high - o.low), 0);
}

/** The group's committed offset (the next offset to read) per partition of `topic`; -1n = none. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const n = await partitionCount(admin, topic);
  const [group] = await admin.listConsumerGroupOffsets({
    groups: [
      { groupId, topics: [{ name: topic, partitionIndexes: Array.from({ length: n }, (_, i) => i) }] },
    ],
  });
  const out = new Map<number, bigint>();
  for (let p = 0; p < n; p++) out.set(p, -1n);
  for (const t of group?.topics ?? []) {
    if (t.name !== topic) continue;
    for (const p of t.partitions) out.set(p.partitionIndex, p.committedOffset);
  }
  return out;
}

/** Members of a consumer group (0 when it is empty or unknown). */
export async function groupMembers(admin: Admin, groupId: string): Promise<number> {
  const groups = await admin.describeGroups({ groups: [groupId] });
  return groups.get(groupId)?.members.size ?? 0;
}

/**
 * Most bytes of keys and values in one produce call. The producer puts all of a call's messages
 * for one partition in one record batch, and a record batch above the broker's message.max.bytes
 * (1 MiB by default) is refused: 900 KiB per call keeps every batch below it.
 */
export const MAX_SEND_BYTES = 900 * 1024;

const sizeOf = (v: KafkaBytes | null | undefined): number =>
  v === undefined || v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;

/** Splits `messages` into consecutive groups of at most `maxBytes` (a larger message goes alone). */
export function sendGroups<M extends OutgoingMessage>(
  messages: readonly M[],
  maxBytes = MAX_SEND_BYTES,
): M[][] {
  const groups: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m.key) + sizeOf(m.value) + 64;
    if (current.length > 0 && bytes + size > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Produces `messages` to `topic` in order, in size-bounded calls, each awaited before the next (so
 * a meter's messages keep their order even across calls).
 */
export async function sendMessages(
  producer: KafkaProducer,
  topic: string,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  for (const group of sendGroups(messages)) {
    await producer.send({
      messages: group.map((m) => {
        const out: {
          topic: string;
          key?: KafkaBytes;
          value: KafkaBytes;
          partition?: number;
          headers?: Map<string, string>;
        } = {
          topic,
          value: m.value,
        };
        if (m.key !== undefined && m.key !== null) out.key = m.key;
        if (m.partition !== undefined) out.partition = m.partition;
        if (m.headers !== undefined) out.headers = new Map(Object.entries(m.headers));
        return out;
      }),
    });
  }
}

/** Records of one partition, in offset order. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly KafkaRecord[];
}

export interface StreamOptions {
  readonly topics: readonly string[];
  /** Start of a partition without a committed offset: 'earliest' or 'latest'. */
  readonly fallback: 'earliest' | 'latest';
}

/** A stream of the group's assigned partitions from their committed offsets; nothing auto-committed. */
export function openStream(consumer: KafkaConsumer, opts: StreamOptions): Promise<KafkaStream> {
  return consumer.consume({
    topics: [...opts.topics],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode:
      opts.fallback === 'earliest'
        ? MessagesStreamFallbackModes.EARLIEST
        : MessagesStreamFallbackModes.LATEST,
    autocommit: false,
  });
}

/** Groups records by topic and partition, keeping each partition's order. Pure. */
export function byPartition(records: readonly KafkaRecord[]): PartitionBatch[] {
  const groups = new Map<string, { topic: string; partition: number; records: KafkaRecord[] }>();
  for (const r of records) {
    const id = `${r.topic}:${r.partition}`;
    let g = groups.get(id);
    if (g === undefined) {
      g = { topic: r.topic, partition: r.partition, records: [] };
      groups.set(id, g);
    }
    g.records.push(r);
  }
  return [...groups.values()];
}

/**
 * Reads `stream` in batches of at most `maxRecords` buffered records and awaits `handle` for each
 * before reading on (while it runs nothing more is read, and the stream stops fetching once its
 * buffer is full: backpressure). Resolves when the stream ends or closes or `signal` aborts;
 * rejects with the stream's error or the handler's.
 */
export async function pumpBatches(
  stream: KafkaStream,
  handle: (batches: PartitionBatch[]) => Promise<void>,
  opts: { readonly maxRecords: number; readonly signal?: AbortSignal },
): Promise<void> {
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onError = (err: unknown) => {
    failure ??= err;
    poke();
  };
  const onEnd = () => {
    ended = true;
    poke();
  };
  // A 'readable' listener for the whole pump: it puts the stream in paused (pull) mode, which
  // @platformatic/kafka needs before its first read() to fetch at all (readableFlowing !== null).
  stream.on('readable', poke);
  stream.on('error', onError);
  stream.once('end', onEnd);
  stream.once('close', onEnd);
  opts.signal?.addEventListener('abort', poke);
  try {
    for (;;) {
      if (failure !== undefined)
        throw failure instanceof Error ? failure : new Error('Kafka stream failed', { cause: failure });
      if (ended || opts.signal?.aborted) return;
      const records: KafkaRecord[] = [];
      let r: KafkaRecord | null;
      while (records.length < opts.maxRecords && (r = stream.read() as KafkaRecord | null) !== null)
        records.push(r);
      if (records.length > 0) {
        await handle(byPartition(records));
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', poke);
    stream.off('error', onError);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    opts.signal?.removeEventListener('abort', poke);
  }
}

/** Commits `next` (the next offset to read) for a partition, as of `record`'s leader epoch. */
export function commitNext(
  consumer: KafkaConsumer,
  record: KafkaRecord,
  next: bigint = record.offset + 1n,
): Promise<void> {
  return consumer.commit({
    offsets: [
      { topic: record.topic, partition: record.partition, offset: next, leaderEpoch: record.leaderEpoch },
    ],
  });
}

/** Runs `fn` over `items` (e.g. the partition batches of a round), at most `limit` at a time; rejects with the first failure. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Resolves after `ms`, or at once when `signal` aborts (a consumer's back-off or pause). */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
