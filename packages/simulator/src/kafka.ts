/**
 * Kafka mode: produces reads and events (keyed by meter_id) in big batches with several batches
 * in flight, in order per meter, optionally paced to a target reads/s, printing the live rate to
 * stderr; and uploads the topology to object storage for the layers to load.
 *
 * The producer is the platform's (@platformatic/kafka through `createKafka`): `PartitionedSender`
 * places each message itself, by the configured head-end partitioner (AMI_KAFKA_PARTITIONER, so
 * the speed layer finds every meter where it expects it, whichever rule is set), and keeps one
 * produce call in flight per partition (see there).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3, sendGroups, type KafkaProducer } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { DEFAULT_PARTITIONER, partitionForKey, type Partitioner } from '@ami/shared/partitioner';
import type { MessageSink } from './sink.ts';
import { topologyJsonl, type Fleet } from './topology.ts';

/** Sends one batch of keyed messages to a topic. */
export interface BatchSender {
  send(topic: string, keys: readonly string[], values: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaSinkOptions {
  /** Target reads/s; undefined = as fast as possible. */
  readonly rate?: number | undefined;
  /** Print reads/s to stderr each second. */
  readonly progress?: boolean;
  /** Topics (default: the configured ones). */
  readonly readsTopic?: string;
  readonly eventsTopic?: string;
  /** Messages per batch handed to the sender (default 20 000). */
  readonly batchSize?: number;
  /**
   * Batches handed to the sender and not yet acknowledged (default 4). Order does not depend on
   * it: the sender keeps one produce call in flight per partition whatever the batches.
   */
  readonly maxInFlight?: number;
  /**
   * 'all' in-sync replicas with an idempotent producer (default: a retried request is written
   * once), or the 'leader' only, without idempotence (the producer requires acks all for it).
   */
  readonly acks?: 'all' | 'leader';
  /** Send every queued read at each flush, not only full batches (live mode: reads go out on time). */
  readonly sendPartialBatches?: boolean;
}

export class KafkaSink implements MessageSink {
  private readKeys: string[] = [];
  private readValues: string[] = [];
  private eventKeys: string[] = [];
  private eventValues: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout | undefined;
  sentReads = 0;
  sentEvents = 0;

  constructor(
    private readonly sender: BatchSender,
    private readonly readsTopic: string,
    private readonly eventsTopic: string,
    private readonly options: KafkaSinkOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 20_000;
    this.maxInFlight = options.maxInFlight ?? 4;
    if (options.progress === true) {
      let last = 0;
      this.timer = setInterval(() => {
        process.stderr.write(
          `ami sim: ${this.sentReads - last} reads/s (${this.sentReads} reads, ${this.sentEvents} events)\n`,
        );
        last = this.sentReads;
      }, 1000);
      this.timer.unref();
    }
  }

  read(key: string, value: string): void {
    this.readKeys.push(key);
    this.readValues.push(value);
  }

  event(key: string, value: string): void {
    this.eventKeys.push(key);
    this.eventValues.push(value);
  }

  async flush(): Promise<void> {
    while (this.readKeys.length >= this.batchSize) await this.dispatchReads(this.batchSize);
    if (this.options.sendPartialBatches === true && this.readKeys.length > 0) {
      await this.dispatchReads(this.readKeys.length);
    }
    // Events are few and operational (last gasps): sent after every simulated interval.
    if (this.eventKeys.length > 0) await this.dispatchEvents();
  }

  async close(): Promise<void> {
    try {
      if (this.readKeys.length > 0) await this.dispatchReads(this.readKeys.length);
      if (this.eventKeys.length > 0) await this.dispatchEvents();
      await Promise.all(this.inFlight);
      this.throwIfFailed();
    } finally {
      if (this.timer !== undefined) clearInterval(this.timer);
      await this.sender.close();
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) {
      throw this.failure instanceof Error
        ? this.failure
        : new Error('Kafka produce failed', { cause: this.failure });
    }
  }

  private async dispatchReads(n: number): Promise<void> {
    const keys = this.readKeys.splice(0, n);
    const values = this.readValues.splice(0, n);
    await this.dispatch(this.readsTopic, keys, values, true);
  }

  private async dispatchEvents(): Promise<void> {
    const keys = this.eventKeys;
    const values = this.eventValues;
    this.eventKeys = [];
    this.eventValues = [];
    await this.dispatch(this.eventsTopic, keys, values, false);
  }

  private async dispatch(topic: string, keys: string[], values: string[], reads: boolean): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    if (reads && this.options.rate !== undefined) {
      // Pace: the reads sent so far plus this batch may not be ahead of rate × elapsed.
      const dueMs = ((this.sentReads + keys.length) / this.options.rate) * 1000;
      const waitMs = dueMs - (Date.now() - this.startedAt);
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    }
    const p = this.sender
      .send(topic, keys, values)
      .then(
        () => {
          if (reads) this.sentReads += keys.length;
          else this.sentEvents += keys.length;
        },
        (err: unknown) => {
          this.failure ??= err;
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}

/** A message as the sender hands it to the producer: placed, key and value already bytes. */
interface PlacedMessage {
  readonly topic: string;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly partition: number;
}

/**
 * @platformatic/kafka as a BatchSender, in order per partition with several requests in flight.
 *
 * Each message is placed here by `partitionForKey` with the configured partitioner
 * (AMI_KAFKA_PARTITIONER: by default murmur2, the Java client's rule and the producer's
 * `compatibilityPartitioner`; crc32 or fnv1a to play a librdkafka or Sarama head-end on its
 * defaults), and each partition's produce calls form a chain: a
 * partition has one call in flight at a time while the other partitions' calls run alongside, so
 * a meter's messages reach the log in the order they were sent, whatever the number of batches
 * in flight, the acks, the retries or the order in which the client's callbacks fire. We do not
 * rely on the idempotent producer's sequence numbers to keep order across concurrent calls of
 * one partition instead: @platformatic/kafka answers an OUT_OF_ORDER_SEQUENCE_NUMBER by taking a
 * new producer id and re-sending that one request (which puts it after the later ones), and with
 * acks 'leader' there is no idempotence at all.
 *
 * Each call carries one partition's messages up to `MAX_SEND_BYTES` (`sendGroups`), so its record
 * batch stays below the broker's 1 MiB. A failed call fails its batch and every later call of its
 * partition (they are never sent: nothing is written after a hole); the sink then fails the run.
 */
export class PartitionedSender implements BatchSender {
  /** Last produce call of each partition (`topic:partition`); the next one starts after it. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly producer: KafkaProducer,
    /** Partition count of each topic this sender produces to. */
    private readonly partitions: ReadonlyMap<string, number>,
    /** The rule messages are placed by (AMI_KAFKA_PARTITIONER). */
    private readonly partitioner: Partitioner = DEFAULT_PARTITIONER,
  ) {}

  /** Opens the platform's producer and reads the partition counts of `topics` (all must exist). */
  static async open(
    config: AmiConfig,
    topics: readonly string[],
    acks: 'all' | 'leader',
  ): Promise<PartitionedSender> {
    const kafka = createKafka(config, { component: 'simulator' });
    const producer = kafka.producer({ idempotent: acks === 'all', acks });
    try {
      const meta = await producer.metadata({ topics: [...topics], forceUpdate: true });
      const partitions = new Map<string, number>();
      for (const topic of topics) {
        const n = meta.topics.get(topic)?.partitionsCount ?? 0;
        if (n < 1) throw new Error(`topic ${topic} does not exist`);
        partitions.set(topic, n);
      }
      return new PartitionedSender(producer, partitions, config.topics.partitioner);
    } catch (err) {
      await producer.close().catch(() => undefined);
      throw err;
    }
  }

  send(topic: string, keys: readonly string[], values: readonly string[]): Promise<void> {
    const n = this.partitions.get(topic);
    if (n === undefined) return Promise.reject(new Error(`topic ${topic} was not opened`));
    const byPartition: PlacedMessage[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < keys.length; i++) {
      const key = Buffer.from(keys[i] ?? '', 'utf8');
      const partition = partitionForKey(key, n, this.partitioner);
      byPartition[partition]?.push({ topic, key, value: Buffer.from(values[i] ?? '', 'utf8'), partition });
    }
    const calls: Promise<void>[] = [];
    byPartition.forEach((messages, partition) => {
      if (messages.length > 0) calls.push(this.enqueue(`${topic}:${partition}`, messages));
    });
    return Promise.all(calls).then(() => undefined);
  }

  /** Chains the size-bounded produce calls of one partition after its earlier ones. */
  private enqueue(partitionId: string, messages: readonly PlacedMessage[]): Promise<void> {
    let tail = this.tails.get(partitionId) ?? Promise.resolve();
    for (const group of sendGroups(messages)) {
      tail = tail.then(async () => {
        await this.producer.send({ messages: group });
      });
    }
    this.tails.set(partitionId, tail);
    return tail;
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

/** Opens the producer and returns the sink. */
export async function openKafkaSink(config: AmiConfig, options: KafkaSinkOptions = {}): Promise<KafkaSink> {
  const readsTopic = options.readsTopic ?? config.topics.reads;
  const eventsTopic = options.eventsTopic ?? config.topics.events;
  const sender = await PartitionedSender.open(config, [readsTopic, eventsTopic], options.acks ?? 'all');
  return new KafkaSink(sender, readsTopic, eventsTopic, options);
}

export interface TopologyVersionInfo {
  readonly seed: number;
  readonly meters: number;
  readonly startDate: string;
}

/** Where topology versions live in the bucket. */
export const TOPOLOGY_PREFIX = 'reference/topology';

/** The topology version name: the same arguments give the same version (and the same content). */
export function topologyVersion(info: TopologyVersionInfo): string {
  return `sim-s${info.seed}-m${info.meters}-${info.startDate}`;
}

/**
 * Uploads `reference/topology/<version>/topology.jsonl`, then `reference/topology/current.json`
 * naming it (`{"version", "key", "meters", "created_at"}`), so readers never see a half-written version.
 */
export async function uploadTopology(
  config: AmiConfig,
  fleet: Fleet,
  info: TopologyVersionInfo,
  prefix = TOPOLOGY_PREFIX,
): Promise<string> {
  const s3 = createS3(config);
  const version = topologyVersion(info);
  const key = `${prefix}/${version}/topology.jsonl`;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: config.connection.s3Bucket,
        Key: key,
        Body: topologyJsonl(fleet),
        ContentType: 'application/x-ndjson',
      }),
    );
    const pointer = { version, key, meters: fleet.meters.length, created_at: new Date().toISOString() };
    await s3.send(
      new PutObjectCommand({
        Bucket: config.connection.s3Bucket,
        Key: `${prefix}/current.json`,
        Body: JSON.stringify(pointer) + '\n',
        ContentType: 'application/json',
      }),
    );
    return version;
  } finally {
    s3.destroy();
  }
}
