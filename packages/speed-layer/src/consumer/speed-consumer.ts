/**
 * The speed-layer consumer: one kafkajs consumer group on the reads and events topics.
 *
 * Per batch of one partition: validate (invalid → DLQ with reason and source offset, produced
 * before anything is committed), apply the valid reads chunk by chunk with apply.lua (each call
 * atomically applies the chunk and moves the partition's fence in Redis), then commit the Kafka
 * offset. A crash anywhere replays from the committed offset; the fence makes the replay a no-op
 * for everything already applied. If Redis lost writes (e.g. the last second of AOF), its fence is
 * behind the committed offset: the consumer seeks back to fence + 1 so nothing is lost either —
 * on assignment (fence read) and while running (apply.lua refuses a chunk when the stored fence is
 * below the one this process last saw, e.g. Redis came back from an older AOF or a lagging replica).
 * Events are validated (invalid → events DLQ) and handed to the alert engine (alerts/) before
 * their offsets are committed; the engine evaluates grid windows as the global watermark passes.
 *
 * Backpressure: an apply call slower than AMI_SPEED_SLOW_APPLY_MS pauses fetching of that
 * partition for AMI_SPEED_PAUSE_MS; a failed call (Redis down, timeout) pauses it with doubling
 * back-off and rewinds the fetch position to the first unapplied message, so nothing is skipped
 * and nothing piles up in memory (kafkajs holds at most one fetch per partition). Retention: a
 * timer runs the retention sweep (retention/sweep.ts) against the batch watermark.
 */
