/**
 * The archiver (SPEC 5): its own kafkajs consumer group on the reads and events topics, landing
 * every message in the master dataset — valid reads and events as Parquet under raw/, invalid
 * messages under quarantine/ with the validators' reason code.
 *
 * Messages are validated (validateRead / validateEvent) and buffered per topic partition; a
 * partition is flushed when it holds AMI_ARCHIVER_FLUSH_ROWS messages, when its oldest message is
 * AMI_ARCHIVER_FLUSH_AGE_S old (a timer, since kafkajs delivers no empty batches), when the process
 * holds more than AMI_ARCHIVER_MAX_BUFFERED_ROWS (the fullest partition goes first), and on stop.
 * A flush writes one Parquet object per (dataset, kind, local date), uploads them, marks the dates
 * of valid data dirty in Redis, and only then commits the offset after the last message: at least
 * once into S3. Object names come from (group, partition, first offset, last offset), so a replay of
 * the same offsets overwrites; a replay that cuts the offsets differently leaves duplicates, which
 * the batch rebuild removes with the one latest-wins rule (compareReadVersions).
 *
 * Never losing a message: the fetch position runs ahead of the committed offset by the buffered
 * messages. Whenever a buffer is dropped unflushed (failed flush, rebalance, re-delivery), the
 * consumer seeks back to the buffer's first offset, so the messages are consumed again.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { RedisClient } from '@ami/shared/clients';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { AmiConfig } from '@ami/shared/config';
import {
  validateEvent,
  validateRead,
  type ValidationConfig,
  type ValidationFailure,
} from '@ami/shared/contracts';
import type { EventCodeTable } from '@ami/shared/domain';
import type { Logger } from '@ami/shared/log';
import type { ArchiverSettings } from './config.ts';
import { DirtyDays } from './dirty-days.ts';
import type { ArchiverMetrics } from './metrics.ts';
import type { ArchiveKind } from './naming.ts';
import { ArchiveParquetWriter } from './parquet-writer.ts';
import { PartitionBuffer, type FlushPlan, type PlannedObject } from './partition-buffer.ts';
import { archivedEvent, archivedRead, quarantined, type QuarantinedMessage } from './rows.ts';

export interface ArchiverDeps {
  readonly kafka: Kafka;
  readonly s3: S3Client;
  readonly redis: RedisClient;
  readonly db: DuckDBInstance;
  readonly config: AmiConfig;
  readonly settings: ArchiverSettings;
  readonly validation: ValidationConfig;
  readonly eventCodes: Pick<EventCodeTable, 'get'>;
  readonly logger: Logger;
  readonly metrics?: ArchiverMetrics;
  readonly now?: () => number;
}

export interface ArchiverStats {
  messages: number;
  readsArchived: number;
  eventsArchived: number;
  quarantined: number;
  objects: number;
  bytes: number;
  flushes: number;
  failedFlushes: number;
  droppedBuffers: number;
  /** Group joins (the first one included). */
  rebalances: number;
}

export type FlushTrigger = 'rows' | 'age' | 'memory' | 'stop';

const CONTENT_TYPE = 'application/vnd.apache.parquet';

export class Archiver {
  readonly stats: ArchiverStats = {
    messages: 0,
    readsArchived: 0,
    eventsArchived: 0,
    quarantined: 0,
    objects: 0,
    bytes: 0,
    flushes: 0,
    failedFlushes: 0,
    droppedBuffers: 0,
    rebalances: 0,
  };
  /** Committed offset (next to consume) per `topic:partition`, as committed by this process. */
  readonly committed = new Map<string, string>();
  readonly dirtyDays: DirtyDays;
  private readonly consumer: Consumer;
  private readonly writer: ArchiveParquetWriter;
  private readonly buffers = new Map<string, PartitionBuffer>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private running = false;
  private stopping = false;

