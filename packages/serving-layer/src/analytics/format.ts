/**
 * Encodings of the analytics rows (pure): CSV (RFC 4180, header `group,start,end,value,status,reason`)
 * and an Arrow IPC stream (apache-arrow tableToIPC) with the same columns; instants as ISO-8601 with
 * the zone's offset, values as float64 (null when missing).
 */
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { formatIsoOffset } from '@ami/shared/time';
import type { AggregateRow } from './aggregate.ts';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
export const CSV_TYPE = 'text/csv; charset=utf-8';
export const COLUMNS = ['group', 'start', 'end', 'value', 'status', 'reason'] as const;

/** A CSV field, quoted when it holds a comma, quote or line break; formula-leading chars are prefixed. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(rows: readonly AggregateRow[], timeZone: string): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        csvField(r.group),
        formatIsoOffset(r.startMs, timeZone),
        formatIsoOffset(r.endMs, timeZone),
        csvField(r.value),
        r.status,
        csvField(r.reason),
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function toArrow(rows: readonly AggregateRow[], timeZone: string): Uint8Array {
  const table = new Table({
    group: vectorFromArray(
      rows.map((r) => r.group),
      new Utf8(),
    ),
    start: vectorFromArray(
      rows.map((r) => formatIsoOffset(r.startMs, timeZone)),
      new Utf8(),
    ),
    end: vectorFromArray(
      rows.map((r) => formatIsoOffset(r.endMs, timeZone)),
      new Utf8(),
    ),
    value: vectorFromArray(
      rows.map((r) => r.value),
      new Float64(),
    ),
    status: vectorFromArray(
      rows.map((r) => r.status),
      new Utf8(),
    ),
    reason: vectorFromArray(
      rows.map((r) => r.reason),
      new Utf8(),
    ),
  });
  return tableToIPC(table, 'stream');
}
