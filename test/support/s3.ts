/** S3 helpers for tests and benches: list and delete every object under a prefix (a run's own data). */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Every key under `prefix`, sorted. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Deletes every object under `prefix` (1,000 keys per request). */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys = await listKeys(s3, bucket, prefix);
  for (let i = 0; i < keys.length; i += 1000)
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
}