  constructor(private readonly deps: ArchiverDeps) {
    this.now = deps.now ?? Date.now;
    this.dirtyDays = new DirtyDays(deps.redis, deps.settings.dirtyKeyPrefix);
    this.writer = new ArchiveParquetWriter(deps.db, { zstdLevel: deps.settings.zstdLevel });
    this.consumer = deps.kafka.consumer({
      groupId: deps.settings.groupId,
      maxBytesPerPartition: deps.settings.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
  }

  /** Messages buffered over all partitions. */
  get buffered(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.size;
    return n;
  }

  /** What is buffered and not yet archived, per topic partition (for tests and diagnostics). */
  bufferedRanges(): {
    topic: string;
    partition: number;
    firstOffset: string;
    lastOffset: string;
    size: number;
  }[] {
    return [...this.buffers.values()].flatMap((b) =>
      b.firstOffset === undefined || b.lastOffset === undefined
        ? []
        : [
            {
              topic: b.topic,
              partition: b.partition,
              firstOffset: b.firstOffset,
              lastOffset: b.lastOffset,
              size: b.size,
            },
          ],
    );
  }

  async start(): Promise<void> {
    const t = this.deps.config.topics;
    await this.consumer.connect();
    // After a rebalance, a revoked partition is consumed again from its committed offset by its new
    // owner: its buffer is dropped. A partition kept keeps its buffer; should kafkajs re-deliver it
    // from the committed offset, onBatch sees the re-delivery and starts the buffer again.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.stats.rebalances++;
      const assigned = event.payload.memberAssignment;
      for (const [key, buf] of [...this.buffers.entries()]) {
        if (!(assigned[buf.topic] ?? []).includes(buf.partition)) this.dropBuffer(key, 'rebalance');
      }
    });
    await this.consumer.subscribe({
      topics: [t.reads, t.events],
      fromBeginning: this.deps.settings.fromBeginning,
    });
    this.running = true;
    const tickMs = Math.min(1000, this.deps.settings.flushAgeS * 250);
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweepAged().finally(() => (this.sweeping = undefined));
    }, tickMs);
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.settings.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
  }

  /** Stops fetching, waits for the batch in hand, flushes and commits every buffer, disconnects. */
  async stop(): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    const t = this.deps.config.topics;
    this.consumer.pause([{ topic: t.reads }, { topic: t.events }]);
    await Promise.allSettled([...this.inflight, this.sweeping]);
    await this.flushAll('stop');
    await this.consumer.disconnect();
    await this.writer.close();
    this.running = false;
  }

  /** Flushes every non-empty buffer (each under its partition's lock). */
  async flushAll(trigger: FlushTrigger): Promise<void> {
    for (const key of [...this.buffers.keys()])
      await this.withLock(key, async () => void (await this.flush(key, trigger)));
  }

  private async track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    try {
      await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private withLock(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  private kindOf(topic: string): ArchiveKind {
    return topic === this.deps.config.topics.events ? 'events' : 'reads';
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.stopping || batch.messages.length === 0) return;
    const key = `${batch.topic}:${batch.partition}`;
    this.deps.metrics?.lag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
    let lastDone: string | undefined;
    await this.withLock(key, async () => {
      for (const m of batch.messages) {
        if (this.stopping || !payload.isRunning() || payload.isStale()) return;
        let buf = this.buffers.get(key);
        if (buf && !buf.accepts(m.offset)) {
          // Re-delivered from an earlier position (only the first message of a batch can be):
          // start again from there, or from the buffer's first offset when it lies before.
          const first = buf.firstOffset ?? m.offset;
          const inside = BigInt(m.offset) > BigInt(first);
          this.dropBuffer(key, 'redelivery', false);
          if (inside) {
            this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first });
            return;
          }
          buf = undefined;
        }
        if (!buf) {
          buf = new PartitionBuffer(batch.topic, batch.partition, this.kindOf(batch.topic));
          this.buffers.set(key, buf);
        }
        this.append(buf, m);
        lastDone = m.offset;
        if (buf.size >= this.deps.settings.flushRows) {
          payload.resolveOffset(m.offset);
          // A failed flush seeks back to the buffer's start: nothing after it may be resolved.
          if (!(await this.flush(key, 'rows'))) {
            lastDone = undefined;
            return;
          }
          await payload.heartbeat();
        }
      }
    });
    if (lastDone !== undefined) payload.resolveOffset(lastDone);
    this.deps.metrics?.buffered.set(this.buffered);
    if (this.buffered > this.deps.settings.maxBufferedRows) {
      const fullest = [...this.buffers.entries()].sort((a, b) => b[1].size - a[1].size)[0];
      if (fullest) await this.withLock(fullest[0], async () => void (await this.flush(fullest[0], 'memory')));
    }
    await payload.heartbeat();
  }

  /** Validates one message and adds its row (valid or quarantined) to the buffer. */
  private append(buf: PartitionBuffer, m: KafkaMessage): void {
    const nowMs = this.now();
    const { validation, config, eventCodes, metrics } = this.deps;
    this.stats.messages++;
    metrics?.messages.inc({ topic: buf.topic });
    // Receipt time = the Kafka record timestamp (when the broker got it), so a replay of the same
    // offsets files a quarantined message under the same date; the clock only if it is missing.
    const ts = Number(m.timestamp);
    const receivedAtMs = Number.isFinite(ts) && ts > 0 ? ts : nowMs;
    if (buf.kind === 'reads') {
      const v = validateRead(m.value, { ...validation, nowMs, timeZone: config.connection.timeZone });
      if (v.ok) buf.reads.push(archivedRead(v.read));
      else buf.quarantine.push(this.quarantine(buf, m, receivedAtMs, v));
    } else {
      const v = validateEvent(m.value, { ...validation, nowMs, eventCodes });
      if (v.ok) buf.events.push(archivedEvent(v.event));
      else buf.quarantine.push(this.quarantine(buf, m, receivedAtMs, v));
    }
    buf.consumed(m.offset, nowMs);
  }

  private quarantine(
    buf: PartitionBuffer,
    m: KafkaMessage,
    receivedAtMs: number,
    why: ValidationFailure,
  ): QuarantinedMessage {
    return quarantined(
      {
        topic: buf.topic,
        partition: buf.partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        receivedAtMs,
      },
      why,
    );
  }

  private dropBuffer(key: string, why: string, seekBack = true): void {
    const buf = this.buffers.get(key);
    if (!buf) return;
    this.buffers.delete(key);
    if (buf.firstOffset === undefined) return;
    this.stats.droppedBuffers++;
    this.deps.metrics?.dropped.inc();
    this.deps.logger.warn(
      { topic: buf.topic, partition: buf.partition, from: buf.firstOffset, to: buf.lastOffset, why },
      'dropping an unflushed buffer: its messages are consumed again',
    );
    if (seekBack) {
      try {
        this.consumer.seek({ topic: buf.topic, partition: buf.partition, offset: buf.firstOffset });
      } catch (err) {
        // Not assigned any more (rebalance): the new owner starts at the committed offset.
        this.deps.logger.debug({ err, key }, 'seek after drop not possible');
      }
    }
  }

  /** Flushes the buffers whose oldest message reached the age limit (one sweep at a time). */
  private async sweepAged(): Promise<void> {
    const maxAgeMs = this.deps.settings.flushAgeS * 1000;
    const nowMs = this.now();
    for (const [key, buf] of [...this.buffers.entries()]) {
      if (this.stopping) return;
      if (buf.size > 0 && nowMs - buf.startedAtMs >= maxAgeMs) {
        await this.withLock(key, async () => void (await this.flush(key, 'age')));
      }
    }
  }

  /**
   * Flushes one partition's buffer. Call under the partition's lock. Never throws: on failure the
   * buffer is dropped and the consumer seeks back to its first offset; returns false then.
   */
  private async flush(key: string, trigger: FlushTrigger): Promise<boolean> {
    const buf = this.buffers.get(key);
    if (!buf) return true;
    const plan = buf.plan({
      prefix: this.deps.settings.s3Prefix,
      groupId: this.deps.settings.groupId,
      timeZone: this.deps.config.connection.timeZone,
    });
    if (!plan) return true;
    const t0 = performance.now();
    try {
      await this.store(plan);
      await this.dirtyDays.markDirty(plan.dirtyDates, this.now());
      await this.consumer.commitOffsets([
        { topic: buf.topic, partition: buf.partition, offset: plan.commitOffset },
      ]);
    } catch (err) {
      this.stats.failedFlushes++;
      this.deps.logger.error(
        {
          err,
          topic: buf.topic,
          partition: buf.partition,
          from: buf.firstOffset,
          to: buf.lastOffset,
          trigger,
        },
        'flush failed',
      );
      if (this.buffers.get(key) === buf) this.dropBuffer(key, 'flush failed');
      return false;
    }
    if (this.buffers.get(key) === buf) this.buffers.delete(key);
    this.committed.set(key, plan.commitOffset);
    this.stats.flushes++;
    this.stats.readsArchived += buf.reads.length;
    this.stats.eventsArchived += buf.events.length;
    this.stats.quarantined += buf.quarantine.length;
    const m = this.deps.metrics;
    if (m) {
      m.flushes.inc({ trigger });
      m.flushSeconds.observe((performance.now() - t0) / 1000);
      m.readsArchived.inc(buf.reads.length);
      m.eventsArchived.inc(buf.events.length);
      for (const q of buf.quarantine) m.quarantined.inc({ kind: buf.kind, reason: q.reason });
      m.buffered.set(this.buffered);
    }
    this.deps.logger.debug(
      {
        topic: buf.topic,
        partition: buf.partition,
        objects: plan.objects.length,
        trigger,
        commit: plan.commitOffset,
      },
      'flushed',
    );
    return true;
  }

  /** Writes and uploads every object of a plan, a few at a time. */
  private async store(plan: FlushPlan): Promise<void> {
    const queue = [...plan.objects];
    const worker = async () => {
      for (let o = queue.shift(); o !== undefined; o = queue.shift()) await this.upload(o);
    };
    const n = Math.min(this.deps.settings.uploadConcurrency, queue.length);
    await Promise.all(Array.from({ length: n }, worker));
  }

  private async upload(o: PlannedObject): Promise<void> {
    const body =
      o.table === 'reads'
        ? await this.writer.writeReads(o.rows)
        : o.table === 'events'
          ? await this.writer.writeEvents(o.rows)
          : await this.writer.writeQuarantine(o.rows);
    await this.deps.s3.send(
      new PutObjectCommand({
        Bucket: this.deps.config.connection.s3Bucket,
        Key: o.key,
        Body: body,
        ContentType: CONTENT_TYPE,
      }),
    );
    this.stats.objects++;
    this.stats.bytes += body.length;
    this.deps.metrics?.objects.inc({ table: o.table });
    this.deps.metrics?.bytes.inc({ table: o.table }, body.length);
  }
}
