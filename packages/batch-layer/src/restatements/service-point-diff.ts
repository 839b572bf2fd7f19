/**
 * The service points whose rows differ between two versions of a view partition, computed by DuckDB
 * over the two versions' Parquet files: (old EXCEPT new) UNION (new EXCEPT old), distinct
 * service_point_id. A side without files counts as empty (first publication / removal: every
 * service point of the other side). When the two versions have different columns (a schema change)
 * every service point of either side is affected. Views without a service_point_id column (the grid
 * views) return null.
 */
import { sqlPath, withConnection, type DuckDBConnection, type DuckDBInstance } from '@ami/shared/clients';

function source(paths: readonly string[]): string {
  return `read_parquet([${paths.map(sqlPath).join(', ')}], hive_partitioning = false, union_by_name = true)`;
}

async function columns(c: DuckDBConnection, paths: readonly string[]): Promise<string[]> {
  const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${source(paths)}`);
  return r.getRowObjects().map((row) => `${String(row.column_name)} ${String(row.column_type)}`);
}

async function ids(c: DuckDBConnection, sql: string): Promise<string[]> {
  const r = await c.runAndReadAll(sql);
  return r.getRows().map((row) => String(row[0]));
}

/** Sorted distinct service points with differing rows, or null when the view has no such column. */
export async function diffServicePoints(
  db: DuckDBInstance,
  oldPaths: readonly string[],
  newPaths: readonly string[],
): Promise<string[] | null> {
  if (oldPaths.length === 0 && newPaths.length === 0) return [];
  return withConnection(db, async (c) => {
    const oldCols = oldPaths.length > 0 ? await columns(c, oldPaths) : null;
    const newCols = newPaths.length > 0 ? await columns(c, newPaths) : null;
    const hasSp = (cols: string[] | null) => cols?.some((x) => x.startsWith('service_point_id ')) ?? false;
    if (!hasSp(oldCols) && !hasSp(newCols)) return null;
    const allOf = (paths: readonly string[]) =>
      `SELECT service_point_id FROM ${source(paths)} WHERE service_point_id IS NOT NULL`;
    if (oldCols === null)
      return ids(c, `SELECT DISTINCT service_point_id FROM (${allOf(newPaths)}) ORDER BY 1`);
    if (newCols === null)
      return ids(c, `SELECT DISTINCT service_point_id FROM (${allOf(oldPaths)}) ORDER BY 1`);
    const same = oldCols.length === newCols.length && oldCols.every((col, i) => col === newCols[i]);
    if (!same || !hasSp(oldCols) || !hasSp(newCols)) {
      const parts = [oldPaths, newPaths].filter((_, i) => hasSp(i === 0 ? oldCols : newCols)).map(allOf);
      return ids(c, `SELECT DISTINCT service_point_id FROM (${parts.join(' UNION ALL ')}) ORDER BY 1`);
    }
    return ids(
      c,
      `WITH o AS (SELECT * FROM ${source(oldPaths)}), n AS (SELECT * FROM ${source(newPaths)})
       SELECT DISTINCT service_point_id FROM (
         (SELECT * FROM o EXCEPT SELECT * FROM n) UNION ALL (SELECT * FROM n EXCEPT SELECT * FROM o)
       ) WHERE service_point_id IS NOT NULL ORDER BY 1`,
    );
  });
}
