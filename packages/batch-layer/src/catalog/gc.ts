/**
 * Garbage collection of the catalog history: deletes snapshot documents and view files no retained
 * catalog version references (see retention.ts for the rule), never anything the current version
 * uses. Safe to run while publishers commit: a commit only adds references to files it uploaded
 * within the grace period or that the current version already references. When there is no HEAD
 * at all it deletes nothing (a first publish may be under way).
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { normalizePrefix, snapshotsPrefix, viewsPrefix, type CatalogSnapshot } from '@ami/shared/catalog';
import { walkChain } from './history.ts';
import { planRetention, selectGarbage, type ListedObject } from './retention.ts';

export interface GcOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix?: string;
  readonly retentionMs: number;
  readonly orphanGraceMs: number;
  readonly now?: () => number;
  /** Report what would be deleted without deleting it. */
  readonly dryRun?: boolean;
}

export interface GcResult {
  readonly currentSeq: number | null;
  readonly retainedSeqs: readonly number[];
  readonly scanned: number;
  readonly kept: number;
  readonly deleted: readonly string[];
}

export async function collectGarbage(opts: GcOptions): Promise<GcResult> {
  const nowMs = (opts.now ?? Date.now)();
  const prefix = normalizePrefix(opts.prefix ?? '');
  const chain: { key: string; snapshot: CatalogSnapshot }[] = [];
  for await (const item of walkChain(opts.s3, opts.bucket, prefix)) {
    const prev = chain[chain.length - 1];
    chain.push(item);
    // planRetention stops at the first expired snapshot; no need to load further back.
    if (prev && planRetention(chain, nowMs, opts.retentionMs).retainedSeqs.length < chain.length) break;
  }
  if (chain.length === 0) return { currentSeq: null, retainedSeqs: [], scanned: 0, kept: 0, deleted: [] };
  const plan = planRetention(chain, nowMs, opts.retentionMs);
  const listed = [
    ...(await listAll(opts.s3, opts.bucket, viewsPrefix(prefix))),
    ...(await listAll(opts.s3, opts.bucket, snapshotsPrefix(prefix))),
  ];
  const garbage = selectGarbage(listed, plan.keep, nowMs, opts.orphanGraceMs);
  if (!opts.dryRun) {
    for (let i = 0; i < garbage.length; i += 1000) {
      const batch = garbage.slice(i, i + 1000);
      const res = await opts.s3.send(
        new DeleteObjectsCommand({
          Bucket: opts.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0)
        throw new Error(
          `GC could not delete ${failed.length} objects, e.g. ${failed[0]?.Key}: ${failed[0]?.Message}`,
        );
    }
  }
  return {
    currentSeq: chain[0]?.snapshot.seq ?? null,
    retainedSeqs: plan.retainedSeqs,
    scanned: listed.length,
    kept: listed.length - garbage.length,
    deleted: garbage,
  };
}

async function listAll(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? [])
      if (o.Key !== undefined) out.push({ key: o.Key, lastModifiedMs: o.LastModified?.getTime() ?? 0 });
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}
