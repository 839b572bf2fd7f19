/**
 * CatalogPublisher: makes rebuilt batch views visible atomically (SPEC 5 "Publishing").
 *
 * 1. stage(): hash the local Parquet files and upload them under new, never reused keys
 *    (If-None-Match: *, so nothing is ever overwritten). Partitions whose content equals the current
 *    catalog's are skipped. Until step 2, readers cannot see the files.
 * 2. commit(): read HEAD and its snapshot, apply the edits, write the next snapshot under a key
 *    unique to this attempt, then swap HEAD with a conditional PUT (If-Match on the ETag read in
 *    this attempt). A concurrent commit makes the swap fail with 412: re-read HEAD and re-apply on
 *    top of the winner, so no update is lost. The single HEAD swap is the commit point: one publish
 *    may change several views and partitions (a whole day) and readers see all of it or none.
 *
 * A publisher that dies after step 1 (or between the snapshot write and the swap) leaves HEAD as it
 * was; its objects are orphans that garbage collection removes after the grace period.
 * Rollback is a commit like any other (history is append-only): the view's partitions point to the
 * files of an earlier, still retained version.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  catalogHeadKey,
  dataFileKey,
  isBuildId,
  normalizePrefix,
  readHead,
  readSnapshot,
  s3Status,
  serializeHead,
  serializeSnapshot,
  snapshotKey,
  assertViewPartition,
  versionOf,
  CATALOG_FORMAT,
  type CatalogFile,
  type CatalogSnapshot,
  type PartitionId,
  type ViewName,
} from '@ami/shared/catalog';
import { forEachLimited } from '@ami/shared/clients';
import { formatIsoUtc, parseIsoInstant } from '@ami/shared/time';
import { hashFile } from './hash-file.ts';
import { walkChain } from './history.ts';
import {
  applyEdits,
  partitionContentHash,
  rollbackEdits,
  type CatalogEdit,
  type PartitionChange,
} from './manifest.ts';
import { retainsParent } from './retention.ts';
import { MAX_STAGED_AGE_MS } from './settings.ts';

export interface CatalogPublisherOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix?: string;
  /** AMI_TIMEZONE: local days of the watermark. */
  readonly timeZone: string;
  /** Retention of earlier versions (rollback targets must still be retained). */
  readonly retentionMs: number;
  readonly now?: () => number;
  /** Commit attempts before giving up under contention (default 50). */
  readonly maxAttempts?: number;
  /** Parallel uploads (default 4). */
  readonly uploadConcurrency?: number;
}

export interface LocalViewFile {
  readonly path: string;
  /** Rows in the file (the writer knows it from DuckDB's COPY). */
  readonly rows: number;
}

/** The new files of one view partition. An empty `files` publishes the partition as having no rows. */
export interface PartitionInput {
  readonly view: ViewName;
  readonly partition: PartitionId;
  readonly files: readonly LocalViewFile[];
}

export interface StagedPartition {
  readonly view: ViewName;
  readonly partition: PartitionId;
  readonly contentHash: string;
  readonly files: readonly CatalogFile[];
}

export interface StagedPublish {
  readonly buildId: string;
  readonly stagedAtMs: number;
  readonly partitions: readonly StagedPartition[];
  /** Partitions not uploaded because the catalog already holds the same content. */
  readonly unchanged: readonly { readonly view: ViewName; readonly partition: PartitionId }[];
}

export interface PublishResult {
  /** False when nothing changed (no new snapshot). */
  readonly committed: boolean;
  /** Seq of the snapshot now current (the new one when committed). */
  readonly seq: number;
  readonly version: string | null;
  readonly snapshotKey: string | null;
  readonly watermark: string | null;
  /** One record per changed (view, partition): the input of restatement notices. */
  readonly changes: readonly PartitionChange[];
  readonly attempts: number;
}

export interface StageOptions {
  readonly buildId?: string;
  /** Skip partitions whose content the current catalog already has (default true). */
  readonly skipUnchanged?: boolean;
}

export interface RollbackRequest {
  readonly view: ViewName;
  /** The catalog version to go back to: its seq or 'v<seq>'. */
  readonly to: number | string;
  /** Only these partitions (default: the whole view, removing partitions the target lacked). */
  readonly partitions?: readonly PartitionId[];
  readonly cause?: string;
}

export interface SnapshotInfo {
  readonly seq: number;
  readonly version: string;
  readonly key: string;
  readonly committedAt: string;
  readonly cause: string;
  readonly watermark: string | null;
}

export class CatalogConflictError extends Error {
  constructor(attempts: number) {
    super(`catalog commit lost the HEAD race ${attempts} times in a row`);
    this.name = 'CatalogConflictError';
  }
}

/** Margin a rollback target must still have before it expires (so GC cannot delete its files meanwhile). */
const ROLLBACK_MARGIN_MS = 60 * 60 * 1000;

export class CatalogPublisher {
  readonly prefix: string;
  private readonly now: () => number;

