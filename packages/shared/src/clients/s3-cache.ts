/**
 * Local cache of immutable S3 objects, so DuckDB can query them as plain files (the httpfs
 * extension cannot be installed offline). Like Druid/Pinot segment caches:
 *  - an object is downloaded once to `<dir>/<bucket>/<key>` (temp file + rename, so a reader never
 *    sees a partial file) and reused while its ETag is unchanged;
 *  - concurrent requests for one key share one download;
 *  - the cache is bounded: least-recently-used files are evicted when `maxBytes` is exceeded
 *    (files in use by a pinned reader are protected by `pin`/`unpin`).
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

/** How often a hit refreshes the cached file's mtime (the LRU order after a restart). */
const TOUCH_EVERY_MS = 60_000;

export interface S3ObjectCacheOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly dir: string;
  /** Upper bound of cached bytes (default 2 GiB). */
  readonly maxBytes?: number;
  /**
   * Keys are immutable (every published file has a unique versioned key): once cached, a file is
   * used without asking S3 again. When false, every fetch checks the ETag with a HEAD request.
   */
  readonly immutableKeys?: boolean;
}

interface Entry {
  size: number;
  etag: string;
  lastUsed: number;
  pins: number;
}

export class S3ObjectCache {
  readonly dir: string;
  private readonly opts: Required<Omit<S3ObjectCacheOptions, 'dir'>>;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();
  private totalBytes = 0;
  private loaded: Promise<void> | undefined;
  /** Downloads performed (for tests and metrics). */
  downloads = 0;
  hits = 0;

  constructor(opts: S3ObjectCacheOptions) {
    this.dir = join(opts.dir, opts.bucket);
    this.opts = {
      s3: opts.s3,
      bucket: opts.bucket,
      maxBytes: opts.maxBytes ?? 2 * 1024 ** 3,
      immutableKeys: opts.immutableKeys ?? true,
    };
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Local path of `key`, downloading it first when it is not cached (or changed). */
  async fetch(key: string): Promise<string> {
    await this.load();
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.fetchUncoalesced(key).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /**
   * Whether `key` is cached right now. Synchronous: after `pin([key])`, true means the file stays
   * until `unpin` (eviction skips pinned entries and forgets an entry before deleting its file).
   */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Protects cached files from eviction while a request reads them. */
  pin(keys: readonly string[]): void {
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e) e.pins++;
    }
  }

  unpin(keys: readonly string[]): void {
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.pins > 0) e.pins--;
    }
  }

  pathOf(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === ''))
      throw new Error(`unsafe object key: ${key}`);
    return join(this.dir, ...key.split('/'));
  }

  private async fetchUncoalesced(key: string): Promise<string> {
    const path = this.pathOf(key);
    const cached = this.entries.get(key);
    if (cached) {
      if (this.opts.immutableKeys) {
        return this.touch(key, cached, path);
      }
      const head = await this.opts.s3.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      if (head.ETag === cached.etag) return this.touch(key, cached, path);
    }
    const res = await this.opts.s3.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }));
    if (!res.Body) throw new Error(`S3 returned no body for ${key}`);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await pipeline(res.Body as Readable, createWriteStream(tmp));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const size = (await stat(path)).size;
    if (cached) this.totalBytes -= cached.size;
    this.entries.set(key, { size, etag: res.ETag ?? '', lastUsed: Date.now(), pins: cached?.pins ?? 0 });
    this.totalBytes += size;
    this.downloads++;
    await this.evict();
    return path;
  }

  private async touch(key: string, e: Entry, path: string): Promise<string> {
    const now = Date.now();
    const stale = now - e.lastUsed > TOUCH_EVERY_MS;
    e.lastUsed = now;
    this.hits++;
    // The file's mtime carries the LRU order across restarts; refreshing it once a minute is
    // enough and keeps a syscall off every hit (a series request touches ~30 files).
    if (stale) await utimes(path, new Date(now), new Date(now)).catch(() => undefined);
    return path;
  }

  private async evict(): Promise<void> {
    if (this.totalBytes <= this.opts.maxBytes) return;
    const candidates = [...this.entries.entries()]
      .filter(([, e]) => e.pins === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, e] of candidates) {
      if (this.totalBytes <= this.opts.maxBytes) break;
      // pinned (or replaced) since the candidates were listed: keep it
      if (e.pins > 0 || this.entries.get(key) !== e) continue;
      // forget the entry before the (asynchronous) delete: `has` is false from here on
      this.entries.delete(key);
      this.totalBytes -= e.size;
      await rm(this.pathOf(key), { force: true });
    }
  }

  /** Indexes files left by an earlier process so they count against the bound and are reused. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const walk = async (d: string): Promise<void> => {
        let names: string[];
        try {
          names = await readdir(d);
        } catch {
          return;
        }
        for (const name of names) {
          const p = join(d, name);
          const st = await stat(p);
          if (st.isDirectory()) await walk(p);
          else if (name.includes('.part-')) await rm(p, { force: true });
          else {
            const key = relative(this.dir, p).split(sep).join('/');
            // ETag unknown for files from an earlier run: immutable keys need none; otherwise the
            // first fetch revalidates (empty etag never matches).
            this.entries.set(key, { size: st.size, etag: '', lastUsed: st.mtimeMs, pins: 0 });
            this.totalBytes += st.size;
          }
        }
      };
      await walk(this.dir);
    })();
    return this.loaded;
  }
}
