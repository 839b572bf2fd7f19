/**
 * The archive gate of a build: before a day is rebuilt from the master dataset, everything the
 * archiver has consumed must be in it — otherwise a backfill taken before the archiver's next flush
 * (up to AMI_ARCHIVER_FLUSH_AGE_S, 1 h by default) publishes an empty or partial day, and the
 * provisional data the API showed for it turns `missing`.
 *
 * The archiver commits a partition's offset only after its Parquet objects are in S3, so "archived"
 * is checkable from Kafka alone: the archiver group's committed offset of every partition of the
 * reads and events topics has reached the log-end offset captured when the check started. That
 * covers every message produced before the build started, whatever day it belongs to (the gate
 * need not know which partitions hold day D). A partition with an empty log (or whose messages all
 * expired), or a topic that does not exist, has nothing to archive and never blocks. While some partition lags, the gate asks the
 * archiver to flush now (archiver/flush-requests.ts, acted on within a second) and polls the
 * offsets, asking again every few seconds (messages fetched after a flush need the next one).
 *
 * It gives up with ArchiveNotCaughtUpError, naming the lagging partitions: after
 * AMI_BATCH_ARCHIVE_WAIT_S, or sooner when the archiver group has had no member for
 * `noArchiverGraceMs` (no archiver is running: waiting longer cannot help). The build does not run;
 * the job is retried by its attempts and then fails — never a silent publish of what happens to be
 * archived. Messages produced after the check started are late data: archived later, they mark the
 * day dirty and the late-data sweep rebuilds it.
 *
 * One check covers every build requested before it started: a worker process remembers when its
 * last passed check started, so the days of one backfill (requested together) make the archiver
 * flush once, not once per day, even while live reads keep arriving.
 *
 * Not covered: a head-end producing transactionally leaves a commit marker after its last message,
 * which the archiver never commits past until more data arrives (the gate then times out).
 */
import {
  committedOffsets,
  groupMembers,
  topicOffsets,
  type KafkaAdmin,
  type PartitionOffsets,
} from '@ami/shared/clients';
import type { Logger } from '@ami/shared/log';

/** One partition the archiver has not committed up to its captured log end. */
export interface LaggingPartition {
  readonly topic: string;
  readonly partition: number;
  /** Committed offset of the archiver group (-1: it never committed this partition). */
  readonly committed: number;
  /** First offset in the log when the check started. */
  readonly low: number;
  /** Log-end offset when the check started. */
  readonly target: number;
}

/** What a build reports about the gate (part of the build-day job result). */
export interface ArchiveCheck {
  /** Milliseconds spent waiting for the archiver (0 when it had archived everything). */
  readonly waitedMs: number;
  /** True when the archiver was asked to flush. */
  readonly flushRequested: boolean;
  /** Messages (reads and events) produced before the check and not archived when it started. */
  readonly pendingMessages: number;
}

/** What the gate reads from Kafka (kafkaArchiverOffsets in the worker; a fake in unit tests). */
export interface ArchiverOffsets {
  /** Log start and end of every partition of `topic` (none when the topic does not exist). */
  logOffsets(topic: string): Promise<readonly PartitionOffsets[]>;
  /** The archiver group's committed offset per partition of `topic` (-1n: none). */
  committed(topic: string): Promise<ReadonlyMap<number, bigint>>;
  /** Members of the archiver group (0: no archiver is running). */
  members(): Promise<number>;
}

export function kafkaArchiverOffsets(admin: KafkaAdmin, groupId: string): ArchiverOffsets {
  return {
    logOffsets: async (topic) => {
      try {
        return await topicOffsets(admin, topic);
      } catch (err) {
        // a topic that does not exist holds nothing to archive
        if (!(await admin.listTopics()).includes(topic)) return [];
        throw err;
      }
    },
    committed: (topic) => committedOffsets(admin, groupId, topic),
    members: () => groupMembers(admin, groupId),
  };
}

const MAX_LISTED = 10;

function describeLag(lagging: readonly LaggingPartition[]): string {
  const list = lagging
    .slice(0, MAX_LISTED)
    .map(
      (p) =>
        `${p.topic}[${p.partition}] committed ${p.committed < 0 ? 'nothing' : p.committed} of ${p.target}`,
    )
    .join(', ');
  return lagging.length > MAX_LISTED ? `${list} and ${lagging.length - MAX_LISTED} more` : list;
}

export class ArchiveNotCaughtUpError extends Error {
  constructor(
    readonly date: string,
    readonly groupId: string,
    /** Members of the archiver group at the last look (0: no archiver running). */
    readonly members: number,
    readonly waitedS: number,
    readonly lagging: readonly LaggingPartition[],
  ) {
    const lag = describeLag(lagging);
    const neverCommitted = lagging.some((p) => p.committed < 0)
      ? ' A partition the group never committed has not been consumed yet (with AMI_ARCHIVER_FROM_BEGINNING=false a new group skips what was produced before it started).'
      : '';
    super(
      members === 0
        ? `not building ${date}: no archiver is running (its consumer group ${groupId} has no members), ` +
            `so what was produced before this build is not all in the master dataset; lagging: ${lag}. ` +
            `Start the archiver (packages/batch-layer/src/archiver/main.ts; pnpm ami up starts it) with ` +
            `the same AMI_ARCHIVER_GROUP_ID and Kafka, then retry; building now would publish the day ` +
            `without those messages.${neverCommitted}`
        : `not building ${date}: the archiver (consumer group ${groupId}, ${members} member(s)) was asked to ` +
            `flush but has not archived everything produced before this build after ${waitedS} s ` +
            `(AMI_BATCH_ARCHIVE_WAIT_S); lagging: ${lag}. Is it far behind (ami_archiver_lag) or failing ` +
            `to write to S3 (its log)? Retry once it has caught up (or raise AMI_BATCH_ARCHIVE_WAIT_S); ` +
            `building now would publish the day without those messages.${neverCommitted}`,
    );
    this.name = 'ArchiveNotCaughtUpError';
  }
}

