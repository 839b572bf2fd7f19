/**
 * The restatement relay (SPEC 5: "restatement notice on ami.batch.restatements when a published day
 * changes"). Notices are derived from the catalog itself, not sent by the publisher, so a worker that
 * dies between its catalog commit and the produce loses nothing: the next relay run finds the
 * snapshot.
 *
 * relayOnce(): read the cursor (last notified snapshot seq, Redis), walk the snapshot chain from HEAD
 * back to it, then for each newer snapshot, oldest first: compare it with its parent (plan.ts), find
 * the affected service points of every restated partition with DuckDB over the two versions' files
 * (service-point-diff.ts; grid views, which have no service points, take those of the same day's
 * intervals_validated change in the same snapshot, else none), validate every notice, produce them
 * with an idempotent producer (key = restatementKey, acks = all), and only then advance the cursor.
 *
 * Delivery is at-least-once: a crash after the produce and before the cursor write re-sends that
 * snapshot's notices on the next run (consumers deduplicate by (view, local_date, new_version)).
 * A snapshot whose parent garbage collection already removed cannot be compared: it is skipped,
 * logged and counted in `unverifiable` (only possible when the relay was stopped for longer than
 * the catalog retention).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readSnapshot, s3Status, type CatalogSnapshot, type SnapshotRef } from '@ami/shared/catalog';
import {
  sendMessages,
  type DuckDBInstance,
  type KafkaClients,
  type KafkaProducer,
  type S3ObjectCache,
} from '@ami/shared/clients';
import {
  makeRestatementNotice,
  restatementKey,
  validateRestatementNotice,
  type RestatementNotice,
} from '@ami/shared/contracts';
import type { Logger } from '@ami/shared/log';
import { parsePartition } from '@ami/shared/catalog';
import { walkChain } from '../catalog/history.ts';
import type { RelayCursor } from './cursor.ts';
import { planRestatements, type RestatedPartition } from './plan.ts';
import { diffServicePoints } from './service-point-diff.ts';

export interface RestatementRelayOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** AMI_CATALOG_PREFIX. */
  readonly catalogPrefix: string;
  /** Object cache the view files are read through (immutable keys). */
  readonly cache: S3ObjectCache;
  readonly db: DuckDBInstance;
  readonly cursor: RelayCursor;
  /** The idempotent producer of createRelayProducer (it connects on its first send). */
  readonly producer: KafkaProducer;
  /** AMI_TOPIC_RESTATEMENTS. */
  readonly topic: string;
  /** Snapshots notified per run at most (default 100). */
  readonly maxSnapshotsPerRun?: number;
  readonly logger?: Logger;
  /** Fault injection for tests: runs after a snapshot's notices are produced, before the cursor moves. */
  readonly afterProduce?: (seq: number) => Promise<void> | void;
}

export interface RelayResult {
  /** Snapshots processed this run. */
  readonly snapshots: number;
  /** Notices produced, in produce order. */
  readonly notices: readonly RestatementNotice[];
  /** Cursor after the run. */
  readonly cursor: number;
  /** Snapshots skipped because their parent was already garbage-collected. */
  readonly unverifiable: number;
  /** True when newer snapshots remain (maxSnapshotsPerRun reached). */
  readonly more: boolean;
}

/**
 * The notice producer: idempotent (no duplicates from its own retries), acks from all in-sync
 * replicas; the relay awaits each send before the next, so one request is in flight. Close it
 * with `close()`.
 */
export function createRelayProducer(kafka: KafkaClients): KafkaProducer {
  return kafka.producer({ idempotent: true, acks: 'all' });
}

interface SnapshotRefWithParent {
  readonly key: string;
  readonly seq: number;
  readonly parent: SnapshotRef | null;
}

export class RestatementRelay {
  constructor(private readonly opts: RestatementRelayOptions) {}

