/**
 * Encodings of the analytics rows (pure): CSV (src/format/csv.ts: RFC 4180, header
 * `group,start,end,value,status,reason`, formula-guarded) and an Arrow IPC stream (apache-arrow
 * tableToIPC) with the same columns; instants as ISO-8601 with the zone's offset, values as float64
 * (null when missing).
 */
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { formatIsoOffset } from '@ami/shared/time';
import { CSV_CONTENT_TYPE, toCsvDocument, type CsvColumn } from '../format/csv.ts';
import type { AggregateRow } from './aggregate.ts';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
export const CSV_TYPE = CSV_CONTENT_TYPE;

/** The CSV columns (the Arrow table has the same ones). */
function csvColumns(timeZone: string): CsvColumn<AggregateRow>[] {
  return [
    { header: 'group', value: (r) => r.group },
    { header: 'start', value: (r) => formatIsoOffset(r.startMs, timeZone) },
    { header: 'end', value: (r) => formatIsoOffset(r.endMs, timeZone) },
    { header: 'value', value: (r) => r.value },
    { header: 'status', value: (r) => r.status },
    { header: 'reason', value: (r) => r.reason },
  ];
}

export function toCsv(rows: readonly AggregateRow[], timeZone: string): string {
  return toCsvDocument(csvColumns(timeZone), rows);
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
