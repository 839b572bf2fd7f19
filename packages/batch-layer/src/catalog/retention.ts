/**
 * Which catalog history to keep (pure). A snapshot is retained while it is current or was current
 * at some moment within the retention window: i.e. its successor was committed less than
 * `retentionMs` ago. Objects under views/ and catalog/snapshots/ that no retained snapshot
 * references are garbage once older than the orphan grace period (the grace protects files a
 * publisher has uploaded but not yet committed, and snapshots being committed right now).
 * The HEAD's own snapshot and files are always kept, whatever the clock says.
 */
import { parseIsoInstant } from '@ami/shared/time';
import type { CatalogSnapshot } from '@ami/shared/catalog';
import { referencedKeys } from './manifest.ts';

/** True when the parent of a snapshot committed at `childCommittedAtMs` is still retained. */
export function retainsParent(childCommittedAtMs: number, nowMs: number, retentionMs: number): boolean {
  return childCommittedAtMs > nowMs - retentionMs;
}

export interface RetentionPlan {
  /** Seqs of the retained snapshots, newest first (the first is the current one). */
  readonly retainedSeqs: readonly number[];
  /** Object keys that must be kept: retained snapshot documents and every file they reference. */
  readonly keep: ReadonlySet<string>;
}

/**
 * Plan over a chain of snapshots newest first (`chain[0]` is HEAD's), each with the key it is stored
 * under. Stops at the first snapshot that is no longer retained.
 */
export function planRetention(
  chain: readonly { readonly key: string; readonly snapshot: CatalogSnapshot }[],
  nowMs: number,
  retentionMs: number,
): RetentionPlan {
  const keep = new Set<string>();
  const retainedSeqs: number[] = [];
  for (let i = 0; i < chain.length; i++) {
    const item = chain[i];
    if (!item) break;
    if (i > 0) {
      const child = chain[i - 1];
      if (!child || !retainsParent(parseIsoInstant(child.snapshot.committedAt), nowMs, retentionMs)) break;
    }
    retainedSeqs.push(item.snapshot.seq);
    keep.add(item.key);
    for (const k of referencedKeys(item.snapshot)) keep.add(k);
  }
  return { retainedSeqs, keep };
}

export interface ListedObject {
  readonly key: string;
  readonly lastModifiedMs: number;
}

/** Listed objects to delete: not kept and older than the grace period. Sorted. */
export function selectGarbage(
  listed: readonly ListedObject[],
  keep: ReadonlySet<string>,
  nowMs: number,
  orphanGraceMs: number,
): string[] {
  return listed
    .filter((o) => !keep.has(o.key) && o.lastModifiedMs < nowMs - orphanGraceMs)
    .map((o) => o.key)
    .sort();
}