  async relayOnce(): Promise<RelayResult> {
    const cursor = await this.opts.cursor.get();
    const pending: SnapshotRefWithParent[] = [];
    for await (const { key, snapshot } of walkChain(
      this.opts.s3,
      this.opts.bucket,
      this.opts.catalogPrefix,
    )) {
      if (snapshot.seq <= cursor) break;
      pending.push({ key, seq: snapshot.seq, parent: snapshot.parent });
    }
    pending.reverse();
    const limit = this.opts.maxSnapshotsPerRun ?? 100;
    const batch = pending.slice(0, limit);
    const produced: RestatementNotice[] = [];
    let unverifiable = 0;
    let at = cursor;
    let previous: { key: string; snapshot: CatalogSnapshot } | null = null;
    for (const ref of batch) {
      const next = await readSnapshot(this.opts.s3, this.opts.bucket, ref.key);
      const prev = ref.parent === null ? null : await this.parentOf(ref.parent, previous);
      if (ref.parent !== null && prev === null) {
        unverifiable++;
        this.opts.logger?.warn(
          { seq: ref.seq, parent: ref.parent.seq },
          'restatement relay: parent snapshot already garbage-collected; cannot tell what this snapshot restated',
        );
      }
      const notices = prev === null ? [] : await this.noticesOf(prev, next);
      if (notices.length > 0) {
        await sendMessages(
          this.opts.producer,
          this.opts.topic,
          notices.map((n) => ({ key: restatementKey(n), value: JSON.stringify(n) })),
        );
        produced.push(...notices);
        this.opts.logger?.info({ seq: ref.seq, notices: notices.length }, 'restatement notices produced');
      }
      await this.opts.afterProduce?.(ref.seq);
      at = await this.opts.cursor.advance(ref.seq);
      previous = { key: ref.key, snapshot: next };
    }
    return {
      snapshots: batch.length,
      notices: produced,
      cursor: at,
      unverifiable,
      more: pending.length > batch.length,
    };
  }

  private async parentOf(
    parent: SnapshotRef,
    previous: { key: string; snapshot: CatalogSnapshot } | null,
  ): Promise<CatalogSnapshot | null> {
    if (previous?.key === parent.key) return previous.snapshot;
    try {
      return await readSnapshot(this.opts.s3, this.opts.bucket, parent.key);
    } catch (err) {
      if (s3Status(err) === 404) return null;
      throw err;
    }
  }

  /** The validated notices `next` implies relative to its parent `prev`. */
  async noticesOf(prev: CatalogSnapshot, next: CatalogSnapshot): Promise<RestatementNotice[]> {
    const plan = planRestatements(prev, next);
    if (plan.notices.length === 0) return [];
    const affected = new Map<RestatedPartition, string[] | null>();
    for (const p of plan.partitions) affected.set(p, await this.affectedServicePoints(p));
    const validatedByDate = new Map<string, string[]>();
    for (const p of plan.partitions) {
      const ids = affected.get(p);
      if (p.view === 'intervals_validated' && ids)
        validatedByDate.set(parsePartition(p.partition).value, ids);
    }
    return plan.notices.map((n) => {
      const ids = affected.get(n.restated) ?? validatedByDate.get(n.localDate) ?? [];
      const notice = makeRestatementNotice({
        view: n.view,
        localDate: n.localDate,
        oldVersion: n.restated.oldVersion,
        newVersion: n.restated.newVersion,
        affectedServicePointIds: ids,
        cause: plan.cause,
        publishedAtMs: plan.publishedAtMs,
      });
      const checked = validateRestatementNotice(notice);
      if (!checked.ok)
        throw new Error(`restatement notice for ${restatementKey(notice)} is invalid: ${checked.detail}`);
      return checked.value;
    });
  }

  private async affectedServicePoints(p: RestatedPartition): Promise<string[] | null> {
    const keys = [...p.oldFiles, ...p.newFiles].map((f) => f.key);
    const { cache } = this.opts;
    const paths = new Map<string, string>();
    try {
      for (const key of keys) {
        paths.set(key, await cache.fetch(key));
        cache.pin([key]);
      }
      const local = (files: RestatedPartition['oldFiles']) => files.map((f) => paths.get(f.key) as string);
      return await diffServicePoints(this.opts.db, local(p.oldFiles), local(p.newFiles));
    } finally {
      cache.unpin([...paths.keys()]);
    }
  }
}
