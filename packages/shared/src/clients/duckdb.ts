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
}

export async function openDuckDB(opts: DuckDBOptions = {}): Promise<DuckDBInstance> {
  const options: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
  if (opts.threads !== undefined) options.threads = String(opts.threads);
  if (opts.memoryLimit !== undefined) options.memory_limit = opts.memoryLimit;
  if (opts.tempDirectory !== undefined) options.temp_directory = opts.tempDirectory;
  return DuckDBInstance.create(opts.path ?? ':memory:', options);
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
