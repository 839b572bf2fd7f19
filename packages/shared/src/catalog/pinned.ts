/**
 * One request's view of the catalog: an immutable snapshot (version, watermark, views, files) plus
 * the local cache files fetched for it. The files stay pinned in the S3ObjectCache (safe from
 * eviction) until `release()`; every call after release throws, so a request cannot read files
 * it no longer protects.
 */
import type { S3ObjectCache } from '../clients/s3-cache.ts';
import { parseIsoInstant } from '../time/index.ts';
import { assertViewPartition, versionOf, type PartitionId, type ViewName } from './layout.ts';
import { publishedDaysOf, type PublishedDays } from './published.ts';
import type { CatalogFile, CatalogSnapshot, PartitionEntry, ViewEntry } from './schema.ts';

export interface PartitionRange {
  /** First partition id, inclusive ('date=2026-03-01' or 'month=2026-03'). */
  readonly from?: PartitionId;
  /** Last partition id, inclusive. */
  readonly to?: PartitionId;
}

export interface ViewFiles {
  /** Partitions found, sorted, each with its entry. */
  readonly partitions: readonly { readonly id: PartitionId; readonly entry: PartitionEntry }[];
  /** Requested partitions the pinned version does not have. */
  readonly missing: readonly PartitionId[];
  readonly files: readonly CatalogFile[];
}

export interface LocalViewFiles extends ViewFiles {
  /** Local paths of `files`, same order; Hive layout (…/<view>/date=…/file.parquet). */
  readonly paths: readonly string[];
}

export interface ViewSummary {
  readonly view: ViewName;
  readonly version: string;
  readonly updatedAt: string;
  readonly partitions: number;
  readonly firstPartition: PartitionId | null;
  readonly lastPartition: PartitionId | null;
  readonly rows: number;
  readonly bytes: number;
}

export interface CatalogSummary {
  readonly version: string | null;
  readonly seq: number;
  readonly committedAt: string | null;
  readonly watermark: string | null;
  readonly views: readonly ViewSummary[];
}

export interface PinnedCatalog {
  /** Snapshot sequence number; 0 when nothing was ever published. */
  readonly seq: number;
  /** Catalog version 'v<seq>', or null when empty. */
  readonly version: string | null;
  readonly committedAt: string | null;
  /** Batch watermark (ISO instant) and the same as epoch ms; null when no day is published. */
  readonly watermark: string | null;
  readonly watermarkMs: number | null;
  /** The frozen snapshot document, or null when empty. */
  readonly snapshot: CatalogSnapshot | null;
  view(view: ViewName): ViewEntry | undefined;
  /**
   * The local days this version has published (every daily view has the date, every monthly view
   * its month: published.ts), computed once per snapshot. Not necessarily contiguous.
   */
  publishedDays(): PublishedDays;
  /** Whether local day `date` is published in this version (the rule of `publishedDays`). */
  isDayPublished(date: string): boolean;
  /** Partition ids of a view, sorted, optionally limited to an inclusive range. */
  partitions(view: ViewName, range?: PartitionRange): PartitionId[];
  /** Catalog entries of the given partitions (default: all) — no download. */
  files(view: ViewName, partitions?: readonly PartitionId[] | PartitionRange): ViewFiles;
  /** As `files`, plus local paths fetched through the cache and pinned until release(). */
  localFiles(view: ViewName, partitions?: readonly PartitionId[] | PartitionRange): Promise<LocalViewFiles>;
  summary(): CatalogSummary;
  /** Unpins every file this pin fetched. Idempotent. */
  release(): void;
}

const FETCH_CONCURRENCY = 8;

export class PinnedCatalogImpl implements PinnedCatalog {
  readonly seq: number;
  readonly version: string | null;
  readonly committedAt: string | null;
  readonly watermark: string | null;
  readonly watermarkMs: number | null;
  private readonly pinnedKeys: string[] = [];
  private released = false;

