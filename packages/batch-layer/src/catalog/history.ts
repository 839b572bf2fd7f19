/**
 * The catalog history: committed snapshots from HEAD back along their parent links, newest first.
 * The walk ends at the first snapshot garbage collection has already removed.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readHead, readSnapshot, s3Status, type CatalogSnapshot } from '@ami/shared/catalog';

export async function* walkChain(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<{ key: string; snapshot: CatalogSnapshot }> {
  const head = await readHead(s3, bucket, prefix);
  if (head.status !== 'found') return;
  let key: string | null = head.head.snapshot;
  while (key !== null) {
    let snapshot: CatalogSnapshot;
    try {
      snapshot = await readSnapshot(s3, bucket, key);
    } catch (err) {
      if (s3Status(err) === 404) return;
      throw err;
    }
    yield { key, snapshot };
    key = snapshot.parent?.key ?? null;
  }
}
