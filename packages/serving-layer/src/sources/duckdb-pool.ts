/**
 * The pool of DuckDB connections on the API's DuckDB instance. One connection runs one query at a
 * time, so a query borrows a connection and returns it; at most `size` connections exist, further
 * queries wait their turn (FIFO). Connections are opened lazily and kept.
 *
 * There is ONE pool per process: `buildApp` (src/app.ts) creates it with `AMI_API_DUCKDB_CONNECTIONS`
 * connections, hands it to every route module as `ctx.pool` (src/routes/context.ts) and closes it
 * when the app closes. So the setting bounds the DuckDB queries the whole API runs at once. A task
 * given to `use` must not call `use` again (it would wait for a connection it may itself hold).
 */
import type { DuckDBConnection, DuckDBInstance } from '@ami/shared/clients';

export class DuckDBPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];
  private opened = 0;
  private closed = false;

  constructor(
    private readonly db: DuckDBInstance,
    readonly size = 4,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be ≥ 1: ${size}`);
  }

  /** Runs `fn` on a borrowed connection and always returns it. */
  async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    try {
      return await fn(c);
    } finally {
      this.release(c);
    }
  }

  /** Closes idle connections; borrowed ones are closed when returned. */
  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.closeSync();
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('DuckDB pool closed');
    const c = this.idle.pop();
    if (c) return c;
    if (this.opened < this.size) {
      this.opened++;
      try {
        return await this.db.connect();
      } catch (err) {
        this.opened--;
        throw err;
      }
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(c: DuckDBConnection): void {
    const next = this.waiters.shift();
    if (next) next(c);
    else if (this.closed) {
      this.opened--;
      c.closeSync();
    } else this.idle.push(c);
  }
}
