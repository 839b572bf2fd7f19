/**
 * Kafka mode: produces reads and events (keyed by meter_id) in big batches with several requests
 * in flight, optionally paced to a target reads/s, printing the live rate to stderr; and uploads
 * the topology to object storage for the layers to load.
 *
 * Two producers behind one sink: `wire` (default; WireProducer, uncompressed Produce v3 built into
 * buffers) and `kafkajs` (the platform's client, slower: see README "Kafka mode" for the figures).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3 } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { CompressionTypes, type Producer } from 'kafkajs';
import type { MessageSink } from './sink.ts';
import { topologyJsonl, type Fleet } from './topology.ts';
import { WireProducer } from './wire/producer.ts';

/** Sends one batch of keyed messages to a topic. */
export interface BatchSender {
  send(topic: string, keys: readonly string[], values: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export type ProducerKind = 'wire' | 'kafkajs';

export interface KafkaSinkOptions {
  /** Target reads/s; undefined = as fast as possible. */
  readonly rate?: number | undefined;
  /** Print reads/s to stderr each second. */
  readonly progress?: boolean;
  /** Topics (default: the configured ones). */
  readonly readsTopic?: string;
  readonly eventsTopic?: string;
  /** Messages per produce request (default 20 000). */
  readonly batchSize?: number;
  /** Produce requests in flight (default 4; the kafkajs producer always uses 1 to keep per-meter order). */
  readonly maxInFlight?: number;
  /** -1 all in-sync replicas, 1 leader (default). */
  readonly acks?: -1 | 1;
  /** kafkajs producer only (it ships GZIP; other codecs need plugins). Default none. */
  readonly compression?: 'none' | 'gzip';
  readonly producer?: ProducerKind;
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

/** kafkajs as a BatchSender. */
export class KafkajsSender implements BatchSender {
  constructor(
    private readonly producer: Producer,
    private readonly acks: -1 | 1,
    private readonly compression: 'none' | 'gzip',
  ) {}

  async send(topic: string, keys: readonly string[], values: readonly string[]): Promise<void> {
    await this.producer.send({
      topic,
      messages: keys.map((key, i) => ({ key, value: values[i] ?? '' })),
      acks: this.acks,
      compression: this.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** WireProducer as a BatchSender. */
export class WireSender implements BatchSender {
  constructor(private readonly producer: WireProducer) {}

  send(topic: string, keys: readonly string[], values: readonly string[]): Promise<void> {
    return this.producer.send(topic, keys, values);
  }

  close(): Promise<void> {
    this.producer.close();
    return Promise.resolve();
  }
}

/** Connects the chosen producer and returns the sink. */
export async function openKafkaSink(config: AmiConfig, options: KafkaSinkOptions = {}): Promise<KafkaSink> {
  const kafka = createKafka(config, { component: 'simulator' });
  const readsTopic = options.readsTopic ?? config.topics.reads;
  const eventsTopic = options.eventsTopic ?? config.topics.events;
  const acks = options.acks ?? 1;
  let sender: BatchSender;
  if ((options.producer ?? 'wire') === 'wire') {
    sender = new WireSender(await WireProducer.open(kafka, [readsTopic, eventsTopic], acks));
  } else {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    sender = new KafkajsSender(producer, acks, options.compression ?? 'none');
    // Concurrent kafkajs sends may reach the broker in another order (each awaits metadata and
    // locks before writing), which would reorder a meter's reads: one send at a time.
    return new KafkaSink(sender, readsTopic, eventsTopic, { ...options, maxInFlight: 1 });
  }
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