export interface ArchiveGateDeps {
  readonly offsets: ArchiverOffsets;
  /** AMI_ARCHIVER_GROUP_ID (named in the messages). */
  readonly groupId: string;
  /** The topics the archiver consumes and builds read (reads and events). */
  readonly topics: readonly string[];
  /** Asks the archiver to flush now (FlushRequests.request). */
  readonly requestFlush: (atMs: number, token: string) => Promise<void>;
  /** AMI_BATCH_ARCHIVE_WAIT_S (0 = do not check). */
  readonly waitS: number;
  /** Offset poll period (ms); default 500. */
  readonly pollMs?: number;
  /** A new flush request (and membership check) while still lagging, at most this often (ms); default 2000. */
  readonly reRequestMs?: number;
  /** Give up this soon when the archiver group has no member (ms); default 15000. */
  readonly noArchiverGraceMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const NOTHING_PENDING: ArchiveCheck = { waitedMs: 0, flushRequested: false, pendingMessages: 0 };

export class ArchiveGate {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Start of the latest check that passed: builds requested before it are covered. */
  private passedFromMs = -Infinity;

  constructor(private readonly deps: ArchiveGateDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Waits until everything produced before the check is archived (see the module comment); null
   * when the gate is off (AMI_BATCH_ARCHIVE_WAIT_S=0). `requestedAtMs`: when the build was
   * requested — a check that passed after it covers it. Throws ArchiveNotCaughtUpError on timeout.
   */
  async ensureArchived(date: string, requestedAtMs: number): Promise<ArchiveCheck | null> {
    if (this.deps.waitS === 0) return null;
    if (requestedAtMs <= this.passedFromMs) return NOTHING_PENDING;
    const t0 = this.now();
    const targets = await this.kafka(date, () => this.targets());
    let lag = await this.kafka(date, () => this.lagging(targets));
    if (lag.length === 0) return this.passed(t0, NOTHING_PENDING);
    const pendingMessages = lag.reduce((n, p) => n + p.target - Math.max(p.committed, p.low), 0);
    this.deps.logger?.info(
      { date, pendingMessages, lagging: lag.length },
      'waiting for the archiver to archive what was produced before this build',
    );
    const reRequestMs = this.deps.reRequestMs ?? 2000;
    const graceMs = this.deps.noArchiverGraceMs ?? 15_000;
    let members = await this.kafka(date, () => this.deps.offsets.members());
    let requestedAt = -Infinity;
    let n = 0;
    for (;;) {
      const at = this.now();
      const waitedMs = at - t0;
      if (waitedMs >= this.deps.waitS * 1000 || (members === 0 && waitedMs >= graceMs))
        throw new ArchiveNotCaughtUpError(date, this.deps.groupId, members, Math.round(waitedMs / 1000), lag);
      if (at - requestedAt >= reRequestMs) {
        if (n > 0) members = await this.kafka(date, () => this.deps.offsets.members());
        await this.deps.requestFlush(at, `${date}.${n++}`);
        requestedAt = at;
      }
      await this.sleep(this.deps.pollMs ?? 500);
      lag = await this.kafka(date, () => this.lagging(targets));
      if (lag.length === 0)
        return this.passed(t0, { waitedMs: this.now() - t0, flushRequested: true, pendingMessages });
    }
  }

  private passed(startedAtMs: number, check: ArchiveCheck): ArchiveCheck {
    this.passedFromMs = Math.max(this.passedFromMs, startedAtMs);
    return check;
  }

  /** The log ends now of the partitions that hold messages, by `topic:partition`. */
  private async targets(): Promise<Map<string, LaggingPartition>> {
    const out = new Map<string, LaggingPartition>();
    for (const topic of this.deps.topics)
      for (const o of await this.deps.offsets.logOffsets(topic)) {
        // an empty (or fully expired) partition has nothing to archive
        if (o.high > o.low)
          out.set(`${topic}:${o.partition}`, {
            topic,
            partition: o.partition,
            committed: -1,
            low: Number(o.low),
            target: Number(o.high),
          });
      }
    return out;
  }

  /** The partitions whose archiver commit is below their target. */
  private async lagging(targets: ReadonlyMap<string, LaggingPartition>): Promise<LaggingPartition[]> {
    const committed = new Map<string, number>();
    for (const topic of new Set([...targets.values()].map((t) => t.topic)))
      for (const [partition, offset] of await this.deps.offsets.committed(topic))
        committed.set(`${topic}:${partition}`, Number(offset));
    const out: LaggingPartition[] = [];
    for (const [key, t] of targets) {
      const c = committed.get(key) ?? -1;
      if (c < t.target) out.push({ ...t, committed: c });
    }
    return out;
  }

  /** Runs a Kafka read, naming the build in its failure. */
  private async kafka<T>(date: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new Error(
        `not building ${date}: could not read the archiver's offsets from Kafka (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
  }
}
