/**
 * Object keys of the master dataset:
 *   <prefix>raw/reads/date=YYYY-MM-DD/<file>           valid reads, by local date of interval_start
 *   <prefix>raw/events/date=YYYY-MM-DD/<file>          valid events, by local date of event_ts
 *   <prefix>quarantine/reads|events/date=…/<file>      invalid messages, by local date of receipt
 * <file> = `<group>-p<partition>-<first offset>-<last offset>.parquet`, offsets zero-padded to 20
 * digits: deterministic from what was archived, so re-archiving the same offsets after a crash
 * overwrites the same objects instead of adding copies, and keys sort by offset.
 */
import { isValidLocalDate } from '@ami/shared/time';

export type ArchiveDataset = 'raw' | 'quarantine';
export type ArchiveKind = 'reads' | 'events';

export interface ArchiveObject {
  readonly dataset: ArchiveDataset;
  readonly kind: ArchiveKind;
  readonly date: string;
  readonly groupId: string;
  readonly partition: number;
  /** Kafka offsets (int64 as decimal text), first and last message of the flush. */
  readonly firstOffset: string;
  readonly lastOffset: string;
}

const OFFSET_DIGITS = 20;

function offsetText(offset: string): string {
  if (!/^\d{1,20}$/.test(offset)) throw new RangeError(`not a Kafka offset: ${JSON.stringify(offset)}`);
  return offset.padStart(OFFSET_DIGITS, '0');
}

/** Group id made safe for a key segment (reversible: encodeURIComponent). */
function groupText(groupId: string): string {
  if (groupId === '') throw new RangeError('empty group id');
  return encodeURIComponent(groupId);
}

/** Folder of one dataset, kind and date (with the trailing '/'). */
export function archiveDatePrefix(
  prefix: string,
  dataset: ArchiveDataset,
  kind: ArchiveKind,
  date: string,
): string {
  if (!isValidLocalDate(date)) throw new RangeError(`invalid local date: ${JSON.stringify(date)}`);
  return `${prefix}${dataset}/${kind}/date=${date}/`;
}

export function archiveFileName(
  o: Pick<ArchiveObject, 'groupId' | 'partition' | 'firstOffset' | 'lastOffset'>,
): string {
  if (!Number.isInteger(o.partition) || o.partition < 0) throw new RangeError(`bad partition ${o.partition}`);
  const first = offsetText(o.firstOffset);
  const last = offsetText(o.lastOffset);
  if (first > last) throw new RangeError(`first offset ${o.firstOffset} is after last ${o.lastOffset}`);
  return `${groupText(o.groupId)}-p${o.partition}-${first}-${last}.parquet`;
}

export function archiveObjectKey(prefix: string, o: ArchiveObject): string {
  return archiveDatePrefix(prefix, o.dataset, o.kind, o.date) + archiveFileName(o);
}

const KEY_RE =
  /^(.*?)(raw|quarantine)\/(reads|events)\/date=(\d{4}-\d{2}-\d{2})\/([^/]+)-p(\d+)-(\d{20})-(\d{20})\.parquet$/;

/** Parses a key written by archiveObjectKey (undefined for any other key). */
export function parseArchiveObjectKey(
  key: string,
): (ArchiveObject & { readonly prefix: string }) | undefined {
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const [, prefix, dataset, kind, date, group, partition, first, last] = m;
  if (!isValidLocalDate(date ?? '')) return undefined;
  return {
    prefix: prefix ?? '',
    dataset: dataset as ArchiveDataset,
    kind: kind as ArchiveKind,
    date: date ?? '',
    groupId: decodeURIComponent(group ?? ''),
    partition: Number(partition),
    firstOffset: BigInt(first ?? '0').toString(),
    lastOffset: BigInt(last ?? '0').toString(),
  };
}
