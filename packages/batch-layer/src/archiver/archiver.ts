/**
 * The archiver (SPEC 5): its own Kafka consumer group on the reads and events topics
 * (@platformatic/kafka through @ami/shared/clients), landing every message in the master dataset —
 * valid reads and events as Parquet under raw/, invalid messages under quarantine/ with the
 * validators' reason code.
 *
 * Messages are read in rounds (`pumpBatches`: the next round is read only once this one is handled,
 * so a flush in a round holds consumption back), validated (validateRead / validateEvent) and
 * buffered per topic partition; a partition is flushed when it holds AMI_ARCHIVER_FLUSH_ROWS
 * messages, when its oldest message is AMI_ARCHIVER_FLUSH_AGE_S old (a timer, since an idle stream
 * delivers nothing), when the process holds more than AMI_ARCHIVER_MAX_BUFFERED_ROWS (the fullest
 * partition goes first), when a build asks for it (flush-requests.ts, read by the same timer: a
 * rebuild waits until what was consumed is archived, jobs/archive-gate.ts), and on stop. A flush writes one Parquet object per (dataset, kind, local
 * date), uploads them, marks the dates of valid data dirty in Redis, and only then commits the
 * offset after the last message: at least once into S3. A commit the group refuses (the partition
 * moved in a rebalance) is logged and tolerated: the messages are in S3, and the partition's next
 * commit covers them or its new owner archives them again. Object names come from (group,
 * partition, first offset, last offset), so a replay of the same offsets overwrites; a replay that
 * cuts the offsets differently leaves duplicates, which the batch rebuild removes with the one
 * latest-wins rule (compareReadVersions).
 *
 * Never losing a message: a buffer only starts where everything before it is in S3 — at the
 * group's committed offset (or the log start) when the partition is assigned, right after the
 * partition's last flush, or, after a failed flush, at the first offset of the dropped buffer.
 * Records before that start are skipped (archived or buffered already); records beyond it that do
 * not follow on (read ahead before a rebalance or a seek) make the stream seek back to it. A
 * rebalance drops the buffers of revoked partitions (their new owner reads them again from the
 * committed offset); kept partitions keep their buffers and the stream resumes after them. A Kafka
 * failure ends the session (buffers dropped, consumer closed) and a new one starts from the
 * committed offsets after a back-off. Heartbeats run on the client's own timer, whatever a flush
 * takes.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListOffsetTimestamps, type GroupAssignment } from '@platformatic/kafka';
import {
  forEachLimited,
  openStream,
  pumpBatches,
  sleepUnlessAborted,
  type KafkaClients,
  type KafkaConsumer,
  type KafkaRecord,
  type KafkaStream,
  type PartitionBatch,
  type RedisClient,
} from '@ami/shared/clients';
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
import { FlushRequests } from './flush-requests.ts';
import type { ArchiverMetrics } from './metrics.ts';
import type { ArchiveKind } from './naming.ts';
import { ArchiveParquetWriter } from './parquet-writer.ts';
import { PartitionBuffer, type FlushPlan, type PlannedObject } from './partition-buffer.ts';
import { archivedEvent, archivedRead, quarantined, type QuarantinedMessage } from './rows.ts';

export interface ArchiverDeps {
  readonly kafka: KafkaClients;
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
  /** Offset commits refused after the flush was in S3 (a rebalance moved the partition). */
  failedCommits: number;
  droppedBuffers: number;
  /** Group joins (the first one included). */
  rebalances: number;
}

export type FlushTrigger = 'rows' | 'age' | 'memory' | 'request' | 'stop';

const CONTENT_TYPE = 'application/vnd.apache.parquet';
/** Most records handled in one round (about the stream's read-ahead, 4096 records). */
const ROUND_RECORDS = 4096;
/** Period of the lag metric's sample (committed offset vs partition end). */
const LAG_SAMPLE_MS = 10_000;
/** Shortest time between two log-start checks of a partition waiting for its start offset. */
const RECHECK_MS = 1000;

