/**
 * Pure catalog manifest building: from the current snapshot and a list of edits (put the files of
 * a view partition, or remove a partition) to the next snapshot and the list of (view, partition)
 * changes restatement notices are built from.
 *
 * - A put whose content hash equals the current entry's is no change (a rerun of the same inputs
 *   publishes nothing and restates nothing); when no edit changes anything there is no new snapshot.
 * - A changed partition gets version `v<seq>` of the new snapshot; its view's version becomes that too.
 * - The content hash is SHA-256 over the files' (sha256, rows, bytes) sorted: independent of build
 *   ids, keys, times and file order, so equal inputs give equal hashes.
 */
import { createHash } from 'node:crypto';
import {
  CATALOG_FORMAT,
  assertViewPartition,
  canonical,
  versionOf,
  type CatalogFile,
  type CatalogSnapshot,
  type PartitionEntry,
  type PartitionId,
  type SnapshotRef,
  type ViewEntry,
  type ViewName,
} from '@ami/shared/catalog';
import { formatIsoUtc } from '@ami/shared/time';
import { computeWatermark, publishedDays } from './watermark.ts';

export type FileFacts = Pick<CatalogFile, 'sha256' | 'rows' | 'bytes'>;

/** Deterministic content hash of a partition's files. */
export function partitionContentHash(files: readonly FileFacts[]): string {
  const lines = files
    .map((f) => `${f.sha256} ${f.rows} ${f.bytes}`)
    .sort()
    .join('\n');
  return createHash('sha256').update(`ami-catalog-partition-v1\n${lines}`).digest('hex');
}

/** The new content of one partition (version and time are assigned at commit). */
export interface PartitionContent {
  readonly buildId: string;
  readonly files: readonly CatalogFile[];
  /** Set when the content restores an earlier version (rollback). */
  readonly restoredFrom?: string;
}

export type CatalogEdit =
  | {
      readonly kind: 'put';
      readonly view: ViewName;
      readonly partition: PartitionId;
      readonly content: PartitionContent;
    }
  | { readonly kind: 'remove'; readonly view: ViewName; readonly partition: PartitionId };

/** One published (view, partition) change; `old*` null = first publication, `new*` null = removed. */
export interface PartitionChange {
  readonly view: ViewName;
  readonly partition: PartitionId;
  readonly oldVersion: string | null;
  readonly newVersion: string | null;
  readonly oldContentHash: string | null;
  readonly newContentHash: string | null;
  readonly restoredFrom?: string;
}

export interface CommitMeta {
  readonly committedAtMs: number;
  readonly timeZone: string;
  readonly cause: string;
  /** The snapshot being replaced (null for the first). */
  readonly parent: SnapshotRef | null;
}

export interface AppliedEdits {
  /** The next snapshot, or null when the edits change nothing. */
  readonly snapshot: CatalogSnapshot | null;
  readonly changes: readonly PartitionChange[];
}

export function applyEdits(
  current: CatalogSnapshot | null,
  edits: readonly CatalogEdit[],
  meta: CommitMeta,
): AppliedEdits {
  const seq = (current?.seq ?? 0) + 1;
  if ((meta.parent?.seq ?? 0) !== (current?.seq ?? 0))
    throw new Error('parent does not match the current snapshot');
  const version = versionOf(seq);
  const at = formatIsoUtc(meta.committedAtMs);
  const views: Record<string, ViewEntry> = {};
  for (const [name, v] of Object.entries(current?.views ?? {}))
    views[name] = { ...v, partitions: { ...v.partitions } };
  const changes: PartitionChange[] = [];
  for (const edit of checkedEdits(edits)) {
    const change =
      edit.kind === 'remove'
        ? removePartition(views, edit, version, at)
        : putPartition(views, edit, version, at);
    if (change !== undefined) changes.push(change);
  }
  if (changes.length === 0) return { snapshot: null, changes };
  return { snapshot: nextSnapshot(seq, views, meta, at), changes };
}

/** The edits in (view, partition) order, each a valid view partition, none twice. */
function checkedEdits(edits: readonly CatalogEdit[]): CatalogEdit[] {
  const sorted = [...edits].sort((a, b) => cmp(`${a.view}/${a.partition}`, `${b.view}/${b.partition}`));
  const seen = new Set<string>();
  for (const edit of sorted) {
    assertViewPartition(edit.view, edit.partition);
    const id = `${edit.view}/${edit.partition}`;
    if (seen.has(id)) throw new Error(`two edits of ${id} in one commit`);
    seen.add(id);
  }
  return sorted;
}