  constructor(
    readonly snapshot: CatalogSnapshot | null,
    private readonly cache: S3ObjectCache,
    private readonly onRelease: () => void = () => undefined,
  ) {
    this.seq = snapshot?.seq ?? 0;
    this.version = snapshot ? versionOf(snapshot.seq) : null;
    this.committedAt = snapshot?.committedAt ?? null;
    this.watermark = snapshot?.watermark ?? null;
    this.watermarkMs = this.watermark === null ? null : parseIsoInstant(this.watermark);
  }

  view(view: ViewName): ViewEntry | undefined {
    return this.snapshot?.views[view];
  }

  publishedDays(): PublishedDays {
    return publishedDaysOf(this.snapshot);
  }

  isDayPublished(date: string): boolean {
    return publishedDaysOf(this.snapshot).has(date);
  }

  partitions(view: ViewName, range: PartitionRange = {}): PartitionId[] {
    if (range.from !== undefined) assertViewPartition(view, range.from);
    if (range.to !== undefined) assertViewPartition(view, range.to);
    const entry = this.view(view);
    if (!entry) return [];
    return Object.keys(entry.partitions)
      .filter(
        (id) => (range.from === undefined || id >= range.from) && (range.to === undefined || id <= range.to),
      )
      .sort();
  }

  files(view: ViewName, partitions?: readonly PartitionId[] | PartitionRange): ViewFiles {
    this.assertLive();
    const wanted = isIdList(partitions) ? [...new Set(partitions)].sort() : this.partitions(view, partitions);
    const entry = this.view(view);
    const found: { id: PartitionId; entry: PartitionEntry }[] = [];
    const missing: PartitionId[] = [];
    for (const id of wanted) {
      assertViewPartition(view, id);
      const p = entry?.partitions[id];
      if (p) found.push({ id, entry: p });
      else missing.push(id);
    }
    return { partitions: found, missing, files: found.flatMap((p) => p.entry.files) };
  }

  async localFiles(
    view: ViewName,
    partitions?: readonly PartitionId[] | PartitionRange,
  ): Promise<LocalViewFiles> {
    const listed = this.files(view, partitions);
    const paths: string[] = new Array<string>(listed.files.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < listed.files.length) {
        const i = next++;
        const file = listed.files[i];
        if (file) paths[i] = await this.fetchPinned(file.key);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, listed.files.length) }, worker));
    return { ...listed, paths };
  }

  summary(): CatalogSummary {
    const views = Object.entries(this.snapshot?.views ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, v]): ViewSummary => {
        const ids = Object.keys(v.partitions).sort();
        const parts = Object.values(v.partitions);
        return {
          view: name as ViewName,
          version: v.version,
          updatedAt: v.updatedAt,
          partitions: ids.length,
          firstPartition: ids[0] ?? null,
          lastPartition: ids[ids.length - 1] ?? null,
          rows: parts.reduce((s, p) => s + p.rows, 0),
          bytes: parts.reduce((s, p) => s + p.bytes, 0),
        };
      });
    return {
      version: this.version,
      seq: this.seq,
      committedAt: this.committedAt,
      watermark: this.watermark,
      views,
    };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.cache.unpin(this.pinnedKeys);
    this.pinnedKeys.length = 0;
    this.onRelease();
  }

  private assertLive(): void {
    if (this.released) throw new Error('pinned catalog already released');
  }

  /**
   * Fetches and pins one file. The cache evicts asynchronously, so the file could go between the
   * download and the pin: check the cache still indexes it after pinning and fetch again if not.
   */
  private async fetchPinned(key: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      this.assertLive();
      const path = await this.cache.fetch(key);
      if (this.released) throw new Error('pinned catalog released during fetch');
      this.cache.pin([key]);
      this.pinnedKeys.push(key);
      // pinned and still indexed ⇒ on disk until release (no stat per file and request)
      if (this.cache.has(key)) return path;
      this.cache.unpin([key]);
      this.pinnedKeys.splice(this.pinnedKeys.lastIndexOf(key), 1);
      if (attempt >= 3) throw new Error(`cached file ${key} keeps being evicted (cache too small?)`);
    }
  }
}

function isIdList(p: readonly PartitionId[] | PartitionRange | undefined): p is readonly PartitionId[] {
  return Array.isArray(p);
}
