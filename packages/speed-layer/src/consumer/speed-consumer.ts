/**
 * The speed-layer consumer: one kafkajs consumer group on the reads and events topics.
 *
 * Per batch of one partition: validate (invalid → DLQ with reason and source offset, produced
 * before anything is committed), apply the valid reads chunk by chunk with apply.lua (each call
 * atomically applies the chunk and moves the partition's fence in Redis), then commit the Kafka
 * offset. A crash anywhere replays from the committed offset; the fence makes the replay a no-op
 * for everything already applied. If Redis lost writes (e.g. the last second of AOF), its fence is
 * behind the committed offset: the consumer seeks back to fence + 1 so nothing is lost either.
 * Events are validated (invalid → events DLQ) and counted; alerting is a later part.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { AmiConfig } from '@ami/shared/config';
import {
  makeDlqRecord,
  validateEvent,
  type DlqRecord,
  type TopologyIndex,
  type ValidationConfig,
} from '@ami/shared/contracts';
import type { EventCodeTable } from '@ami/shared/domain';
import type { Logger } from '@ami/shared/log';
import type { SpeedLayerSettings } from '../config.ts';
import type { SpeedMetrics } from '../metrics.ts';
import { applyChunk, readFence } from '../realtime-view/apply.ts';
import { PartitionWatermarks } from '../watermark.ts';
import { planReadBatch } from './plan-reads.ts';

export interface SpeedConsumerDeps {
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly config: AmiConfig;
  readonly settings: SpeedLayerSettings;
  readonly validation: ValidationConfig;
  readonly eventCodes: Pick<EventCodeTable, 'get'>;
  readonly topology?: TopologyIndex;
  readonly logger: Logger;
  readonly metrics?: SpeedMetrics;
  readonly now?: () => number;
}

export interface SpeedConsumerStats {
  readsValid: number;
  readsInvalid: number;
  inserted: number;
  replaced: number;
  unchanged: number;
  replayed: number;
  beyondRetention: number;
  registers: number;
  eventsValid: number;
  eventsInvalid: number;
  rewinds: number;
}

export class SpeedConsumer {
  readonly stats: SpeedConsumerStats = {
    readsValid: 0,
    readsInvalid: 0,
    inserted: 0,
    replaced: 0,
    unchanged: 0,
    replayed: 0,
    beyondRetention: 0,
    registers: 0,
    eventsValid: 0,
    eventsInvalid: 0,
    rewinds: 0,
  };
  readonly watermarks: PartitionWatermarks;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly now: () => number;
  private running = false;

  constructor(private readonly deps: SpeedConsumerDeps) {
    const s = deps.settings;
    this.now = deps.now ?? Date.now;
    this.watermarks = new PartitionWatermarks({
      allowedLatenessMs: s.allowedLatenessS * 1000,
      idleTimeoutMs: s.idleTimeoutS * 1000,
    });
    this.consumer = deps.kafka.consumer({
      groupId: s.groupId,
      maxBytesPerPartition: s.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    this.producer = deps.kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  }

  async start(): Promise<void> {
    const t = this.deps.config.topics;
    await this.producer.connect();
    await this.consumer.connect();
    // After a rebalance a partition may come back having been advanced by another instance:
    // forget every in-memory watermark, it is restored from the Redis fence on the next batch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.watermarks.forgetAll());
    await this.consumer.subscribe({
      topics: [t.reads, t.events],
      fromBeginning: this.deps.settings.fromBeginning,
    });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.settings.partitionsConsumedConcurrently,
      eachBatch: (payload) =>
        payload.batch.topic === t.reads ? this.onReads(payload) : this.onEvents(payload),
    });
  }

  /** Finishes the in-flight chunk, commits what was applied, and disconnects. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async sendDlq(topic: string, records: readonly DlqRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.send({
      topic,
      messages: records.map((r) => ({ key: r.key, value: JSON.stringify(r) })),
    });
    for (const r of records) this.deps.metrics?.dlq.inc({ topic, reason: r.reason });
  }

  private async commit(topic: string, partition: number, lastOffset: string): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
  }

  private async onReads(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { redis, settings, config, metrics } = this.deps;
    const p = batch.partition;
    const nowMs = this.now();
    if (!this.watermarks.has(p)) {
      const fence = await readFence(redis, settings.keyPrefix, p);
      this.watermarks.restore(p, fence.maxEventMs, nowMs);
      const first = batch.firstOffset();
      if (fence.offset >= 0 && first !== null && BigInt(first) > BigInt(fence.offset) + 1n) {
        this.stats.rewinds++;
        this.deps.logger.warn(
          { partition: p, fence: fence.offset, committedFrom: first },
          'Redis fence is behind the committed offset (lost writes?): rewinding to the fence',
        );
        this.consumer.seek({ topic: batch.topic, partition: p, offset: String(fence.offset + 1) });
        return;
      }
    }
    if (batch.messages.length === 0) return;
    metrics?.messages.inc({ topic: batch.topic }, batch.messages.length);
    const plan = planReadBatch(batch.messages, {
      topic: batch.topic,
      partition: p,
      keyPrefix: settings.keyPrefix,
      timeZone: config.connection.timeZone,
      nowMs,
      validation: { ...this.deps.validation, nowMs, timeZone: config.connection.timeZone },
      topology: this.deps.topology,
      retentionDays: settings.retentionDays,
      maxMessagesPerChunk: settings.maxMessagesPerChunk,
      watermarks: this.watermarks,
    });
    await this.sendDlq(config.topics.readsDlq, plan.dlq);
    this.stats.readsValid += plan.counts.valid;
    this.stats.readsInvalid += plan.counts.invalid;
    this.stats.beyondRetention += plan.counts.beyondRetention;
    this.stats.registers += plan.counts.registers;
    metrics?.beyondRetention.inc(plan.counts.beyondRetention);
    metrics?.registers.inc(plan.counts.registers);

    let committedUpTo: string | undefined;
    for (const chunk of plan.chunks) {
      const r = await applyChunk(redis, settings.keyPrefix, chunk);
      this.stats.inserted += r.inserted;
      this.stats.replaced += r.replaced;
      this.stats.unchanged += r.unchanged;
      this.stats.replayed += r.replayed;
      if (metrics) {
        metrics.applied.inc({ effect: 'inserted' }, r.inserted);
        metrics.applied.inc({ effect: 'replaced' }, r.replaced);
        metrics.applied.inc({ effect: 'unchanged' }, r.unchanged);
        metrics.applied.inc({ effect: 'replayed' }, r.replayed);
      }
      payload.resolveOffset(chunk.lastOffset);
      committedUpTo = chunk.lastOffset;
      if (!payload.isRunning() || payload.isStale()) break;
      await payload.heartbeat();
    }
    if (metrics) {
      const t = this.now();
      for (const ts of plan.appliedReadTsMs) metrics.freshness.observe((t - ts) / 1000);
    }
    if (committedUpTo !== undefined) await this.commit(batch.topic, p, committedUpTo);
  }

  private async onEvents(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { config, metrics } = this.deps;
    if (batch.messages.length === 0) return;
    const nowMs = this.now();
    metrics?.messages.inc({ topic: batch.topic }, batch.messages.length);
    const dlq: DlqRecord[] = [];
    let valid = 0;
    for (const m of batch.messages) {
      const v = validateEvent(m.value, { ...this.deps.validation, nowMs, eventCodes: this.deps.eventCodes });
      if (v.ok) valid++;
      else {
        dlq.push(
          makeDlqRecord({
            payload: m.value,
            failure: v,
            stage: 'speed',
            sourceTopic: batch.topic,
            sourcePartition: batch.partition,
            sourceOffset: m.offset,
            key: m.key,
            receivedAtMs: nowMs,
          }),
        );
      }
    }
    await this.sendDlq(config.topics.eventsDlq, dlq);
    this.stats.eventsValid += valid;
    this.stats.eventsInvalid += dlq.length;
    metrics?.events.inc(valid);
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    await this.commit(batch.topic, batch.partition, last);
  }
}
