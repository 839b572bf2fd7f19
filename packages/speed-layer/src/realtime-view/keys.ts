/**
 * Key layout of the realtime view (the one place that names Redis keys; write.lua only writes the
 * keys it is given).
 *
 * Every key derived from partition p of the reads topic starts with the Redis Cluster hash tag of
 * that partition, `{<prefix>:<p>}`, so one Lua script can update all of them and the partition's
 * fence atomically on one cluster node:
 *   {rv:p}:fence                    hash: `offset` = last applied Kafka offset, `maxEventMs`,
 *                                   `retainFrom` = oldest local date still kept (retention.ts)
 *   {rv:p}:days                     hash: local date → 1 for every date with keys in the partition
 *   {rv:p}:m:<meterId>:<YYYY-MM-DD> meter-day string (layout.ts): interval slots
 *   {rv:p}:g:<t|f|s|r>:<id>:<date>  grid-day string (layout.ts): 15-minute window aggregates of
 *                                   the meters of partition p only — readers sum the partitions
 * Dates are local dates in AMI_TIMEZONE (the day of interval_start).
 */
import { ID_PATTERN } from '@ami/shared/contracts';

export const GRID_LEVELS = ['transformer', 'feeder', 'substation', 'region'] as const;
export type GridLevel = (typeof GRID_LEVELS)[number];

/** One-letter code of a level inside keys (in this order). */
export const GRID_LEVEL_CODES: Readonly<Record<GridLevel, string>> = {
  transformer: 't',
  feeder: 'f',
  substation: 's',
  region: 'r',
};

const PREFIX_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
const ID_RE = new RegExp(ID_PATTERN);

/** Throws unless `prefix` is a valid key prefix (letters, digits, `._-`, at most 32). */
export function assertKeyPrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RangeError(
      `realtime-view key prefix must match ${PREFIX_PATTERN.source}: ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** `{prefix:p}` — the hash tag shared by every key of partition p. */
export function partitionTag(prefix: string, partition: number): string {
  if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`bad partition ${partition}`);
  return `{${assertKeyPrefix(prefix)}:${partition}}`;
}

export function fenceKey(prefix: string, partition: number): string {
  return `${partitionTag(prefix, partition)}:fence`;
}

function checkId(what: string, id: string): string {
  if (!ID_RE.test(id)) throw new RangeError(`${what} is not a valid id: ${JSON.stringify(id)}`);
  return id;
}

export function daysKey(prefix: string, partition: number): string {
  return `${partitionTag(prefix, partition)}:days`;
}

export function meterDayKey(prefix: string, partition: number, meterId: string, date: string): string {
  return `${partitionTag(prefix, partition)}:m:${checkId('meterId', meterId)}:${date}`;
}

export function gridDayKey(
  prefix: string,
  partition: number,
  level: GridLevel,
  id: string,
  date: string,
): string {
  return `${partitionTag(prefix, partition)}:g:${GRID_LEVEL_CODES[level]}:${checkId(level, id)}:${date}`;
}

/** Where a reading's energy is aggregated: the four grid ids ('' = level not known, skipped). */
export interface GridAttribution {
  readonly transformerId: string;
  readonly feederId: string;
  readonly substationId: string;
  readonly region: string;
}

/** 't|f|s|r' as stored in a meter-day trailer (ids cannot contain '|'). */
export function attributionText(a: GridAttribution): string {
  return `${a.transformerId}|${a.feederId}|${a.substationId}|${a.region}`;
}

export function parseAttributionText(text: string): GridAttribution {
  const [transformerId = '', feederId = '', substationId = '', region = ''] = text.split('|');
  return { transformerId, feederId, substationId, region };
}
