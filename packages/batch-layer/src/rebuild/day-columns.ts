/**
 * Moves the deduplicated day from DuckDB into typed arrays (and back): interval reads as parallel
 * columns ordered by (meter ordinal, interval_start), DAILY register reads as a map. Values are read
 * vector by vector (no row objects), meter ids are replaced by their ordinal in the day's meter list.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import type { DayRegisters } from '../vee/model.ts';

export interface IntervalColumns {
  readonly length: number;
  /** Meter ordinal (index into the day's meter list). */
  readonly m: Int32Array;
  readonly startMs: Float64Array;
  readonly wh: Int32Array;
  readonly deliveredWh: Int32Array;
  readonly receivedWh: Int32Array;
  /** The read's estimated_flag (1 = the head-end estimated the value). */
  readonly estimatedFlag: Uint8Array;
  /** Rows whose (m, startMs) equals the previous row's: unsettled ties (see dedupe.ts). */
  readonly repeatedIdentities: number;
}

/** Reads `SELECT m, start_ms, wh, delivered, received, estimated (UTINYINT)` (already ordered) into columns. */
export async function fetchIntervalColumns(
  c: DuckDBConnection,
  sql: string,
  expected: number,
): Promise<IntervalColumns> {
  let cap = Math.max(1024, expected);
  let m = new Int32Array(cap);
  let startMs = new Float64Array(cap);
  let wh = new Int32Array(cap);
  let deliveredWh = new Int32Array(cap);
  let receivedWh = new Int32Array(cap);
  let estimatedFlag = new Uint8Array(cap);
  let n = 0;
  const result = await c.stream(sql);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const rows = chunk.rowCount;
    if (n + rows > cap) {
      cap = Math.max(cap * 2, n + rows);
      m = grow(m, cap);
      startMs = grow(startMs, cap);
      wh = grow(wh, cap);
      deliveredWh = grow(deliveredWh, cap);
      receivedWh = grow(receivedWh, cap);
      estimatedFlag = grow(estimatedFlag, cap);
    }
    copyInto(chunk.getColumnVector(0), m, n, rows);
    copyInto(chunk.getColumnVector(1), startMs, n, rows);
    copyInto(chunk.getColumnVector(2), wh, n, rows);
    copyInto(chunk.getColumnVector(3), deliveredWh, n, rows);
    copyInto(chunk.getColumnVector(4), receivedWh, n, rows);
    copyInto(chunk.getColumnVector(5), estimatedFlag, n, rows);
    n += rows;
  }
  let repeatedIdentities = 0;
  for (let i = 1; i < n; i++) if (m[i] === m[i - 1] && startMs[i] === startMs[i - 1]) repeatedIdentities++;
  return {
    repeatedIdentities,
    length: n,
    m: m.subarray(0, n),
    startMs: startMs.subarray(0, n),
    wh: wh.subarray(0, n),
    deliveredWh: deliveredWh.subarray(0, n),
    receivedWh: receivedWh.subarray(0, n),
    estimatedFlag: estimatedFlag.subarray(0, n),
  };
}

type Column = Int32Array | Float64Array | Uint8Array;

function grow<T extends Column>(a: T, cap: number): T {
  const b = new (a.constructor as { new (n: number): T })(cap);
  b.set(a);
  return b;
}

/**
 * Copies one vector into `out`. Fast path: @duckdb/node-api keeps INTEGER/DOUBLE/UTINYINT vector data
 * in a typed array (`items`, not part of its typed API); when it is the same type as `out`, one `set`
 * copies the chunk. The columns fetched here are NOT NULL by construction (archive values), which
 * the slow path checks; the fast path is taken only when the library's layout is the expected one.
 */
function copyInto(v: DuckDBVector, out: Column, at: number, rows: number): void {
  const items = (v as unknown as { items?: unknown }).items;
  if (items instanceof Int32Array && out instanceof Int32Array && items.length >= rows) {
    out.set(items.subarray(0, rows), at);
    return;
  }
  if (items instanceof Float64Array && out instanceof Float64Array && items.length >= rows) {
    out.set(items.subarray(0, rows), at);
    return;
  }
  if (items instanceof Uint8Array && out instanceof Uint8Array && items.length >= rows) {
    out.set(items.subarray(0, rows), at);
    return;
  }
  for (let i = 0; i < rows; i++) {
    const x = v.getItem(i);
    if (x === null) throw new Error('unexpected NULL in a day column');
    out[at + i] = Number(x);
  }
}

/**
 * DAILY register reads of the day's two boundary instants, per meter ordinal; null when one
 * (meter, instant) appears twice (an unsettled tie: settle, then fetch again).
 */
export async function fetchRegisters(
  c: DuckDBConnection,
  sql: string,
  dayStartMs: number,
): Promise<Map<number, DayRegisters> | null> {
  const out = new Map<number, DayRegisters>();
  const rows = (await c.runAndReadAll(sql)).getRows();
  const seen = new Set<string>();
  for (const r of rows) {
    const m = Number(r[0]);
    const atMs = Number(r[1]);
    const id = `${m}|${atMs}`;
    if (seen.has(id)) return null;
    seen.add(id);
    const delivered = Number(r[2]);
    const received = Number(r[3]);
    const cur = out.get(m) ?? {
      startDeliveredWh: null,
      startReceivedWh: null,
      endDeliveredWh: null,
      endReceivedWh: null,
    };
    out.set(
      m,
      atMs === dayStartMs
        ? { ...cur, startDeliveredWh: delivered, startReceivedWh: received }
        : { ...cur, endDeliveredWh: delivered, endReceivedWh: received },
    );
  }
  return out;
}
