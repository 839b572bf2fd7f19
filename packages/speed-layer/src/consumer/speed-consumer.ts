/**
 * The speed-layer consumer: one Kafka consumer group (@platformatic/kafka, ADR 0010) on the reads
 * and events topics, read as a stream in processing rounds (`pumpBatches`: up to
 * AMI_SPEED_BATCH_RECORDS records, split by partition, partitions applied concurrently up to
 * AMI_SPEED_CONCURRENT_PARTITIONS).
 *
 * Per partition batch: validate (invalid → DLQ with reason and source offset, produced before
 * anything is committed), apply the valid reads chunk by chunk through the partition's writer
 * (realtime-view/partition-writer.ts: latest-wins decided in process on the values it holds, then
 * one write.lua call writes the changed bytes and moves the partition's fence in Redis atomically), then commit the Kafka offset. A crash
 * anywhere replays from the committed offset; the fence makes the replay a no-op for everything
 * already applied. If Redis lost writes (e.g. the last second of AOF), its fence is behind the
 * committed offset: the consumer commits fence + 1 and starts a new Kafka session, which reads on
 * from there, so nothing is lost either — on assignment (fence read) and while running (write.lua
 * refuses a chunk when the stored fence is below the one this process last saw, e.g. Redis came
 * back from an older AOF or a lagging replica).
 * Events are validated (invalid → events DLQ) and handed to the alert engine (alerts/) before
 * their offsets are committed; the engine evaluates grid windows as the global watermark passes.
 *
 * Backpressure: nothing more is read from the stream while a round is applied (the stream stops
 * fetching once its buffer is full); an apply call slower than AMI_SPEED_SLOW_APPLY_MS pauses
 * consumption for AMI_SPEED_PAUSE_MS; a failed call (Redis down, timeout) is retried from the
 * first unapplied chunk with doubling back-off, nothing skipped and nothing more read meanwhile
 * (heartbeats run on their own timer, so the group keeps its members). Retention: a timer runs the
 * retention sweep (retention/sweep.ts) against the batch watermark.
 */
