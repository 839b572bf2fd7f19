/**
 * CatalogReader: the serving layer's entry to the batch views. `pin()` returns the current catalog
 * snapshot, frozen, for a whole request (every query of the request sees one version even if a
 * publish lands meanwhile); `release()` at the end unpins its cache files.
 *
 * HEAD.json is re-checked at most every `refreshMs` with a conditional GET (If-None-Match on the last
 * ETag: 304, no body, when nothing changed); concurrent pins share one check and one snapshot
 * download. When a check fails but a snapshot is held, the held one is served (and the error is
 * kept in `lastError`) so a short S3 hiccup does not fail requests that the local cache can answer.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectCache } from '../clients/s3-cache.ts';
import { normalizePrefix } from './layout.ts';
import { PinnedCatalogImpl, type PinnedCatalog } from './pinned.ts';
import { deepFreeze, type CatalogSnapshot } from './schema.ts';
import { readHead, readSnapshot } from './store.ts';

export interface CatalogReaderOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Key prefix of views/ and catalog/ (default ''). */
  readonly prefix?: string;
  readonly cache: S3ObjectCache;
  /** Minimum time between two HEAD checks (default 1000 ms; 0 = check on every pin). */
  readonly refreshMs?: number;
  readonly now?: () => number;
}

export interface CatalogReaderStats {
  headChecks: number;
  headChanges: number;
  snapshotLoads: number;
  pins: number;
  activePins: number;
}

interface State {
  readonly snapshot: CatalogSnapshot | null;
  readonly snapshotKey: string | null;
  readonly etag: string | undefined;
}

export class CatalogReader {
  readonly stats: CatalogReaderStats = {
    headChecks: 0,
    headChanges: 0,
    snapshotLoads: 0,
    pins: 0,
    activePins: 0,
  };
  /** Error of the last failed HEAD check while an older snapshot was served; cleared on success. */
  lastError: Error | undefined;
  /** Seq of the snapshot pins currently get (0 = nothing published or not checked yet). */
  get seq(): number {
    return this.state?.snapshot?.seq ?? 0;
  }
  private readonly prefix: string;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private state: State | undefined;
  private checkedAt = -Infinity;
  private inflight: Promise<State> | undefined;

  constructor(private readonly opts: CatalogReaderOptions) {
    this.prefix = normalizePrefix(opts.prefix ?? '');
    this.refreshMs = opts.refreshMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** Pins the current catalog version for one request. Call `release()` on the result when done. */
  async pin(): Promise<PinnedCatalog> {
    const state =
      this.state !== undefined && this.now() - this.checkedAt < this.refreshMs
        ? this.state
        : await this.checkShared();
    this.stats.pins++;
    this.stats.activePins++;
    return new PinnedCatalogImpl(state.snapshot, this.opts.cache, () => {
      this.stats.activePins--;
    });
  }

  /** Runs `fn` with a pinned catalog and always releases it. */
  async withPinned<T>(fn: (catalog: PinnedCatalog) => Promise<T>): Promise<T> {
    const pinned = await this.pin();
    try {
      return await fn(pinned);
    } finally {
      pinned.release();
    }
  }

  /** Checks HEAD now (shared by concurrent callers), loads a new snapshot when it moved; returns its seq. */
  async refresh(): Promise<number> {
    return (await this.checkShared()).snapshot?.seq ?? 0;
  }

  private checkShared(): Promise<State> {
    this.inflight ??= this.check().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async check(): Promise<State> {
    const started = this.now();
    const held = this.state;
    try {
      this.stats.headChecks++;
      const read = await readHead(this.opts.s3, this.opts.bucket, this.prefix, held?.etag);
      let next: State;
      if (read.status === 'unchanged' && held) next = held;
      else if (read.status === 'missing' || read.status === 'unchanged') {
        next = { snapshot: null, snapshotKey: null, etag: undefined };
      } else if (held && held.snapshotKey === read.head.snapshot) {
        next = { ...held, etag: read.etag };
      } else {
        const snapshot = deepFreeze(await readSnapshot(this.opts.s3, this.opts.bucket, read.head.snapshot));
        if (snapshot.seq !== read.head.seq)
          throw new Error(
            `catalog HEAD names seq ${read.head.seq} but ${read.head.snapshot} holds ${snapshot.seq}`,
          );
        this.stats.snapshotLoads++;
        next = { snapshot, snapshotKey: read.head.snapshot, etag: read.etag };
      }
      if (next.snapshotKey !== held?.snapshotKey) this.stats.headChanges++;
      this.state = next;
      this.checkedAt = started;
      this.lastError = undefined;
      return next;
    } catch (err) {
      if (!held) throw err;
      this.lastError = err instanceof Error ? err : new Error(String(err));
      this.checkedAt = started;
      return held;
    }
  }
}
