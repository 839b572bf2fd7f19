/**
 * An append-only log of small JSON records in S3, one object per record, grouped by local date:
 * `<root>date=<YYYY-MM-DD>/<atMs:13>-<id>.json`. Objects are written with `If-None-Match: *`, so an
 * existing record is never overwritten (a second write of the same key fails with
 * AppendConflictError), and nothing here ever deletes. Listing a date returns its records in key
 * order (= time order, then id).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Status } from '@ami/shared/catalog';
import { isValidLocalDate } from '@ami/shared/time';

/** The key already holds a record: nothing was written. */
export class AppendConflictError extends Error {
  constructor(readonly key: string) {
    super(`record ${key} already exists; append-only records are never overwritten`);
    this.name = 'AppendConflictError';
  }
}

/** A stored object is not a valid record of its log (never expected; reported, not skipped). */
export class CorruptRecordError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`stored record ${key} is invalid: ${detail}`);
    this.name = 'CorruptRecordError';
  }
}

const ID_RE = /^[A-Za-z0-9-]{1,64}$/;
/** Epoch ms padded to 13 digits sorts correctly until the year 2286. */
const AT_DIGITS = 13;

export function dateFolder(root: string, date: string): string {
  if (!isValidLocalDate(date)) throw new RangeError(`invalid local date: ${JSON.stringify(date)}`);
  return `${root}date=${date}/`;
}

export function recordKey(root: string, date: string, atMs: number, id: string): string {
  if (!Number.isSafeInteger(atMs) || atMs < 0) throw new RangeError(`bad record time ${atMs}`);
  if (!ID_RE.test(id)) throw new RangeError(`bad record id ${JSON.stringify(id)}`);
  return `${dateFolder(root, date)}${String(atMs).padStart(AT_DIGITS, '0')}-${id}.json`;
}

export interface ObjectLogOptions<T> {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Key prefix of this log, ending in '/' (e.g. 'edits/'). */
  readonly root: string;
  /** Validates a parsed object; returns the record or an error message. */
  readonly parse: (value: unknown) => { ok: true; value: T } | { ok: false; message: string };
  /** Parallel GETs when listing (default 8). */
  readonly readConcurrency?: number;
}

export class ObjectLog<T> {
  constructor(private readonly opts: ObjectLogOptions<T>) {}

  /** Writes one record under a new key; AppendConflictError when the key exists. */
  async append(date: string, atMs: number, id: string, record: T): Promise<string> {
    const key = recordKey(this.opts.root, date, atMs, id);
    try {
      await this.opts.s3.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: key,
          Body: JSON.stringify(record) + '\n',
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      const status = s3Status(err);
      if (status === 412 || status === 409) throw new AppendConflictError(key);
      throw err;
    }
    return key;
  }

  /** Keys of one date's records, sorted. */
  async keysOfDate(date: string): Promise<string[]> {
    const prefix = dateFolder(this.opts.root, date);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.opts.s3.send(
        new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** One date's records in key order. */
  async listDate(date: string): Promise<T[]> {
    const keys = await this.keysOfDate(date);
    const out = new Array<T>(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const i = next++;
        out[i] = await this.read(keys[i] as string);
      }
    };
    const n = Math.min(this.opts.readConcurrency ?? 8, keys.length);
    await Promise.all(Array.from({ length: n }, worker));
    return out;
  }

  private async read(key: string): Promise<T> {
    const res = await this.opts.s3.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }));
    if (!res.Body) throw new CorruptRecordError(key, 'empty body');
    const text = await res.Body.transformToString();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CorruptRecordError(key, err instanceof Error ? err.message : String(err));
    }
    const parsed = this.opts.parse(value);
    if (!parsed.ok) throw new CorruptRecordError(key, parsed.message);
    return parsed.value;
  }
}
