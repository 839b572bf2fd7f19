/**
 * Reading the catalog documents from S3: HEAD.json (with a conditional GET so an unchanged HEAD
 * costs a 304 and no body) and immutable snapshots. Writers live in @ami/batch-layer/catalog.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { catalogHeadKey } from './layout.ts';
import { parseHead, parseSnapshot, type CatalogHead, type CatalogSnapshot } from './schema.ts';

export type HeadRead =
  | { readonly status: 'missing' }
  | { readonly status: 'unchanged' }
  | { readonly status: 'found'; readonly head: CatalogHead; readonly etag: string };

/** HTTP status of an S3 SDK error (undefined for other errors). */
export function s3Status(err: unknown): number | undefined {
  if (err !== null && typeof err === 'object' && '$metadata' in err) {
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return meta?.httpStatusCode;
  }
  return undefined;
}

/** Reads HEAD.json; with `ifNoneMatch` (the ETag last seen) an unchanged HEAD returns 'unchanged'. */
export async function readHead(
  s3: S3Client,
  bucket: string,
  prefix: string,
  ifNoneMatch?: string,
): Promise<HeadRead> {
  try {
    const res = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: catalogHeadKey(prefix), IfNoneMatch: ifNoneMatch }),
    );
    const text = await bodyText(res.Body);
    return { status: 'found', head: parseHead(text), etag: res.ETag ?? '' };
  } catch (err) {
    const status = s3Status(err);
    if (status === 304) return { status: 'unchanged' };
    if (status === 404) return { status: 'missing' };
    throw err;
  }
}

/** Reads and validates one immutable snapshot. */
export async function readSnapshot(s3: S3Client, bucket: string, key: string): Promise<CatalogSnapshot> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return parseSnapshot(await bodyText(res.Body));
}

async function bodyText(body: { transformToString(): Promise<string> } | undefined): Promise<string> {
  if (!body) throw new Error('S3 returned no body');
  return body.transformToString();
}