  constructor(private readonly opts: CatalogPublisherOptions) {
    this.prefix = normalizePrefix(opts.prefix ?? '');
    this.now = opts.now ?? Date.now;
  }

  /** Current snapshot (null when nothing is published) and HEAD's ETag. */
  async current(): Promise<{ snapshot: CatalogSnapshot | null; key: string | null; etag: string | null }> {
    const head = await readHead(this.opts.s3, this.opts.bucket, this.prefix);
    if (head.status !== 'found') return { snapshot: null, key: null, etag: null };
    const snapshot = await readSnapshot(this.opts.s3, this.opts.bucket, head.head.snapshot);
    return { snapshot, key: head.head.snapshot, etag: head.etag };
  }

  /** Step 1: upload the files of the given partitions (not yet visible). */
  async stage(inputs: readonly PartitionInput[], options: StageOptions = {}): Promise<StagedPublish> {
    const buildId = options.buildId ?? newBuildId(this.now());
    if (!isBuildId(buildId)) throw new RangeError(`bad build id ${JSON.stringify(buildId)}`);
    const seen = new Set<string>();
    for (const input of inputs) {
      assertViewPartition(input.view, input.partition);
      const id = `${input.view}/${input.partition}`;
      if (seen.has(id)) throw new Error(`partition ${id} given twice`);
      seen.add(id);
      for (const f of input.files)
        if (!Number.isSafeInteger(f.rows) || f.rows < 0) throw new RangeError(`bad row count for ${f.path}`);
    }
    const stagedAtMs = this.now();
    const hashed = await Promise.all(
      inputs.map(async (input) => ({
        input,
        facts: await Promise.all(input.files.map(async (f) => ({ ...f, ...(await hashFile(f.path)) }))),
      })),
    );
    const current = options.skipUnchanged === false ? null : (await this.current()).snapshot;
    const unchanged: { view: ViewName; partition: PartitionId }[] = [];
    const todo: {
      input: PartitionInput;
      facts: { path: string; rows: number; sha256: string; bytes: number }[];
    }[] = [];
    for (const h of hashed) {
      const existing = current?.views[h.input.view]?.partitions[h.input.partition];
      if (existing && existing.contentHash === partitionContentHash(h.facts))
        unchanged.push({ view: h.input.view, partition: h.input.partition });
      else todo.push(h);
    }
    const uploads = todo.flatMap(({ input, facts }) =>
      facts.map((f, index) => ({
        input,
        f,
        key: dataFileKey(this.prefix, input.view, input.partition, buildId, index, f.sha256),
      })),
    );
    const etags = new Map<string, string>();
    await forEachLimited(uploads, this.opts.uploadConcurrency ?? 4, async (u) => {
      etags.set(u.key, await this.upload(u.key, u.f.path, u.f.bytes));
    });
    const partitions = todo.map(({ input, facts }): StagedPartition => {
      const files = facts.map((f, index): CatalogFile => {
        const key = dataFileKey(this.prefix, input.view, input.partition, buildId, index, f.sha256);
        return { key, rows: f.rows, bytes: f.bytes, sha256: f.sha256, etag: etags.get(key) ?? '' };
      });
      return {
        view: input.view,
        partition: input.partition,
        contentHash: partitionContentHash(files),
        files,
      };
    });
    return { buildId, stagedAtMs, partitions, unchanged };
  }

  /** Step 2: make staged partitions visible in one atomic catalog commit. */
  async commit(staged: StagedPublish, options: { cause: string }): Promise<PublishResult> {
    if (this.now() - staged.stagedAtMs > MAX_STAGED_AGE_MS)
      throw new Error(`staged build ${staged.buildId} is older than ${MAX_STAGED_AGE_MS} ms: stage again`);
    const edits: CatalogEdit[] = staged.partitions.map((p) => ({
      kind: 'put',
      view: p.view,
      partition: p.partition,
      content: { buildId: staged.buildId, files: p.files },
    }));
    return this.commitEdits(() => edits, options.cause);
  }

  /** stage + commit. */
  async publish(
    inputs: readonly PartitionInput[],
    options: StageOptions & { cause: string },
  ): Promise<PublishResult> {
    return this.commit(await this.stage(inputs, options), options);
  }

  /** Removes partitions from the catalog (their files stay until GC). */
  async unpublish(
    partitions: readonly { view: ViewName; partition: PartitionId }[],
    options: { cause: string },
  ): Promise<PublishResult> {
    return this.commitEdits(() => partitions.map((p) => ({ kind: 'remove', ...p })), options.cause);
  }

