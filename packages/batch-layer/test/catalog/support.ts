/** Helpers of the catalog integration tests: small view files written by DuckDB, S3 cleanup. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sqlPath, withConnection, type DuckDBInstance } from '@ami/shared/clients';
import { DAILY_VIEWS, MONTHLY_VIEWS, datePartition, monthPartition } from '@ami/shared/catalog';
import type { PartitionInput } from '../../src/catalog/publisher.ts';

/**
 * Writes one Parquet file of `rows` meters (meter_id, wh = seed * 1000 + i) and returns its path.
 * No partition column inside the file: the Hive path carries it.
 */
export async function writeViewFile(
  db: DuckDBInstance,
  path: string,
  rows: number,
  seed: number,
): Promise<string> {
  mkdirSync(join(path, '..'), { recursive: true });
  await withConnection(db, async (c) => {
    await c.run(
      `COPY (SELECT 'MTR-' || lpad(i::VARCHAR, 4, '0') AS meter_id, (${seed} * 1000 + i)::BIGINT AS wh
             FROM range(${rows}) t(i) ORDER BY i)
       TO ${sqlPath(path)} (FORMAT parquet)`,
    );
  });
  return path;
}

/** Inputs that publish one whole local day: every daily view for `date`, every monthly view for its month. */
export async function dayInputs(
  db: DuckDBInstance,
  dir: string,
  date: string,
  seed: number,
  rows = 3,
): Promise<PartitionInput[]> {
  const out: PartitionInput[] = [];
  for (const view of DAILY_VIEWS) {
    const path = await writeViewFile(db, join(dir, `${view}-${date}-${seed}.parquet`), rows, seed);
    out.push({ view, partition: datePartition(date), files: [{ path, rows }] });
  }
  for (const view of MONTHLY_VIEWS) {
    const path = await writeViewFile(
      db,
      join(dir, `${view}-${date.slice(0, 7)}-${seed}.parquet`),
      rows,
      seed,
    );
    out.push({ view, partition: monthPartition(date.slice(0, 7)), files: [{ path, rows }] });
  }
  return out;
}

export { deletePrefix, listKeys } from '../../../../test/support/s3.ts';