import {
  commitNext,
  forEachLimited,
  openStream,
  partitionCount,
  pumpBatches,
  sendMessages,
  sleepUnlessAborted,
  withAdmin,
  type KafkaClients,
  type KafkaConsumer,
  type KafkaProducer,
  type KafkaRecord,
  type PartitionBatch,
  type RedisClient,
} from '@ami/shared/clients';
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
import { readFence } from '../realtime-view/apply.ts';
import {
  PartitionWriter,
  createViewValueCache,
  type ViewValueCache,
  type WriteResult,
} from '../realtime-view/partition-writer.ts';
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
  readonly kafka: KafkaClients;
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
  /** Redis commands the realtime-view writes cost (reads of values not held, scripts, SETRANGEs). */
  redisCommands: number;
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
    redisCommands: 0,
  };
  readonly watermarks: PartitionWatermarks;
  /**
   * Event time reached per partition of the events topic (no lateness). Alert windows wait for the
   * partitions still behind their log end: a window evaluated before a lagging events partition
   * delivered its last gasps would count meters without power as silent (a spurious comm-loss
   * alert in a backlog or replay).
   */
  readonly eventWatermarks: PartitionWatermarks;
  /** Events partitions not yet read up to their last known log end. */
  private readonly eventsBehind = new Set<number>();
  private readonly producer: KafkaProducer;
  private readonly now: () => number;
  private running = false;
  /** The current Kafka session (consumer + stream + pump) and what ends it. */
  private session: { consumer: KafkaConsumer; abort: AbortController } | undefined;
  /** Sessions run one after another until stop(); resolves when the last one ended. */
  private sessions: Promise<void> | undefined;
  /** Reads partitions to restart from an offset (Redis lost writes): committed before the next session. */
  private readonly rewindTo = new Map<number, bigint>();
  /** The next session starts because of a rewind: its first join keeps the known fences. */
  private keepFencesOnJoin = false;
  private readonly failures = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private sweeping: Promise<void> | undefined;
  private appliedSinceTick = 0;
  private evaluating: Promise<void> | undefined;
  /** Per `topic:partition`, the next offset to read (after the last record handled). */
  private readonly position = new Map<string, bigint>();
  /** Per `topic:partition`, the log end offset seen by the last lag probe. */
  private readonly logEnd = new Map<string, bigint>();
  /**
   * Per partition, the fence this process knows Redis holds (the one it read on assignment, then
   * each apply's): write.lua refuses a chunk when the stored fence is lower — Redis lost writes
   * while we kept running — and the consumer rewinds to the stored fence instead of leaving a hole.
   */
  private readonly knownFence = new Map<number, number>();
  /** Per reads partition, its realtime-view writer (created when the partition is restored). */
  private readonly writers = new Map<number, PartitionWriter>();
  /** The realtime-view values the writers hold (all partitions, bounded by AMI_SPEED_VIEW_CACHE_MB). */
  private readonly viewValues: ViewValueCache;

  constructor(private readonly deps: SpeedConsumerDeps) {
    const s = deps.settings;
    this.viewValues = createViewValueCache(s.viewCacheMb * 1024 * 1024);
    this.now = deps.now ?? Date.now;
    this.watermarks = new PartitionWatermarks({
      allowedLatenessMs: s.allowedLatenessS * 1000,
      idleTimeoutMs: s.idleTimeoutS * 1000,
    });
    this.eventWatermarks = new PartitionWatermarks({
      allowedLatenessMs: 0,
      idleTimeoutMs: s.idleTimeoutS * 1000,
    });
    // DLQ records may be produced twice after a crash (at-least-once, like the read they describe)
    this.producer = deps.kafka.producer({ idempotent: false, acks: 'all' });
  }

  /** Joins the group and starts consuming; resolves once the first session has joined. */
  async start(): Promise<void> {
    await this.readsPartitionCount();
    this.running = true;
    this.startTimers();
    let joined!: () => void;
    let failed!: (err: unknown) => void;
    const firstJoin = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    this.sessions = this.runSessions(joined, failed);
    await firstJoin;
  }

  /** Finishes the in-flight round, commits what was applied, and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.session?.abort.abort();
    await this.sessions;
    await this.sweeping;
    await this.evaluating;
    await this.producer.close();
  }

  /**
   * Kafka sessions until stop(): a session ends when stopped, when a partition must be rewound
   * (its committed offset is moved back first, so the next session reads from there), or on a
   * Kafka error (logged; the next session starts after a back-off).
   */
  private async runSessions(joined: () => void, failed: (err: unknown) => void): Promise<void> {
    let first = true;
    let attempt = 0;
    while (this.running) {
      try {
        await this.runSession(first ? joined : () => undefined);
        attempt = 0;
      } catch (err) {
        if (first) {
          failed(err);
          return;
        }
        attempt++;
        const ms = Math.min(30_000, 500 * 2 ** attempt);
        this.deps.logger.error({ err, retryInMs: ms }, 'Kafka session failed: starting a new one');
        await sleepUnlessAborted(ms);
      }
      first = false;
    }
  }

  private async runSession(onJoined: () => void): Promise<void> {
    const { kafka, settings, config } = this.deps;
    const consumer = kafka.consumer({
      groupId: settings.groupId,
      maxBytesPerPartition: settings.maxBytesPerPartition,
    });
    const abort = new AbortController();
    this.session = { consumer, abort };
    // After a rebalance a partition may come back having been advanced by another instance:
    // forget every in-memory watermark, it is restored from the Redis fence on the next batch.
    // A failed rejoin is emitted as 'error': end this session, the next one starts after a back-off.
    let failure: unknown;
    consumer.on('error', (err: unknown) => {
      failure ??= err;
      abort.abort();
    });
    let keepFences = this.keepFencesOnJoin;
    this.keepFencesOnJoin = false;
    consumer.on('consumer:group:join', () => {
      this.forgetPartitions(keepFences);
      keepFences = false;
    });
    try {
      const stream = await openStream(consumer, {
        topics: [config.topics.reads, config.topics.events],
        fallback: settings.fromBeginning ? 'earliest' : 'latest',
      });
      onJoined();
      try {
        await pumpBatches(stream, (batches) => this.onRound(consumer, batches), {
          maxRecords: settings.maxRecordsPerBatch,
          signal: abort.signal,
        });
        if (failure !== undefined)
          throw failure instanceof Error ? failure : new Error('Kafka stream failed', { cause: failure });
        await this.commitRewinds(consumer);
      } finally {
        await stream.close().catch(() => undefined);
      }
    } finally {
      this.session = undefined;
      await consumer.close().catch(() => undefined);
    }
  }

  /**
   * After a rebalance, partitions may come back advanced by another instance: the in-memory
   * watermarks are restored from the Redis fence on each partition's next batch. The known fences
   * survive a session this process restarted itself (a rewind), so that every partition whose
   * fence went back is found, not only the first.
   */
  private forgetPartitions(keepFences = false): void {
    this.watermarks.forgetAll();
    this.eventWatermarks.forgetAll();
    this.eventsBehind.clear();
    // values may have been written by the partition's owner meanwhile: read them again
    this.writers.clear();
    this.viewValues.clear();
    if (!keepFences) this.knownFence.clear();
  }

  /**
   * Moves the committed offset of each rewound partition back to where reading must resume: the
   * partitions that found their fence gone back, and every other one whose stored fence is now
   * below the one this process knew (Redis lost them all at once, most likely).
   */
  private async commitRewinds(consumer: KafkaConsumer): Promise<void> {
    if (this.rewindTo.size === 0) return;
    const { redis, settings, config, logger } = this.deps;
    for (const [p, known] of this.knownFence) {
      if (this.rewindTo.has(p)) continue;
      const fence = await readFence(redis, settings.keyPrefix, p).catch(() => undefined);
      if (fence !== undefined && fence.offset < known) this.rewindTo.set(p, BigInt(fence.offset) + 1n);
    }
    for (const [partition, offset] of this.rewindTo) {
      this.stats.rewinds++;
      this.knownFence.set(partition, Number(offset) - 1);
      try {
        await consumer.commit({
          offsets: [{ topic: config.topics.reads, partition, offset, leaderEpoch: -1 }],
        });
      } catch (err) {
        // the partition moved to another member: it reads from its own committed offset and the
        // fence check there finds the same hole
        logger.warn({ err, partition, offset: String(offset) }, 'rewind commit failed');
      }
    }
    logger.warn(
      { partitions: Object.fromEntries([...this.rewindTo].map(([p, o]) => [p, String(o)])) },
      'rewound',
    );
    this.rewindTo.clear();
    this.keepFencesOnJoin = true;
  }

  /** Partition batches of one round, `partitionsConsumedConcurrently` at a time, reads and events. */
  private async onRound(consumer: KafkaConsumer, batches: PartitionBatch[]): Promise<void> {
    const owned = ownedPartitions(consumer);
    const topics = this.deps.config.topics;
    const work = batches.filter((b) => owned === undefined || owned.has(`${b.topic}:${b.partition}`));
    await forEachLimited(work, this.deps.settings.partitionsConsumedConcurrently, async (b) => {
      if (this.session?.abort.signal.aborted) return;
      if (b.topic === topics.reads) await this.onReads(consumer, b);
      else if (b.topic === topics.events) await this.onEvents(consumer, b);
    });
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
    this.timers.push(setInterval(() => void this.probeLogEnds(), 500));
    if (this.deps.alerts !== undefined) this.timers.push(setInterval(() => this.evaluateAlerts(), 1000));
    for (const t of this.timers) t.unref();
  }

  private probing = false;
  /** Log end offsets of both topics (lag metrics, and which events partitions are behind). */
  private async probeLogEnds(): Promise<void> {
    const consumer = this.session?.consumer;
    if (consumer === undefined || this.probing) return;
    this.probing = true;
    const { reads, events } = this.deps.config.topics;
    try {
      const ends = await consumer.listOffsets({ topics: [reads, events] });
      for (const [topic, partitions] of ends) {
        partitions.forEach((end, p) => this.logEnd.set(`${topic}:${p}`, end));
      }
      this.refreshLag(reads);
      this.refreshLag(events);
    } catch (err) {
      this.deps.logger.debug({ err }, 'log end probe failed');
    } finally {
      this.probing = false;
    }
  }

  /** Lag gauges of `topic`'s partitions this process has read, and the events partitions behind. */
  private refreshLag(topic: string): void {
    for (const [id, next] of this.position) {
      const [t, p] = splitId(id);
      if (t !== topic) continue;
      const end = this.logEnd.get(id);
      if (end === undefined) continue;
      const lag = end > next ? end - next : 0n;
      this.deps.metrics?.lag.set({ topic, partition: String(p) }, Number(lag));
      if (topic === this.deps.config.topics.events) {
        if (lag > 0n) this.eventsBehind.add(p);
        else this.eventsBehind.delete(p);
      }
    }
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
    const topic = this.deps.config.topics.reads;
    this.partitionCount = await withAdmin(this.deps.kafka, (admin) => partitionCount(admin, topic));
    return this.partitionCount;
  }

  /**
   * Runs a Redis call until it succeeds: a failure (Redis down, timeout) waits with a doubling
   * back-off and tries again. Undefined when the consumer stops or rewinds meanwhile.
   */
  private async withRetry<T>(
    topic: string,
    partition: number,
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    const id = `${topic}:${partition}`;
    for (;;) {
      try {
        const r = await call();
        if (this.failures.delete(id)) this.deps.metrics?.paused.set(this.failures.size);
        return r;
      } catch (err) {
        const n = (this.failures.get(id) ?? 0) + 1;
        this.failures.set(id, n);
        const ms = Math.min(30_000, this.deps.settings.pauseMs * 2 ** (n - 1));
        this.deps.logger.warn(
          { err: err instanceof Error ? err.message : String(err), partition, pauseMs: ms, attempt: n },
          'Redis call failed: pausing, then retrying from the first unapplied chunk',
        );
        this.stats.pauses++;
        this.deps.metrics?.pauses.inc({ reason: 'error' });
        this.deps.metrics?.paused.set(this.failures.size);
        await sleepUnlessAborted(ms, this.session?.abort.signal);
        if (!this.running || this.session === undefined || this.session.abort.signal.aborted)
          return undefined;
      }
    }
  }

  /** Backpressure after a slow apply call: nothing more is read for AMI_SPEED_PAUSE_MS. */
  private async pauseAfterSlowCall(partition: number, applyMs: number, reads: number): Promise<void> {
    this.deps.logger.warn({ partition, applyMs, reads }, 'slow Redis apply: pausing consumption');
    this.stats.pauses++;
    this.deps.metrics?.pauses.inc({ reason: 'slow' });
    await sleepUnlessAborted(this.deps.settings.pauseMs, this.session?.abort.signal);
  }

  private async sendDlq(topic: string, records: readonly DlqRecord[]): Promise<void> {
    if (records.length === 0) return;
    // bounded records in bounded sends: one over Kafka's message limit would fail the batch forever
    for (const messages of dlqSendBatches(records)) await sendMessages(this.producer, topic, messages);
    for (const r of records) this.deps.metrics?.dlq.inc({ topic, reason: r.reason });
  }

  /** Commits `record` as handled; a failure (the partition moved in a rebalance) is only logged. */
  private async commit(consumer: KafkaConsumer, record: KafkaRecord): Promise<void> {
    this.position.set(`${record.topic}:${record.partition}`, record.offset + 1n);
    try {
      await commitNext(consumer, record);
    } catch (err) {
      this.deps.logger.warn(
        {
          err: err instanceof Error ? err.message : String(err),
          topic: record.topic,
          partition: record.partition,
        },
        'offset commit refused (rebalance?): the next owner resumes from the last committed offset',
      );
    }
  }

  /** Restarts reads partition `partition` from `offset` in a new session (Redis lost writes). */
  private rewind(partition: number, offset: bigint): void {
    this.rewindTo.set(partition, offset);
    this.session?.abort.abort();
  }

  /**
   * One batch of a reads partition: restore the partition's state on its first batch, plan the
   * batch (validate, dead-letter, chunk), apply the chunks, commit what was applied, then let the
   * alert engine look at the new watermark.
   */
  private async onReads(consumer: KafkaConsumer, batch: PartitionBatch): Promise<void> {
    const p = batch.partition;
    const nowMs = this.now();
    if (batch.records.length === 0) return;
    if (!this.watermarks.has(p) && !(await this.restorePartition(batch, nowMs))) return;
    const plan = await this.planReads(batch, nowMs);
    await this.sendDlq(this.deps.config.topics.readsDlq, plan.dlq);
    this.countPlanned(plan.counts);
    const applied = await this.applyChunks(batch, plan.chunks);
    if (applied !== undefined) await this.commit(consumer, applied);
    const wm = this.watermarks.partitionWatermark(p);
    if (Number.isFinite(wm)) this.deps.metrics?.watermark.set({ partition: String(p) }, wm / 1000);
    this.evaluateAlerts();
  }

  /**
   * First batch of a partition since assignment: its watermark and known fence from the Redis fence.
   * False when the batch is not to be applied: stopped while Redis was failing, or the fence is
   * behind the first offset (Redis lost writes: the partition is rewound to the fence).
   */
  private async restorePartition(batch: PartitionBatch, nowMs: number): Promise<boolean> {
    const p = batch.partition;
    const first = batch.records[0] as KafkaRecord;
    const writer = new PartitionWriter(this.deps.redis, this.deps.settings.keyPrefix, p, this.viewValues);
    const fence = await this.withRetry(batch.topic, p, () => writer.restore());
    if (fence === undefined) return false;
    this.writers.set(p, writer);
    const known = this.knownFence.get(p);
    this.watermarks.restore(p, fence.maxEventMs, nowMs);
    this.knownFence.set(p, fence.offset);
    const lost = known !== undefined && fence.offset < known;
    if (lost || (fence.offset >= 0 && first.offset > BigInt(fence.offset) + 1n)) {
      this.deps.logger.warn(
        { partition: p, fence: fence.offset, knownFence: known, committedFrom: String(first.offset) },
        'Redis fence is behind the committed offset (lost writes?): rewinding to the fence',
      );
      this.watermarks.forget(p);
      this.rewind(p, BigInt(fence.offset) + 1n);
      return false;
    }
    return true;
  }

  /** Validates the batch and plans it: DLQ records, counts, and the chunks to apply in order. */
  private async planReads(batch: PartitionBatch, nowMs: number): Promise<ReadPlan> {
    const { settings, config, metrics } = this.deps;
    // cached (fetched at start): reads of a meter owned by another partition are dead-lettered
    const numPartitions = await this.readsPartitionCount();
    metrics?.messages.inc({ topic: batch.topic }, batch.records.length);
    return planReadBatch(batch.records, {
      topic: batch.topic,
      partition: batch.partition,
      keyPrefix: settings.keyPrefix,
      timeZone: config.connection.timeZone,
      nowMs,
      validation: { ...this.deps.validation, nowMs, timeZone: config.connection.timeZone },
      topology: this.deps.topology,
      numPartitions,
      partitioner: config.topics.partitioner,
      retentionDays: settings.retentionDays,
      maxMessagesPerChunk: settings.maxMessagesPerChunk,
      watermarks: this.watermarks,
    });
  }

  private countPlanned(counts: ReadPlanCounts): void {
    const { metrics } = this.deps;
    this.stats.readsValid += counts.valid;
    this.stats.readsInvalid += counts.invalid;
    this.stats.beyondRetention += counts.beyondRetention;
    this.stats.registers += counts.registers;
    metrics?.beyondRetention.inc(counts.beyondRetention);
    metrics?.registers.inc(counts.registers);
    this.stats.late += counts.late;
    metrics?.late.inc(counts.late);
  }

  /**
   * Applies the chunks in order (a failed call is retried, see withRetry; a slow one is followed by
   * a pause). Stops at a fence that went back (rewound) or when the session ends (the next session
   * reads on from the committed offset). Returns the record of the last applied chunk's last offset.
   */
  private async applyChunks(
    batch: PartitionBatch,
    chunks: readonly PlannedChunk[],
  ): Promise<KafkaRecord | undefined> {
    const { settings } = this.deps;
    const p = batch.partition;
    const writer = this.writers.get(p);
    if (writer === undefined) throw new Error(`partition ${p} was not restored before its first apply`);
    const byOffset = new Map(batch.records.map((r) => [String(r.offset), r]));
    let applied: KafkaRecord | undefined;
    for (const chunk of chunks) {
      let started = this.now();
      const expectedFence = this.knownFence.get(p);
      const r = await this.withRetry(batch.topic, p, () => {
        started = this.now();
        return writer.apply(chunk, expectedFence);
      });
      if (r === undefined) break;
      if (r.regressed) {
        this.rewindToFence(p, r.previousFence);
        break;
      }
      this.knownFence.set(p, Math.max(r.previousFence, Number(chunk.lastOffset)));
      const appliedAtMs = this.now();
      this.recordApplied(chunk, r, appliedAtMs);
      applied = byOffset.get(chunk.lastOffset) ?? applied;
      if (this.session === undefined || this.session.abort.signal.aborted) break;
      if (appliedAtMs - started > settings.slowApplyMs) {
        await this.pauseAfterSlowCall(p, appliedAtMs - started, chunk.reads.length);
      }
    }
    return applied;
  }

  /** The stored fence went back (Redis lost writes while we ran): read again from it. */
  private rewindToFence(partition: number, fence: number): void {
    this.deps.logger.warn(
      { partition, expectedFence: this.knownFence.get(partition), fence },
      'Redis fence went back (Redis lost writes): rewinding to the fence',
    );
    this.rewind(partition, BigInt(fence) + 1n);
  }

  private recordApplied(chunk: PlannedChunk, r: WriteResult, appliedAtMs: number): void {
    const { metrics } = this.deps;
    this.stats.inserted += r.inserted;
    this.stats.replaced += r.replaced;
    this.stats.unchanged += r.unchanged;
    this.stats.replayed += r.replayed;
    this.stats.expired += r.expired;
    this.stats.redisCommands += r.redisCommands;
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

  private async onEvents(consumer: KafkaConsumer, batch: PartitionBatch): Promise<void> {
    const { config, metrics } = this.deps;
    const last = batch.records[batch.records.length - 1];
    if (last === undefined) return;
    const nowMs = this.now();
    metrics?.messages.inc({ topic: batch.topic }, batch.records.length);
    const dlq: DlqRecord[] = [];
    const validEvents: ValidEvent[] = [];
    for (const m of batch.records) {
      const v = validateEvent(m.value ?? null, {
        ...this.deps.validation,
        nowMs,
        eventCodes: this.deps.eventCodes,
      });
      if (v.ok) validEvents.push(v.event);
      else {
        dlq.push(
          makeDlqRecord({
            payload: m.value ?? null,
            failure: v,
            stage: 'speed',
            sourceTopic: batch.topic,
            sourcePartition: batch.partition,
            sourceOffset: String(m.offset),
            key: m.key ?? null,
            receivedAtMs: nowMs,
          }),
        );
      }
    }
    await this.sendDlq(config.topics.eventsDlq, dlq);
    for (const e of validEvents) this.eventWatermarks.observe(batch.partition, e.eventTsMs, nowMs);
    this.eventWatermarks.touch(batch.partition, nowMs);
    const end = this.logEnd.get(`${batch.topic}:${batch.partition}`);
    if (end === undefined || end > last.offset + 1n) this.eventsBehind.add(batch.partition);
    else this.eventsBehind.delete(batch.partition);
    // Alert transitions are in Redis (and its outbox to the alert topics) before the commit.
    if (this.deps.alerts !== undefined && validEvents.length > 0) {
      const alerts = this.deps.alerts;
      if (
        (await this.withRetry(batch.topic, batch.partition, () => alerts.onEvents(validEvents))) === undefined
      )
        return;
    }
    const valid = validEvents.length;
    this.stats.eventsValid += valid;
    this.stats.eventsInvalid += dlq.length;
    metrics?.events.inc(valid);
    await this.commit(consumer, last);
  }
}

/** `topic:partition` of the consumer's current assignment (undefined before the first one). */
function ownedPartitions(consumer: KafkaConsumer): Set<string> | undefined {
  const assignments = consumer.assignments;
  if (assignments === null) return undefined;
  const out = new Set<string>();
  for (const a of assignments) for (const p of a.partitions) out.add(`${a.topic}:${p}`);
  return out;
}

function splitId(id: string): [string, number] {
  const i = id.lastIndexOf(':');
  return [id.slice(0, i), Number(id.slice(i + 1))];
}
