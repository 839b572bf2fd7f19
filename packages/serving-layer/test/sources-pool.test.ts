/** The DuckDB connection pool: never more than `size` connections in use, waiters served in turn. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, type DuckDBInstance } from '@ami/shared/clients';
import { DuckDBPool } from '../src/sources/duckdb-pool.ts';

describe('DuckDBPool', () => {
  let db: DuckDBInstance;
  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
  });
  afterAll(() => db.closeSync());

  it('lends at most `size` connections and serves every waiter', async () => {
    const pool = new DuckDBPool(db, 2);
    let inUse = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const used = new Set<unknown>();
    const tasks = Array.from({ length: 7 }, (_, i) =>
      pool.use(async (c) => {
        used.add(c);
        inUse++;
        peak = Math.max(peak, inUse);
        await new Promise<void>((resolve) => gates.push(resolve));
        const r = await c.runAndReadAll('SELECT $1::INTEGER * 2 AS v', [i]);
        inUse--;
        return Number(r.getRows()[0]![0]);
      }),
    );
    // release the holders one by one until every task has run
    for (let released = 0; released < 7; released++) {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      gates.shift()!();
    }
    expect(await Promise.all(tasks)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(peak).toBe(2);
    expect(used.size).toBe(2);
    pool.close();
    await expect(pool.use(() => Promise.resolve(1))).rejects.toThrow(/closed/);
  });

  it('returns the connection when the task fails', async () => {
    const pool = new DuckDBPool(db, 1);
    await expect(pool.use(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await pool.use(async (c) => (await c.runAndReadAll('SELECT 42')).getRows()[0]![0])).toBe(42);
    pool.close();
  });
});
