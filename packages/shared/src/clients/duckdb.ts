/**
 * DuckDB factory (@duckdb/node-api). Extensions are never downloaded (this platform runs
 * offline: S3 objects reach DuckDB through the local object cache, see s3-cache.ts and
 * docs/adr/0002-duckdb-reads-s3-through-a-local-cache.md).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDBOptions {
  /** Database file; ':memory:' (default) for a transient engine. */
  readonly path?: string;
  readonly threads?: number;
  readonly memoryLimit?: string;
  /** Directory DuckDB may spill to when a query exceeds memoryLimit. */
  readonly tempDirectory?: string;
  /**
   * Keep Parquet footers (schema, row-group statistics) in memory across queries. Safe for files
   * that never change under one path — published view files have content-addressed keys — and it
   * saves re-reading and decoding every file's footer on each point lookup.
   */
  readonly parquetMetadataCache?: boolean;
}

export async function openDuckDB(opts: DuckDBOptions = {}): Promise<DuckDBInstance> {
  const options: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
  if (opts.threads !== undefined) options.threads = String(opts.threads);
  if (opts.memoryLimit !== undefined) options.memory_limit = opts.memoryLimit;
  if (opts.tempDirectory !== undefined) options.temp_directory = opts.tempDirectory;
  const db = await DuckDBInstance.create(opts.path ?? ':memory:', options);
  if (opts.parquetMetadataCache === true) {
    // not accepted as a creation option: a global SET applies to every later connection
    const c = await db.connect();
    try {
      await c.run('SET GLOBAL parquet_metadata_cache = true');
    } finally {
      c.closeSync();
    }
  }
  return db;
}

/** Runs `fn` on a fresh connection and always closes it. */
export async function withConnection<T>(
  db: DuckDBInstance,
  fn: (c: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** Quotes a file path as a SQL string literal (paths come from our cache, never from users). */
export function sqlPath(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}