/**
 * Where a partition's next buffer may start when it has none: right after `offset` (what was
 * consumed last is archived; anything later follows on), or exactly `at` `offset` (everything
 * before it is in S3; the stream is sent back there when it delivers later offsets).
 */
type Resume =
  | { readonly kind: 'after'; readonly offset: bigint }
  | { readonly kind: 'at'; offset: bigint; checkedAtMs: number };

/** A partition assigned to this process: its buffer, or where the next one starts. */
class OwnedPartition {
  buffer: PartitionBuffer | undefined;
  /** Unknown (undefined) until the first record after the assignment: then asked from Kafka. */
  resume: Resume | undefined;
  /** Leader epoch of the last buffered record, committed with its offset. */
  leaderEpoch = -1;

  constructor(
    readonly key: string,
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** The offset the stream should fetch next for this partition, when known. */
  position(): bigint | undefined {
    if (this.buffer?.lastOffset !== undefined) return BigInt(this.buffer.lastOffset) + 1n;
    if (this.resume === undefined) return undefined;
    return this.resume.kind === 'after' ? this.resume.offset + 1n : this.resume.offset;
  }
}

/** One consumer's membership of the group, from its join to its close. */
interface Session {
  readonly consumer: KafkaConsumer;
  stream: KafkaStream | undefined;
  /** Aborted when the consumer reports an error: the session ends and a new one starts. */
  readonly broken: AbortController;
  failure?: Error;
}

const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

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
    failedCommits: 0,
    droppedBuffers: 0,
    rebalances: 0,
  };
  /** Committed offset (next to consume) per `topic:partition`, as committed by this process. */
  readonly committed = new Map<string, string>();
  readonly dirtyDays: DirtyDays;
  readonly flushRequests: FlushRequests;
  private readonly writer: ArchiveParquetWriter;
  /** The partitions of the last group join, by `topic:partition`. */
  private readonly owned = new Map<string, OwnedPartition>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly stopper = new AbortController();
  private readonly now: () => number;
  private session: Session | undefined;
  private consuming: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  /** The flush request acted on last (undefined: none yet). */
  private flushRequestSeen: string | undefined;
  private running = false;
  private stopping = false;

  constructor(private readonly deps: ArchiverDeps) {
    this.now = deps.now ?? Date.now;
    this.dirtyDays = new DirtyDays(deps.redis, deps.settings.dirtyKeyPrefix);
    this.flushRequests = new FlushRequests(deps.redis, deps.settings.dirtyKeyPrefix);
    this.writer = new ArchiveParquetWriter(deps.db, { zstdLevel: deps.settings.zstdLevel });
  }

  /** Messages buffered over all partitions. */
  get buffered(): number {
    let n = 0;
    for (const p of this.owned.values()) n += p.buffer?.size ?? 0;
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
    return [...this.owned.values()].flatMap(({ buffer: b }) =>
      b?.firstOffset === undefined || b.lastOffset === undefined
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

  /** Joins the group and starts consuming; resolves once the first join is done. */
  async start(): Promise<void> {
    let joined!: () => void;
    let failed!: (err: unknown) => void;
    const firstJoin = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    this.consuming = this.runSessions(joined, failed);
    await firstJoin;
    this.running = true;
    const tickMs = Math.min(1000, this.deps.settings.flushAgeS * 250);
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweepRequested()
        .then(() => this.sweepAged())
        .finally(() => (this.sweeping = undefined));
    }, tickMs);
  }

  /**
   * Stops reading (the round in hand ends at its next message), flushes and commits every buffer
   * while still a member of the group, then leaves it.
   */
  async stop(): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    this.stopper.abort();
    await this.consuming;
    await this.writer.close();
    this.running = false;
  }

  /** Flushes every non-empty buffer (each under its partition's lock). */
  async flushAll(trigger: FlushTrigger): Promise<void> {
    for (const key of [...this.owned.keys()])
      await this.withLock(key, async () => void (await this.flush(key, trigger)));
  }

  /**
   * Kafka sessions until stop(). A session that fails (Kafka unreachable, the stream destroyed) is
   * logged and followed by a new one after a back-off; the first one's failure fails start().
   */
  private async runSessions(joined: () => void, failed: (err: unknown) => void): Promise<void> {
    let first = true;
    let attempt = 0;
    while (!this.stopping) {
      try {
        await this.runSession(first ? joined : undefined);
        attempt = 0;
      } catch (err) {
        if (first) {
          failed(err);
          return;
        }
        if (this.stopping) {
          this.deps.logger.warn({ err }, 'Kafka session failed while stopping');
          return;
        }
        attempt++;
        const ms = Math.min(30_000, 500 * 2 ** attempt);
        this.deps.logger.error({ err, retryInMs: ms }, 'Kafka session failed: starting a new one');
        await sleepUnlessAborted(ms, this.stopper.signal);
      }
      first = false;
    }
  }

  private async runSession(onJoined: (() => void) | undefined): Promise<void> {
    const { kafka, settings, config, metrics, logger } = this.deps;
    const topics = [config.topics.reads, config.topics.events];
    const consumer = kafka.consumer({
      groupId: settings.groupId,
      maxBytesPerPartition: settings.maxBytesPerPartition,
    });
    const session: Session = { consumer, stream: undefined, broken: new AbortController() };
    this.session = session;
    consumer.on('consumer:group:join', (joined) => this.onJoin(joined.assignments ?? []));
    // e.g. a rejoin that failed: the consumer is out of the group and sends no more heartbeats
    // (and an 'error' event nobody listens to would end the process)
    consumer.on('error', (err: Error) => {
      session.failure ??= err;
      session.broken.abort();
    });
    if (metrics) consumer.on('consumer:lag', (lag) => this.reportLag(lag));
    try {
      const stream = await openStream(consumer, {
        topics,
        fallback: settings.fromBeginning ? 'earliest' : 'latest',
      });
      session.stream = stream;
      // A join makes the stream re-read the committed offsets: put it back where the archiver is.
      stream.on('offsets', () => this.reposition(stream));
      if (metrics) consumer.startLagMonitoring({ topics }, LAG_SAMPLE_MS);
      onJoined?.();
      await pumpBatches(stream, (batches) => this.onRound(session, batches), {
        maxRecords: ROUND_RECORDS,
        signal: AbortSignal.any([this.stopper.signal, session.broken.signal]),
      });
      if (session.failure !== undefined) throw session.failure;
      if (!this.stopping) throw new Error('the Kafka stream ended');
    } finally {
      if (this.stopping) {
        // still a member of the group: the commits of these last flushes go through
        await this.sweeping;
        await this.flushAll('stop');
      } else this.forgetAll('Kafka session ended');
      this.session = undefined;
      await session.stream
        ?.close()
        .catch((err: unknown) => logger.warn({ err }, 'closing the Kafka stream failed'));
      await consumer
        .close(true)
        .catch((err: unknown) => logger.warn({ err }, 'closing the Kafka consumer failed'));
    }
  }

  /**
   * A group join: buffers of partitions no longer assigned are dropped (their new owner consumes
   * them again from the committed offset); kept partitions keep theirs; new ones start unknown.
   */
  private onJoin(assignments: readonly GroupAssignment[]): void {
    this.stats.rebalances++;
    const assigned = new Map<string, { topic: string; partition: number }>();
    for (const a of assignments)
      for (const partition of a.partitions)
        assigned.set(partitionKey(a.topic, partition), { topic: a.topic, partition });
    for (const [key, part] of [...this.owned]) {
      if (assigned.has(key)) continue;
      this.owned.delete(key);
      this.dropBuffer(part, 'rebalance');
    }
    for (const [key, { topic, partition }] of assigned)
      if (!this.owned.has(key)) this.owned.set(key, new OwnedPartition(key, topic, partition));
  }

  /** Drops every buffer and forgets the assignment (the session ended). */
  private forgetAll(why: string): void {
    for (const part of this.owned.values()) this.dropBuffer(part, why);
    this.owned.clear();
  }

  /**
   * After the stream set its fetch offsets (a join rewinds every partition to its committed
   * offset): a partition the archiver knows resumes where the archiver is, not before; a partition
   * waiting for its start offset goes exactly there. Later offsets set by the stream stay (another
   * member committed further, or the log start moved on).
   */
  private reposition(stream: KafkaStream): void {
    for (const part of this.owned.values()) {
      const want = part.position();
      if (want === undefined) continue;
      const at = stream.offsetsToFetch.get(part.key);
      const exact = part.buffer === undefined && part.resume?.kind === 'at';
      if (at === undefined || at < want || (exact && at !== want)) seek(stream, part, want);
    }
  }

  private async onRound(session: Session, batches: PartitionBatch[]): Promise<void> {
    await forEachLimited(batches, this.deps.settings.partitionsConsumedConcurrently, (b) =>
      this.onPartitionBatch(session, b),
    );
    this.deps.metrics?.buffered.set(this.buffered);
    if (this.buffered > this.deps.settings.maxBufferedRows) {
      const fullest = [...this.owned.values()].sort(
        (a, b) => (b.buffer?.size ?? 0) - (a.buffer?.size ?? 0),
      )[0];
      if (fullest)
        await this.withLock(fullest.key, async () => void (await this.flush(fullest.key, 'memory')));
    }
  }

  private async onPartitionBatch(session: Session, batch: PartitionBatch): Promise<void> {
    const key = partitionKey(batch.topic, batch.partition);
    if (!this.owned.has(key)) return;
    await this.withLock(key, async () => {
      // Records of a partition no longer assigned were read before the rebalance: not ours.
      const part = this.owned.get(key);
      if (!part) return;
      for (const r of batch.records) {
        if (this.stopping || this.owned.get(key) !== part) return;
        if (!(await this.admits(session, part, r.offset))) continue;
        const buf = this.append(part, r);
        // A failed flush seeks back to the buffer's start: the rest of the batch comes again.
        if (buf.size >= this.deps.settings.flushRows && !(await this.flush(key, 'rows'))) return;
      }
    });
  }

  /**
   * Whether the record at `offset` extends the partition's buffer (see the header): after the
   * buffer's last offset, or at/after where the next buffer may start. A record beyond an exact
   * start is one read ahead: the stream seeks back to the start and the record is skipped.
   */
  private async admits(session: Session, part: OwnedPartition, offset: bigint): Promise<boolean> {
    const last = part.buffer?.lastOffset;
    if (last !== undefined) return offset > BigInt(last);
    part.resume ??= await this.startOf(session.consumer, part);
    const r = part.resume;
    if (r.kind === 'after') return offset > r.offset;
    if (offset > r.offset && Date.now() - r.checkedAtMs >= RECHECK_MS) {
      // The start may have left the log (retention): then the log start is the start.
      r.checkedAtMs = Date.now();
      const low = await listedOffset(session.consumer, part, ListOffsetTimestamps.EARLIEST);
      if (low > r.offset) r.offset = low;
    }
    if (offset === r.offset) return true;
    if (offset > r.offset && session.stream) seek(session.stream, part, r.offset);
    return false;
  }

  /**
   * Where a newly assigned partition starts: the group's committed offset, or without one the log
   * start (AMI_ARCHIVER_FROM_BEGINNING) or end; never before the log start.
   */
  private async startOf(consumer: KafkaConsumer, part: OwnedPartition): Promise<Resume> {
    const { topic, partition } = part;
    const commits = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [partition] }] });
    const committed = commits.get(topic)?.[partition] ?? -1n;
    const low = await listedOffset(consumer, part, ListOffsetTimestamps.EARLIEST);
    const start =
      committed >= 0n
        ? committed
        : this.deps.settings.fromBeginning
          ? low
          : await listedOffset(consumer, part, ListOffsetTimestamps.LATEST);
    return { kind: 'at', offset: start > low ? start : low, checkedAtMs: Date.now() };
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

  /** Validates one record and adds its row (valid or quarantined) to the partition's buffer. */
  private append(part: OwnedPartition, m: KafkaRecord): PartitionBuffer {
    const buf = (part.buffer ??= new PartitionBuffer(part.topic, part.partition, this.kindOf(part.topic)));
    const nowMs = this.now();
    const { validation, config, eventCodes, metrics } = this.deps;
    this.stats.messages++;
    metrics?.messages.inc({ topic: buf.topic });
    // Receipt time = the Kafka record timestamp (when the broker got it), so a replay of the same
    // offsets files a quarantined message under the same date; the clock only if it is missing.
    const ts = Number(m.timestamp);
    const receivedAtMs = Number.isFinite(ts) && ts > 0 ? ts : nowMs;
    const value = m.value ?? null;
    if (buf.kind === 'reads') {
      const v = validateRead(value, { ...validation, nowMs, timeZone: config.connection.timeZone });
      if (v.ok) buf.reads.push(archivedRead(v.read));
      else buf.quarantine.push(this.quarantine(buf, m, receivedAtMs, v));
    } else {
      const v = validateEvent(value, { ...validation, nowMs, eventCodes });
      if (v.ok) buf.events.push(archivedEvent(v.event));
      else buf.quarantine.push(this.quarantine(buf, m, receivedAtMs, v));
    }
    buf.consumed(String(m.offset), nowMs);
    part.leaderEpoch = m.leaderEpoch;
    return buf;
  }

  private quarantine(
    buf: PartitionBuffer,
    m: KafkaRecord,
    receivedAtMs: number,
    why: ValidationFailure,
  ): QuarantinedMessage {
    return quarantined(
      {
        topic: buf.topic,
        partition: buf.partition,
        offset: String(m.offset),
        key: m.key ?? null,
        value: m.value ?? null,
        receivedAtMs,
      },
      why,
    );
  }

  private dropBuffer(part: OwnedPartition, why: string): void {
    const buf = part.buffer;
    part.buffer = undefined;
    if (buf?.firstOffset === undefined) return;
    this.stats.droppedBuffers++;
    this.deps.metrics?.dropped.inc();
    this.deps.logger.warn(
      { topic: buf.topic, partition: buf.partition, from: buf.firstOffset, to: buf.lastOffset, why },
      'dropping an unflushed buffer: its messages are consumed again',
    );
  }

  /**
   * Flushes every buffer when a build asked for it since the last look (flush-requests.ts). A
   * request already there at start is acted on too (a flush too many is harmless). Never throws.
   */
  private async sweepRequested(): Promise<void> {
    let latest: string | null;
    try {
      latest = await this.flushRequests.latest();
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not read the flush request');
      return;
    }
    if (latest === null || latest === this.flushRequestSeen || this.stopping) return;
    this.flushRequestSeen = latest;
    this.deps.logger.info({ request: latest, buffered: this.buffered }, 'flush requested by a build');
    await this.flushAll('request');
  }

  /** Flushes the buffers whose oldest message reached the age limit (one sweep at a time). */
  private async sweepAged(): Promise<void> {
    const maxAgeMs = this.deps.settings.flushAgeS * 1000;
    const nowMs = this.now();
    for (const part of [...this.owned.values()]) {
      if (this.stopping) return;
      const buf = part.buffer;
      if (buf && buf.size > 0 && nowMs - buf.startedAtMs >= maxAgeMs) {
        await this.withLock(part.key, async () => void (await this.flush(part.key, 'age')));
      }
    }
  }

  /**
   * Flushes one partition's buffer, then commits. Call under the partition's lock. Never throws:
   * when the objects or the dirty marks cannot be written, the buffer is dropped and the stream
   * seeks back to its first offset, and false is returned; a refused commit is only logged.
   */
  private async flush(key: string, trigger: FlushTrigger): Promise<boolean> {
    const part = this.owned.get(key);
    const buf = part?.buffer;
    if (!part || !buf) return true;
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
      if (this.owned.get(key) === part && part.buffer === buf) this.rewind(part, buf);
      return false;
    }
    if (part.buffer === buf) {
      part.buffer = undefined;
      part.resume = { kind: 'after', offset: BigInt(plan.commitOffset) - 1n };
    }
    this.stats.flushes++;
    this.stats.readsArchived += buf.reads.length;
    this.stats.eventsArchived += buf.events.length;
    this.stats.quarantined += buf.quarantine.length;
    await this.commit(part, plan.commitOffset);
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

  /** Drops a buffer that could not be flushed; its messages are read again from its first offset. */
  private rewind(part: OwnedPartition, buf: PartitionBuffer): void {
    this.dropBuffer(part, 'flush failed');
    if (buf.firstOffset === undefined) return;
    part.resume = { kind: 'at', offset: BigInt(buf.firstOffset), checkedAtMs: Date.now() };
    if (this.session?.stream) seek(this.session.stream, part, part.resume.offset);
  }

  /**
   * Commits `offset` (next to consume; everything before it is in S3) while the partition is
   * still assigned. A refusal (the group rebalanced meanwhile) is logged, not thrown.
   */
  private async commit(part: OwnedPartition, offset: string): Promise<void> {
    const consumer = this.session?.consumer;
    if (consumer === undefined || this.owned.get(part.key) !== part) {
      this.deps.logger.info(
        { topic: part.topic, partition: part.partition, offset },
        'partition no longer assigned: not committed (its owner consumes these archived messages again)',
      );
      return;
    }
    try {
      await consumer.commit({
        offsets: [
          {
            topic: part.topic,
            partition: part.partition,
            offset: BigInt(offset),
            leaderEpoch: part.leaderEpoch,
          },
        ],
      });
      this.committed.set(part.key, offset);
    } catch (err) {
      this.stats.failedCommits++;
      this.deps.logger.warn(
        { err, topic: part.topic, partition: part.partition, offset },
        'offset commit refused (rebalance?): the messages are in S3; the next commit covers them or the next owner archives them again',
      );
    }
  }

  /** Sets the lag gauge from a lag sample (-1 = partition not assigned here). */
  private reportLag(lag: ReadonlyMap<string, readonly bigint[]>): void {
    const gauge = this.deps.metrics?.lag;
    if (!gauge) return;
    gauge.reset();
    for (const [topic, partitions] of lag)
      partitions.forEach((l, partition) => {
        if (l >= 0n) gauge.set({ topic, partition: String(partition) }, Number(l));
      });
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

/**
 * Sends the stream's next fetch of a partition to `offset` (the stream fetches each partition from
 * its `offsetsToFetch` entry). A fetch already under way may still deliver records after the old
 * position: `admits` skips them and seeks again.
 */
function seek(stream: KafkaStream, part: OwnedPartition, offset: bigint): void {
  stream.offsetsToFetch.set(part.key, offset);
}

/** The partition's earliest (log start) or latest (log end) offset. */
async function listedOffset(
  consumer: KafkaConsumer,
  part: OwnedPartition,
  timestamp: typeof ListOffsetTimestamps.EARLIEST | typeof ListOffsetTimestamps.LATEST,
): Promise<bigint> {
  const offsets = await consumer.listOffsets({
    topics: [part.topic],
    partitions: { [part.topic]: [part.partition] },
    timestamp,
  });
  const offset = offsets.get(part.topic)?.[part.partition];
  if (offset === undefined) throw new Error(`no offset listed for ${part.key}`);
  return offset;
}