  /** Points a view (or some of its partitions) back to the files of an earlier retained version. */
  async rollback(req: RollbackRequest): Promise<PublishResult> {
    const seq = typeof req.to === 'number' ? req.to : Number(/^v(\d+)$/.exec(req.to)?.[1] ?? NaN);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`bad catalog version ${String(req.to)}`);
    const target = await this.findRetained(seq);
    return this.commitEdits(
      (current) => rollbackEdits(current, target, req.view, req.partitions),
      req.cause ?? 'rollback',
    );
  }

  /** Committed snapshots from the current one back (newest first), at most `limit`. */
  async history(limit = 100): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for await (const { key, snapshot } of this.chain()) {
      if (out.length >= limit) break;
      out.push({
        seq: snapshot.seq,
        version: versionOf(snapshot.seq),
        key,
        committedAt: snapshot.committedAt,
        cause: snapshot.cause,
        watermark: snapshot.watermark,
      });
    }
    return out;
  }

  /** Walks the snapshot chain from HEAD (stops where history was garbage-collected). */
  chain(): AsyncGenerator<{ key: string; snapshot: CatalogSnapshot }> {
    return walkChain(this.opts.s3, this.opts.bucket, this.prefix);
  }

  /** The retained snapshot `seq` (throws when it is unknown or expires within the safety margin). */
  private async findRetained(seq: number): Promise<CatalogSnapshot> {
    let child: CatalogSnapshot | null = null;
    for await (const { snapshot } of this.chain()) {
      if (snapshot.seq === seq) {
        const deadlineOk =
          child === null ||
          retainsParent(
            parseIsoInstant(child.committedAt),
            this.now() + ROLLBACK_MARGIN_MS,
            this.opts.retentionMs,
          );
        if (!deadlineOk) throw new Error(`catalog version v${seq} is past (or about to pass) its retention`);
        return snapshot;
      }
      if (snapshot.seq < seq) break;
      child = snapshot;
    }
    throw new Error(`catalog version v${seq} is not in the retained history`);
  }

  /** The optimistic commit loop: re-reads HEAD and re-derives the edits on every attempt. */
  private async commitEdits(
    makeEdits: (current: CatalogSnapshot | null) => readonly CatalogEdit[],
    cause: string,
  ): Promise<PublishResult> {
    const maxAttempts = this.opts.maxAttempts ?? 50;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const head = await readHead(this.opts.s3, this.opts.bucket, this.prefix);
      const found = head.status === 'found' ? head : null;
      const current = found ? await readSnapshot(this.opts.s3, this.opts.bucket, found.head.snapshot) : null;
      const committedAtMs = this.now();
      const { snapshot, changes } = applyEdits(current, makeEdits(current), {
        committedAtMs,
        timeZone: this.opts.timeZone,
        cause,
        parent: found ? { seq: found.head.seq, key: found.head.snapshot } : null,
      });
      if (!snapshot) {
        return {
          committed: false,
          seq: current?.seq ?? 0,
          version: current ? versionOf(current.seq) : null,
          snapshotKey: found?.head.snapshot ?? null,
          watermark: current?.watermark ?? null,
          changes: [],
          attempts: attempt,
        };
      }
      const key = snapshotKey(this.prefix, snapshot.seq, randomBytes(6).toString('hex'));
      await this.opts.s3.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: key,
          Body: serializeSnapshot(snapshot),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      const swapped = await this.swapHead(
        serializeHead({
          format: CATALOG_FORMAT,
          seq: snapshot.seq,
          snapshot: key,
          committedAt: formatIsoUtc(committedAtMs),
        }),
        found?.etag ?? null,
      );
      if (swapped) {
        return {
          committed: true,
          seq: snapshot.seq,
          version: versionOf(snapshot.seq),
          snapshotKey: key,
          watermark: snapshot.watermark,
          changes,
          attempts: attempt,
        };
      }
      // Lost the race: our snapshot was never current; remove it (GC would too) and retry.
      await this.opts.s3
        .send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: key }))
        .catch(() => undefined);
      await sleep(Math.floor(Math.random() * 20 * Math.min(attempt, 10)));
    }
    throw new CatalogConflictError(maxAttempts);
  }

  /** The commit point: conditional PUT of HEAD. False when another commit won (412/409). */
  private async swapHead(body: string, expectedEtag: string | null): Promise<boolean> {
    try {
      await this.opts.s3.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: catalogHeadKey(this.prefix),
          Body: body,
          ContentType: 'application/json',
          ...(expectedEtag === null ? { IfNoneMatch: '*' } : { IfMatch: expectedEtag }),
        }),
      );
      return true;
    } catch (err) {
      const status = s3Status(err);
      if (status === 412 || status === 409) return false;
      throw err;
    }
  }

  private async upload(key: string, path: string, bytes: number): Promise<string> {
    const res = await this.opts.s3.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: key,
        Body: createReadStream(path),
        ContentLength: bytes,
        ContentType: 'application/vnd.apache.parquet',
        IfNoneMatch: '*',
      }),
    );
    return res.ETag ?? '';
  }
}

/** A build id unique per publish attempt, sortable by time: '20260301T020000Z-1a2b3c4d'. */
export function newBuildId(nowMs: number): string {
  const t = formatIsoUtc(Math.floor(nowMs / 1000) * 1000).replace(/[-:]/g, '');
  return `${t}-${randomBytes(4).toString('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
