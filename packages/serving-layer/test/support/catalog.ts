/**
 * Publishes small batch-view days into a test catalog prefix with the real CatalogPublisher
 * (@ami/batch-layer/catalog), and removes the prefix afterwards.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { CatalogPublisher, type PartitionInput, type PublishResult } from '@ami/batch-layer/catalog';
import { DAILY_VIEWS, MONTHLY_VIEWS, datePartition, monthPartition } from '@ami/shared/catalog';
import { sqlPath, withConnection, type DuckDBInstance } from '@ami/shared/clients';

async function writeParquet(db: DuckDBInstance, path: string, rows: number, seed: number): Promise<string> {
  mkdirSync(join(path, '..'), { recursive: true });
  await withConnection(db, async (c) => {
    await c.run(
      `COPY (SELECT 'MTR-' || lpad(i::VARCHAR, 6, '0') AS meter_id, (${seed} * 1000 + i)::BIGINT AS wh
             FROM range(${rows}) t(i)) TO ${sqlPath(path)} (FORMAT parquet)`,
    );
  });
  return path;
}

/** Publishes every daily view for `date` and every monthly view for its month (`rows` rows each). */
export async function publishDay(opts: {
  s3: S3Client;
  bucket: string;
  prefix: string;
  db: DuckDBInstance;
  dir: string;
  date: string;
  rows: number;
  timeZone: string;
}): Promise<PublishResult> {
  const inputs: PartitionInput[] = [];
  const seed = Number(opts.date.replaceAll('-', '')) % 997;
  for (const view of DAILY_VIEWS) {
    const path = await writeParquet(opts.db, join(opts.dir, `${view}-${opts.date}.parquet`), opts.rows, seed);
    inputs.push({ view, partition: datePartition(opts.date), files: [{ path, rows: opts.rows }] });
  }
  for (const view of MONTHLY_VIEWS) {
    const month = opts.date.slice(0, 7);
    const path = await writeParquet(
      opts.db,
      join(opts.dir, `${view}-${opts.date}-m.parquet`),
      opts.rows,
      seed,
    );
    inputs.push({ view, partition: monthPartition(month), files: [{ path, rows: opts.rows }] });
  }
  const publisher = new CatalogPublisher({
    s3: opts.s3,
    bucket: opts.bucket,
    prefix: opts.prefix,
    timeZone: opts.timeZone,
    retentionMs: 86_400_000,
  });
  return publisher.publish(inputs, { cause: 'test' });
}

export { deletePrefix } from '../../../../test/support/s3.ts';
