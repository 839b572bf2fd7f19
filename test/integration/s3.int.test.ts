import { afterAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createS3 } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../support/config.ts';

describe('S3 through @aws-sdk/client-s3 (real MinIO or external S3)', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const Bucket = config.connection.s3Bucket;
  const prefix = `it/${uniqueName('s3')}/`;

  afterAll(async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
    s3.destroy();
  });

  it('puts, gets and lists objects under a prefix', async () => {
    const body = Buffer.from('interval read archive ✓', 'utf8');
    for (const name of [
      'date=2026-03-29/a.parquet',
      'date=2026-03-29/b.parquet',
      'date=2026-03-30/c.parquet',
    ]) {
      await s3.send(new PutObjectCommand({ Bucket, Key: prefix + name, Body: body }));
    }
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: `${prefix}date=2026-03-29/a.parquet` }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).toString('utf8')).toBe(
      'interval read archive ✓',
    );

    const day = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `${prefix}date=2026-03-29/` }));
    expect((day.Contents ?? []).map((o) => o.Key?.slice(prefix.length)).sort()).toEqual([
      'date=2026-03-29/a.parquet',
      'date=2026-03-29/b.parquet',
    ]);
    const partitions = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, Delimiter: '/' }));
    expect((partitions.CommonPrefixes ?? []).map((p) => p.Prefix?.slice(prefix.length)).sort()).toEqual([
      'date=2026-03-29/',
      'date=2026-03-30/',
    ]);
  });
});
