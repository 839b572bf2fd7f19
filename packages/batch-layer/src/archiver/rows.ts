/**
 * Rows of the master dataset (SPEC 5, archive format 1) and the pure steps that make them:
 * message → row (validated reads and events, quarantined messages), grouping by local date, and the
 * sort order inside a file. Instants are UTC epoch milliseconds here; the Parquet files store them
 * as TIMESTAMP WITH TIME ZONE (microseconds, UTC-adjusted). Energies are integer Wh (kwhToWh, done
 * once by validateRead), so the batch layer sums integers it never re-derives.
 */
import type {
  DlqRecord,
  ReadType,
  ReadVersion,
  ValidEvent,
  ValidRead,
  ValidationFailure,
} from '@ami/shared/contracts';
import { makeDlqRecord } from '@ami/shared/contracts';
import { localDate } from '@ami/shared/time';

/** Archive layout version, written into every file's key-value metadata. */
export const ARCHIVE_FORMAT = 1;

/** One archived read: every field the latest-wins rule (compareReadVersions) and VEE use. */
export interface ArchivedRead {
  readonly meter_id: string;
  readonly read_type: ReadType;
  readonly interval_start_ms: number;
  readonly read_ts_ms: number;
  readonly consumption_wh: number;
  readonly delivered_wh: number;
  readonly received_wh: number;
  readonly estimated_flag: boolean;
  readonly voltage_v: number | null;
  readonly power_quality_code: number | null;
  readonly service_point_id: string;
  readonly customer_id: string;
  readonly transformer_id: string;
  readonly feeder_id: string;
}

export interface ArchivedEvent {
  readonly meter_id: string;
  readonly event_code: number;
  readonly event_desc: string;
  readonly event_ts_ms: number;
}

/** An invalid message as kept under quarantine/: the DLQ record's fields, flat. */
export interface QuarantinedMessage {
  readonly payload: string;
  readonly payload_encoding: 'utf8' | 'base64';
  readonly reason: string;
  readonly detail: string;
  readonly path: string | null;
  readonly keyword: string | null;
  readonly source_topic: string;
  readonly source_partition: number;
  /** Kafka offset as decimal text (int64). */
  readonly source_offset: string;
  readonly key: string | null;
  readonly received_at_ms: number;
}

export function archivedRead(r: ValidRead): ArchivedRead {
  return {
    meter_id: r.meter_id,
    read_type: r.read_type,
    interval_start_ms: r.intervalStartMs,
    read_ts_ms: r.readTsMs,
    consumption_wh: r.consumptionWh,
    delivered_wh: r.deliveredWh,
    received_wh: r.receivedWh,
    estimated_flag: r.estimated_flag,
    voltage_v: r.voltage_v,
    power_quality_code: r.power_quality_code,
    service_point_id: r.service_point_id,
    customer_id: r.customer_id,
    transformer_id: r.transformer_id,
    feeder_id: r.feeder_id,
  };
}

/** The archived row as a version of its reading, for compareReadVersions / pickLatest. */
export function readVersionOf(row: ArchivedRead): ReadVersion {
  return {
    meter_id: row.meter_id,
    read_type: row.read_type,
    intervalStartMs: row.interval_start_ms,
    readTsMs: row.read_ts_ms,
    consumptionWh: row.consumption_wh,
    deliveredWh: row.delivered_wh,
    receivedWh: row.received_wh,
    estimated_flag: row.estimated_flag,
    voltage_v: row.voltage_v,
    power_quality_code: row.power_quality_code,
    service_point_id: row.service_point_id,
    customer_id: row.customer_id,
    transformer_id: row.transformer_id,
    feeder_id: row.feeder_id,
  };
}

export function archivedEvent(e: ValidEvent): ArchivedEvent {
  return {
    meter_id: e.meter_id,
    event_code: e.event_code,
    event_desc: e.event_desc,
    event_ts_ms: e.eventTsMs,
  };
}

export interface QuarantineSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly receivedAtMs: number;
}

/** An invalid message with its reason (the validators' reason code), built through makeDlqRecord. */
export function quarantined(source: QuarantineSource, why: ValidationFailure): QuarantinedMessage {
  const d: DlqRecord = makeDlqRecord({
    payload: source.value,
    failure: why,
    stage: 'archiver',
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
    key: source.key,
    receivedAtMs: source.receivedAtMs,
  });
  return {
    payload: d.payload,
    payload_encoding: d.payload_encoding,
    reason: d.reason,
    detail: d.detail,
    path: d.path ?? null,
    keyword: d.keyword ?? null,
    source_topic: d.source_topic,
    source_partition: d.source_partition,
    source_offset: d.source_offset,
    key: d.key,
    received_at_ms: source.receivedAtMs,
  };
}

/** Rows grouped by the local date (in `timeZone`) of the instant `instantOf` picks; dates ascending. */
export function groupByLocalDate<T>(
  rows: readonly T[],
  instantOf: (row: T) => number,
  timeZone: string,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const date = localDate(instantOf(row), timeZone);
    const list = groups.get(date);
    if (list) list.push(row);
    else groups.set(date, [row]);
  }
  return new Map([...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Order of reads inside a file: (meter_id, interval_start), then read_type and read_ts so the order
 * is total and a re-archived file has the same bytes. Runs of one meter compress to almost nothing
 * (dictionary + RLE ids, delta-encoded instants) and a meter's rows are one contiguous range.
 */
export function compareArchivedReads(a: ArchivedRead, b: ArchivedRead): number {
  return (
    cmp(a.meter_id, b.meter_id) ||
    a.interval_start_ms - b.interval_start_ms ||
    cmp(a.read_type, b.read_type) ||
    a.read_ts_ms - b.read_ts_ms ||
    a.consumption_wh - b.consumption_wh
  );
}

export function compareArchivedEvents(a: ArchivedEvent, b: ArchivedEvent): number {
  return (
    cmp(a.meter_id, b.meter_id) ||
    a.event_ts_ms - b.event_ts_ms ||
    a.event_code - b.event_code ||
    cmp(a.event_desc, b.event_desc)
  );
}
