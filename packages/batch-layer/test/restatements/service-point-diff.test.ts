import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, sqlPath, withConnection, type DuckDBInstance } from '@ami/shared/clients';
import { diffServicePoints } from '../../src/restatements/service-point-diff.ts';

describe('diffServicePoints (embedded DuckDB)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ami-spdiff-'));
  let db: DuckDBInstance;
  const write = async (name: string, select: string) => {
    const path = join(dir, name);
    await withConnection(db, (c) => c.run(`COPY (${select}) TO ${sqlPath(path)} (FORMAT parquet)`));
    return path;
  };
  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists service points whose rows were changed, added or removed', async () => {
    const a = await write(
      'a.parquet',
      `SELECT * FROM (VALUES ('SP-1', 1), ('SP-2', 2), ('SP-3', 3)) t(service_point_id, wh)`,
    );
    const b = await write(
      'b.parquet',
      `SELECT * FROM (VALUES ('SP-1', 1), ('SP-2', 9), ('SP-4', 4)) t(service_point_id, wh)`,
    );
    expect(await diffServicePoints(db, [a], [b])).toEqual(['SP-2', 'SP-3', 'SP-4']);
    expect(await diffServicePoints(db, [a], [a])).toEqual([]);
    expect(await diffServicePoints(db, [a], [])).toEqual(['SP-1', 'SP-2', 'SP-3']);
    expect(await diffServicePoints(db, [], [])).toEqual([]);
  });

  it('treats every service point as affected when the columns changed, and null without the column', async () => {
    const a = await write('c.parquet', `SELECT * FROM (VALUES ('SP-1', 1)) t(service_point_id, wh)`);
    const b = await write(
      'd.parquet',
      `SELECT * FROM (VALUES ('SP-2', 1, 0)) t(service_point_id, wh, extra)`,
    );
    expect(await diffServicePoints(db, [a], [b])).toEqual(['SP-1', 'SP-2']);
    const g = await write('g.parquet', `SELECT * FROM (VALUES ('T1', 1)) t(entity_id, wh)`);
    const h = await write('h.parquet', `SELECT * FROM (VALUES ('T1', 2)) t(entity_id, wh)`);
    expect(await diffServicePoints(db, [g], [h])).toBeNull();
  });
});