import type { Batch, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { RedisClient } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import {
  makeDlqRecord,
  validateEvent,
  type DlqRecord,
  type TopologyIndex,
  type ValidEvent,
  type ValidationConfig,
} from '@ami/shared/contracts';
import type { EventCodeTable } from '@ami/shared/domain';
import type { Logger } from '@ami/shared/log';
import type { SpeedLayerSettings } from '../config.ts';
import type { SpeedMetrics } from '../metrics.ts';
import { applyChunk, readFence } from '../realtime-view/apply.ts';
import type { AlertEngine } from '../alerts/engine.ts';
import { sweepRetention, type BatchWatermarkSource } from '../retention/sweep.ts';
import { PartitionWatermarks } from '../watermark.ts';
import { dlqSendBatches } from './dlq-batches.ts';
import { planReadBatch, type PlannedChunk, type ReadPlan, type ReadPlanCounts } from './plan-reads.ts';

/** What became visible in Redis with one apply call (for benchmarks and tests). */
export interface AppliedChunkInfo {
  readonly partition: number;
  readonly appliedAtMs: number;
  readonly readTsMs: readonly number[];
  /** Kafka produce time of each read (NaN when unknown). */
  readonly produceTsMs: readonly number[];
}

export interface SpeedConsumerDeps {
  readonly kafka: Kafka;
  readonly redis: RedisClient;
  readonly config: AmiConfig;
  readonly settings: SpeedLayerSettings;
  readonly validation: ValidationConfig;
  readonly eventCodes: Pick<EventCodeTable, 'get'>;
  readonly topology?: TopologyIndex;
  readonly logger: Logger;
  readonly metrics?: SpeedMetrics;
  readonly now?: () => number;
  /** The batch watermark for retention (the catalog); without it only the hard cap drops days. */
  readonly batchWatermark?: BatchWatermarkSource;
  /**
   * Alerts (SPEC 4): valid events go to it before their offsets are committed; the global
   * watermark is handed to it after every applied batch and once a second (idle partitions).
   */
  readonly alerts?: AlertEngine;
  /** Called after every successful apply call. */
  readonly onApplied?: (info: AppliedChunkInfo) => void;
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
  late: number;
  expired: number;
  pauses: number;
  retentionDroppedDays: number;
  retentionDroppedUncoveredDays: number;
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
    late: 0,
    expired: 0,
    pauses: 0,
    retentionDroppedDays: 0,
    retentionDroppedUncoveredDays: 0,
  };
  readonly watermarks: PartitionWatermarks;
  /**
   * Event time reached per partition of the events topic (no lateness). Alert windows wait for the
   * partitions still behind their log end: a window evaluated before a lagging events partition
   * delivered its last gasps would count meters without power as silent (a spurious comm-loss
   * alert in a backlog or replay).
   */
  readonly eventWatermarks: PartitionWatermarks;
  /** Events partitions whose last batch was not at the log end. */
  private readonly eventsBehind = new Set<number>();
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly now: () => number;
  private running = false;
  private readonly pausedUntil = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private sweeping: Promise<void> | undefined;
  private appliedSinceTick = 0;
  private evaluating: Promise<void> | undefined;
  /**
   * Per partition, the fence this process knows Redis holds (the one it read on assignment, then
   * each apply's): apply.lua refuses a chunk when the stored fence is lower — Redis lost writes
   * while we kept running — and the consumer rewinds to the stored fence instead of leaving a hole.
   */
  private readonly knownFence = new Map<number, number>();

  constructor(private readonly deps: SpeedConsumerDeps) {
    const s = deps.settings;
    this.now = deps.now ?? Date.now;
    this.watermarks = new PartitionWatermarks({
      allowedLatenessMs: s.allowedLatenessS * 1000,
      idleTimeoutMs: s.idleTimeoutS * 1000,
    });
    this.eventWatermarks = new PartitionWatermarks({
      allowedLatenessMs: 0,
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
    await this.readsPartitionCount();
    await this.consumer.connect();
    // After a rebalance a partition may come back having been advanced by another instance:
    // forget every in-memory watermark, it is restored from the Redis fence on the next batch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.watermarks.forgetAll();
      this.eventWatermarks.forgetAll();
      this.eventsBehind.clear();
      this.knownFence.clear();
    });
    await this.consumer.subscribe({
      topics: [t.reads, t.events],
      fromBeginning: this.deps.settings.fromBeginning,
    });
    this.running = true;
    this.startTimers();
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
    for (const t of this.timers) clearInterval(t);
    for (const t of this.pausedUntil.values()) clearTimeout(t);
    this.pausedUntil.clear();
    await this.sweeping;
    await this.evaluating;
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private startTimers(): void {
    const { settings, metrics } = this.deps;
    const tickMs = 10_000;
    this.timers.push(
      setInterval(() => {
        metrics?.readsPerSecond.set(this.appliedSinceTick / (tickMs / 1000));
        this.appliedSinceTick = 0;
        const global = this.watermarks.globalWatermark(this.now());
        if (Number.isFinite(global)) metrics?.watermark.set({ partition: 'global' }, global / 1000);
      }, tickMs),
    );
    if (settings.retentionSweepS > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.sweeping === undefined) {
            this.sweeping = this.sweepOnce().finally(() => (this.sweeping = undefined));
          }
        }, settings.retentionSweepS * 1000),
      );
    }
    if (this.deps.alerts !== undefined) this.timers.push(setInterval(() => this.evaluateAlerts(), 1000));
    for (const t of this.timers) t.unref();
  }

  /** Hands the global watermark to the alert engine (one evaluation at a time; errors logged). */
  private evaluateAlerts(): void {
    const alerts = this.deps.alerts;
    if (alerts === undefined || this.evaluating !== undefined || !this.running) return;
    const nowMs = this.now();
    const readsWm = this.watermarks.globalWatermark(nowMs);
    if (!Number.isFinite(readsWm)) return;
    const wm = Math.min(readsWm, this.eventWatermarks.minimumOver(this.eventsBehind));
    if (!Number.isFinite(wm)) return;
    this.evaluating = alerts
      .onWatermark(wm, nowMs)
      .then(() => undefined)
      .catch((err: unknown) =>
        this.deps.logger.error({ err }, 'alert evaluation failed (retried on the next tick)'),
      )
      .finally(() => (this.evaluating = undefined));
  }

  /** One retention sweep over every partition of the reads topic (errors are logged, not thrown). */
  async sweepOnce(): Promise<void> {
    const { redis, settings, config, metrics, logger } = this.deps;
    try {
      const partitionCount = await this.readsPartitionCount();
      const r = await sweepRetention({
        redis,
        keyPrefix: settings.keyPrefix,
        partitionCount,
        policy: {
          graceMs: settings.retentionGraceS * 1000,
          hardCapDays: settings.retentionDays,
          timeZone: config.connection.timeZone,
        },
        batchWatermark: this.deps.batchWatermark ?? (() => Promise.resolve(null)),
        allowedLatenessMs: settings.allowedLatenessS * 1000,
        nowMs: this.now(),
        logger,
      });
      this.stats.retentionDroppedDays += r.droppedDays;
      this.stats.retentionDroppedUncoveredDays += r.droppedUncoveredDays;
      metrics?.retentionDroppedDays.inc({ covered: 'true' }, r.droppedDays - r.droppedUncoveredDays);
      metrics?.retentionDroppedDays.inc({ covered: 'false' }, r.droppedUncoveredDays);
      metrics?.batchWatermark.set(r.batchWatermarkMs === null ? 0 : r.batchWatermarkMs / 1000);
      if (r.droppedDays > 0) logger.info(r, 'retention sweep dropped provisional days');
    } catch (err) {
      logger.error({ err }, 'retention sweep failed (will retry on the next tick)');
    }
  }

  private partitionCount: number | undefined;
  private async readsPartitionCount(): Promise<number> {
    if (this.partitionCount !== undefined) return this.partitionCount;
    const admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [this.deps.config.topics.reads] });
      this.partitionCount = meta.topics[0]?.partitions.length ?? 0;
      return this.partitionCount;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Redis unavailable or failing: keep what was applied, rewind the fetch position to the first
   * unapplied message and pause the partition with a doubling back-off instead of crashing.
   */
  private backOff(topic: string, partition: number, fromOffset: string | null, err: unknown): void {
    const id = `${topic}:${partition}`;
    const n = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, n);
    const ms = Math.min(30_000, this.deps.settings.pauseMs * 2 ** (n - 1));
    this.deps.logger.warn(
      { err: err instanceof Error ? err.message : String(err), partition, pauseMs: ms, attempt: n },
      'Redis call failed: pausing partition',
    );
    if (fromOffset !== null) this.consumer.seek({ topic, partition, offset: fromOffset });
    this.pausePartition(topic, partition, ms, 'error');
  }

  /** Pauses fetching of a partition for `ms`, then resumes it (backpressure). */
  private pausePartition(topic: string, partition: number, ms: number, reason: string): void {
    const id = `${topic}:${partition}`;
    if (this.pausedUntil.has(id)) return;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    this.stats.pauses++;
    this.deps.metrics?.pauses.inc({ reason });
    this.deps.metrics?.paused.set(this.pausedUntil.size + 1);
    const timer = setTimeout(() => {
      this.pausedUntil.delete(id);
      this.deps.metrics?.paused.set(this.pausedUntil.size);
      if (this.running) this.consumer.resume([{ topic, partitions: [partition] }]);
    }, ms);
    this.pausedUntil.set(id, timer);
  }

  private async sendDlq(topic: string, records: readonly DlqRecord[]): Promise<void> {
    if (records.length === 0) return;
    // bounded records in bounded sends: one over Kafka's message limit would fail the batch forever
    for (const messages of dlqSendBatches(records)) await this.producer.send({ topic, messages });
    for (const r of records) this.deps.metrics?.dlq.inc({ topic, reason: r.reason });
  }

  private async commit(topic: string, partition: number, lastOffset: string): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
  }

  /**
   * One batch of a reads partition: restore the partition's state on its first batch, plan the
   * batch (validate, dead-letter, chunk), apply the chunks, commit what was applied, then let the
   * alert engine look at the new watermark.
   */
  private async onReads(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const p = batch.partition;
    const nowMs = this.now();
    if (!this.watermarks.has(p) && !(await this.restorePartition(batch, nowMs))) return;
    if (batch.messages.length === 0) return;
    const plan = await this.planReads(batch, nowMs);
    await this.sendDlq(this.deps.config.topics.readsDlq, plan.dlq);
    this.countPlanned(batch, plan.counts);
    const committedUpTo = await this.applyChunks(payload, plan.chunks);
    if (committedUpTo !== undefined) await this.commit(batch.topic, p, committedUpTo);
    const wm = this.watermarks.partitionWatermark(p);
    if (Number.isFinite(wm)) this.deps.metrics?.watermark.set({ partition: String(p) }, wm / 1000);
    this.evaluateAlerts();
  }

  /**
   * First batch of a partition since assignment: its watermark and known fence from the Redis fence.
   * False when the batch is not to be applied: Redis failed (backed off), or the fence is behind the
   * committed offset (Redis lost writes: the fetch is rewound to the fence).
   */
  private async restorePartition(batch: Batch, nowMs: number): Promise<boolean> {
    const p = batch.partition;
    let fence;
    try {
      fence = await readFence(this.deps.redis, this.deps.settings.keyPrefix, p);
    } catch (err) {
      this.backOff(batch.topic, p, batch.firstOffset(), err);
      return false;
    }
    this.watermarks.restore(p, fence.maxEventMs, nowMs);
    this.knownFence.set(p, fence.offset);
    const first = batch.firstOffset();
    if (fence.offset >= 0 && first !== null && BigInt(first) > BigInt(fence.offset) + 1n) {
      this.stats.rewinds++;
      this.deps.logger.warn(
        { partition: p, fence: fence.offset, committedFrom: first },
        'Redis fence is behind the committed offset (lost writes?): rewinding to the fence',
      );
      this.consumer.seek({ topic: batch.topic, partition: p, offset: String(fence.offset + 1) });
      return false;
    }
    return true;
  }

  /** Validates the batch and plans it: DLQ records, counts, and the chunks to apply in order. */
  private async planReads(batch: Batch, nowMs: number): Promise<ReadPlan> {
    const { settings, config, metrics } = this.deps;
    // cached (fetched at start): reads of a meter owned by another partition are dead-lettered
    const numPartitions = await this.readsPartitionCount();
    metrics?.messages.inc({ topic: batch.topic }, batch.messages.length);
    return planReadBatch(batch.messages, {
      topic: batch.topic,
      partition: batch.partition,
      keyPrefix: settings.keyPrefix,
      timeZone: config.connection.timeZone,
      nowMs,
      validation: { ...this.deps.validation, nowMs, timeZone: config.connection.timeZone },
      topology: this.deps.topology,
      numPartitions,
      retentionDays: settings.retentionDays,
      maxMessagesPerChunk: settings.maxMessagesPerChunk,
      watermarks: this.watermarks,
    });
  }

  private countPlanned(batch: Batch, counts: ReadPlanCounts): void {
    const { metrics } = this.deps;
    this.stats.readsValid += counts.valid;
    this.stats.readsInvalid += counts.invalid;
    this.stats.beyondRetention += counts.beyondRetention;
    this.stats.registers += counts.registers;
    metrics?.beyondRetention.inc(counts.beyondRetention);
    metrics?.registers.inc(counts.registers);
    this.stats.late += counts.late;
    metrics?.late.inc(counts.late);
    metrics?.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
  }

  /**
   * Applies the chunks in order, resolving each one's offsets. Stops at a failed call (backed off
   * from the first unapplied message), a fence that went back (rewound), a slow call (paused), or
   * when the consumer stops or rebalances. Returns the last applied offset.
   */
  private async applyChunks(
    payload: EachBatchPayload,
    chunks: readonly PlannedChunk[],
  ): Promise<string | undefined> {
    const { batch } = payload;
    const { redis, settings } = this.deps;
    const p = batch.partition;
    let committedUpTo: string | undefined;
    for (const chunk of chunks) {
      const started = this.now();
      let r;
      try {
        const expectedFence = this.knownFence.get(p);
        r = await applyChunk(
          redis,
          settings.keyPrefix,
          expectedFence === undefined ? chunk : { ...chunk, expectedFence },
        );
      } catch (err) {
        const from =
          committedUpTo === undefined ? batch.firstOffset() : (BigInt(committedUpTo) + 1n).toString();
        this.backOff(batch.topic, p, from, err);
        break;
      }
      if (r.regressed) {
        this.rewindToFence(batch.topic, p, r.previousFence);
        break;
      }
      this.knownFence.set(p, Math.max(r.previousFence, Number(chunk.lastOffset)));
      const appliedAtMs = this.now();
      this.failures.delete(`${batch.topic}:${p}`);
      this.recordApplied(chunk, r, appliedAtMs);
      payload.resolveOffset(chunk.lastOffset);
      committedUpTo = chunk.lastOffset;
      if (appliedAtMs - started > settings.slowApplyMs) {
        this.deps.logger.warn(
          { partition: p, applyMs: appliedAtMs - started, reads: chunk.reads.length },
          'slow Redis apply: pausing partition',
        );
        this.pausePartition(batch.topic, p, settings.pauseMs, 'slow');
        break;
      }
      if (!payload.isRunning() || payload.isStale()) break;
      await payload.heartbeat();
    }
    return committedUpTo;
  }

  /** The stored fence went back (Redis lost writes while we ran): fetch again from it. */
  private rewindToFence(topic: string, partition: number, fence: number): void {
    this.stats.rewinds++;
    this.deps.logger.warn(
      { partition, expectedFence: this.knownFence.get(partition), fence },
      'Redis fence went back (Redis lost writes): rewinding to the fence',
    );
    this.knownFence.set(partition, fence);
    this.consumer.seek({ topic, partition, offset: String(fence + 1) });
  }

  private recordApplied(
    chunk: PlannedChunk,
    r: Awaited<ReturnType<typeof applyChunk>>,
    appliedAtMs: number,
  ): void {
    const { metrics } = this.deps;
    this.stats.inserted += r.inserted;
    this.stats.replaced += r.replaced;
    this.stats.unchanged += r.unchanged;
    this.stats.replayed += r.replayed;
    this.stats.expired += r.expired;
    this.appliedSinceTick += r.inserted + r.replaced + r.unchanged;
    if (metrics) {
      metrics.applied.inc({ effect: 'inserted' }, r.inserted);
      metrics.applied.inc({ effect: 'replaced' }, r.replaced);
      metrics.applied.inc({ effect: 'unchanged' }, r.unchanged);
      metrics.applied.inc({ effect: 'replayed' }, r.replayed);
      metrics.expired.inc(r.expired);
      for (const ts of chunk.readTsMs) metrics.freshness.observe((appliedAtMs - ts) / 1000);
      for (const ts of chunk.produceTsMs) {
        if (!Number.isNaN(ts)) metrics.applyLatency.observe((appliedAtMs - ts) / 1000);
      }
    }
    this.deps.onApplied?.({
      partition: chunk.partition,
      appliedAtMs,
      readTsMs: chunk.readTsMs,
      produceTsMs: chunk.produceTsMs,
    });
  }

  private async onEvents(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { config, metrics } = this.deps;
    if (batch.messages.length === 0) return;
    const nowMs = this.now();
    metrics?.messages.inc({ topic: batch.topic }, batch.messages.length);
    const dlq: DlqRecord[] = [];
    const validEvents: ValidEvent[] = [];
    for (const m of batch.messages) {
      const v = validateEvent(m.value, { ...this.deps.validation, nowMs, eventCodes: this.deps.eventCodes });
      if (v.ok) validEvents.push(v.event);
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
    for (const e of validEvents) this.eventWatermarks.observe(batch.partition, e.eventTsMs, nowMs);
    this.eventWatermarks.touch(batch.partition, nowMs);
    if (batch.offsetLag() !== '0') this.eventsBehind.add(batch.partition);
    else this.eventsBehind.delete(batch.partition);
    // Alert transitions are in Redis (and its outbox to the alert topics) before the commit.
    if (this.deps.alerts !== undefined && validEvents.length > 0)
      await this.deps.alerts.onEvents(validEvents);
    const valid = validEvents.length;
    metrics?.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    this.stats.eventsValid += valid;
    this.stats.eventsInvalid += dlq.length;
    metrics?.events.inc(valid);
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    await this.commit(batch.topic, batch.partition, last);
  }
}
