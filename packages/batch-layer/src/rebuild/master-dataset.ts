/**
 * The rebuild's view of the master dataset: which raw Parquet objects hold a local day's reads and
 * events (listing `raw/<kind>/date=D/` in S3), fetched through the local object cache so DuckDB can
 * read them as plain files (no httpfs offline, ADR 0002). Archive objects are immutable per key
 * (a re-archive of the same offsets rewrites identical content), so the cache is keyed by ETag.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectCache } from '@ami/shared/clients';
import { archiveDatePrefix, parseArchiveObjectKey, type ArchiveKind } from '../archiver/naming.ts';

export interface MasterDatasetSource {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Key prefix of raw/ and quarantine/ (AMI_ARCHIVER_PREFIX; '' or ending in '/'). */
  readonly prefix: string;
  readonly cache: S3ObjectCache;
}

export interface RawObject {
  readonly key: string;
  readonly bytes: number;
}

/** Every archive object of one kind and local date (sorted by key; unparseable keys are skipped). */
export async function listRawObjects(
  src: MasterDatasetSource,
  kind: ArchiveKind,
  date: string,
): Promise<RawObject[]> {
  const prefix = archiveDatePrefix(src.prefix, 'raw', kind, date);
  const out: RawObject[] = [];
  let token: string | undefined;
  do {
    const page = await src.s3.send(
      new ListObjectsV2Command({ Bucket: src.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined && parseArchiveObjectKey(o.Key) !== undefined)
        out.push({ key: o.Key, bytes: o.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface FetchedRaw {
  readonly paths: string[];
  readonly keys: string[];
  readonly bytes: number;
}

/** Lists and fetches the raw objects of `kind` for each date; returns local paths (pinned). */
export async function fetchRawObjects(
  src: MasterDatasetSource,
  kind: ArchiveKind,
  dates: readonly string[],
  concurrency = 8,
): Promise<FetchedRaw> {
  const objects = (await Promise.all(dates.map((d) => listRawObjects(src, kind, d)))).flat();
  const keys = objects.map((o) => o.key);
  const paths: string[] = new Array<string>(keys.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const i = next++;
      paths[i] = await src.cache.fetch(keys[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  src.cache.pin(keys);
  return { paths, keys, bytes: objects.reduce((s, o) => s + o.bytes, 0) };
}