/** Removes the partition from `views` (its view gets `version`); the change, or none when it was absent. */
function removePartition(
  views: Record<string, ViewEntry>,
  edit: Extract<CatalogEdit, { kind: 'remove' }>,
  version: string,
  at: string,
): PartitionChange | undefined {
  const old = views[edit.view]?.partitions[edit.partition];
  if (!old) return undefined;
  const view = views[edit.view];
  if (view) {
    delete view.partitions[edit.partition];
    views[edit.view] = { ...view, version, updatedAt: at };
  }
  return {
    view: edit.view,
    partition: edit.partition,
    oldVersion: old.version,
    newVersion: null,
    oldContentHash: old.contentHash,
    newContentHash: null,
  };
}

/** Puts the partition's files in `views` as `version`; the change, or none when its content is the same. */
function putPartition(
  views: Record<string, ViewEntry>,
  edit: Extract<CatalogEdit, { kind: 'put' }>,
  version: string,
  at: string,
): PartitionChange | undefined {
  const old = views[edit.view]?.partitions[edit.partition];
  const files = [...edit.content.files].sort((a, b) => cmp(a.key, b.key));
  const contentHash = partitionContentHash(files);
  if (old && old.contentHash === contentHash) return undefined;
  const restored = edit.content.restoredFrom !== undefined ? { restoredFrom: edit.content.restoredFrom } : {};
  const entry: PartitionEntry = {
    version,
    publishedAt: at,
    buildId: edit.content.buildId,
    contentHash,
    rows: files.reduce((s, f) => s + f.rows, 0),
    bytes: files.reduce((s, f) => s + f.bytes, 0),
    ...restored,
    files,
  };
  views[edit.view] = {
    version,
    updatedAt: at,
    partitions: { ...(views[edit.view]?.partitions ?? {}), [edit.partition]: entry },
  };
  return {
    view: edit.view,
    partition: edit.partition,
    oldVersion: old?.version ?? null,
    newVersion: version,
    oldContentHash: old?.contentHash ?? null,
    newContentHash: contentHash,
    ...restored,
  };
}

/** The snapshot of the edited views, with the watermark they give. */
function nextSnapshot(
  seq: number,
  views: Record<string, ViewEntry>,
  meta: CommitMeta,
  at: string,
): CatalogSnapshot {
  const wm = computeWatermark(publishedDays(views), meta.timeZone);
  return canonical({
    format: CATALOG_FORMAT,
    seq,
    parent: meta.parent,
    committedAt: at,
    timeZone: meta.timeZone,
    watermark: wm.watermarkMs === null ? null : formatIsoUtc(wm.watermarkMs),
    firstPublishedDay: wm.firstPublishedDay,
    lastContiguousDay: wm.lastContiguousDay,
    cause: meta.cause,
    views,
  });
}

/**
 * Edits that make `view` (or only `partitions` of it) as it was in `target`: partitions the target
 * had get its files back (marked restoredFrom its version); partitions it lacked are removed.
 */
export function rollbackEdits(
  current: CatalogSnapshot | null,
  target: CatalogSnapshot,
  view: ViewName,
  partitions?: readonly PartitionId[],
): CatalogEdit[] {
  const now = current?.views[view]?.partitions ?? {};
  const then = target.views[view]?.partitions ?? {};
  const scope = partitions ?? [...new Set([...Object.keys(now), ...Object.keys(then)])];
  const edits: CatalogEdit[] = [];
  for (const partition of [...new Set(scope)].sort()) {
    assertViewPartition(view, partition);
    const old = then[partition];
    if (old) {
      if (now[partition]?.contentHash === old.contentHash) continue;
      edits.push({
        kind: 'put',
        view,
        partition,
        content: { buildId: old.buildId, files: old.files, restoredFrom: old.restoredFrom ?? old.version },
      });
    } else if (now[partition]) {
      edits.push({ kind: 'remove', view, partition });
    }
  }
  return edits;
}

/** Every data file key a snapshot references. */
export function referencedKeys(snapshot: CatalogSnapshot): string[] {
  return Object.values(snapshot.views).flatMap((v) =>
    Object.values(v.partitions).flatMap((p) => p.files.map((f) => f.key)),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
