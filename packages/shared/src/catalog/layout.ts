/**
 * Object-store layout of the published batch views and their catalog (SPEC 5 "Publishing").
 *
 *   <prefix>views/<view>/date=YYYY-MM-DD/<buildId>-<sha256:16>.parquet   daily views
 *   <prefix>views/<view>/month=YYYY-MM/<buildId>-<sha256:16>.parquet     monthly views
 *   <prefix>catalog/snapshots/<seq:12>-<token>.json                       immutable catalog snapshots
 *   <prefix>catalog/HEAD.json                                             pointer to the current snapshot
 *
 * Data files are never overwritten: the build id is unique per publish attempt and the hash names
 * the content. Partitions are Hive style (`date=` / `month=`), so the current files of a view are
 * plain Hive-partitioned Parquet for any engine. `meter_monthly` and `billing_determinants` are
 * keyed by local month (= billing period, see @ami/shared/time billing.ts); the others by local date.
 */
import { VIEW_NAMES, type ViewName } from '../contracts/restatement.ts';
import { isValidLocalDate, isValidLocalMonth } from '../time/index.ts';

export { VIEW_NAMES, type ViewName };

export type PartitionKind = 'date' | 'month';

/** How each view is partitioned: by local date or by local month (billing period). */
export const VIEW_PARTITIONING: Readonly<Record<ViewName, PartitionKind>> = {
  intervals_validated: 'date',
  meter_hourly: 'date',
  meter_daily: 'date',
  meter_monthly: 'month',
  grid_15m: 'date',
  grid_daily: 'date',
  billing_determinants: 'month',
};

/** Views partitioned by local date: a local day is published when all of them hold that date. */
export const DAILY_VIEWS: readonly ViewName[] = VIEW_NAMES.filter((v) => VIEW_PARTITIONING[v] === 'date');
export const MONTHLY_VIEWS: readonly ViewName[] = VIEW_NAMES.filter((v) => VIEW_PARTITIONING[v] === 'month');

export function isViewName(s: string): s is ViewName {
  return (VIEW_NAMES as readonly string[]).includes(s);
}

/** A partition id is its Hive path segment: 'date=2026-03-01' or 'month=2026-03'. */
export type PartitionId = string;

export interface ParsedPartition {
  readonly kind: PartitionKind;
  /** 'YYYY-MM-DD' for dates, 'YYYY-MM' for months. */
  readonly value: string;
}

export function datePartition(date: string): PartitionId {
  if (!isValidLocalDate(date)) throw new RangeError(`invalid local date: ${JSON.stringify(date)}`);
  return `date=${date}`;
}

export function monthPartition(month: string): PartitionId {
  if (!isValidLocalMonth(month)) throw new RangeError(`invalid local month: ${JSON.stringify(month)}`);
  return `month=${month}`;
}

/** Parses 'date=YYYY-MM-DD' / 'month=YYYY-MM'; throws a RangeError for anything else. */
export function parsePartition(id: PartitionId): ParsedPartition {
  const eq = id.indexOf('=');
  const kind = id.slice(0, eq);
  const value = id.slice(eq + 1);
  if (kind === 'date' && isValidLocalDate(value)) return { kind, value };
  if (kind === 'month' && isValidLocalMonth(value)) return { kind, value };
  throw new RangeError(`invalid partition id (want date=YYYY-MM-DD or month=YYYY-MM): ${JSON.stringify(id)}`);
}

/** Throws unless `partition` is valid and of the kind `view` is partitioned by. */
export function assertViewPartition(view: ViewName, partition: PartitionId): ParsedPartition {
  const p = parsePartition(partition);
  if (p.kind !== VIEW_PARTITIONING[view])
    throw new RangeError(`view ${view} is partitioned by ${VIEW_PARTITIONING[view]}, not ${partition}`);
  return p;
}

/** Normalises a key prefix: '' or 'some/path/' (always ending in '/'). */
export function normalizePrefix(prefix: string): string {
  if (prefix === '') return '';
  const p = prefix.replace(/^\/+/, '');
  return p.endsWith('/') ? p : `${p}/`;
}

export function catalogHeadKey(prefix: string): string {
  return `${normalizePrefix(prefix)}catalog/HEAD.json`;
}

export function snapshotsPrefix(prefix: string): string {
  return `${normalizePrefix(prefix)}catalog/snapshots/`;
}

const TOKEN_RE = /^[a-z0-9]{1,32}$/;

/** Key of snapshot `seq` written by one publish attempt (`token` makes concurrent attempts distinct). */
export function snapshotKey(prefix: string, seq: number, token: string): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`bad snapshot seq ${seq}`);
  if (!TOKEN_RE.test(token)) throw new RangeError(`bad snapshot token ${JSON.stringify(token)}`);
  return `${snapshotsPrefix(prefix)}${String(seq).padStart(12, '0')}-${token}.json`;
}

export function viewsPrefix(prefix: string): string {
  return `${normalizePrefix(prefix)}views/`;
}

export function viewPartitionPrefix(prefix: string, view: ViewName, partition: PartitionId): string {
  assertViewPartition(view, partition);
  return `${viewsPrefix(prefix)}${view}/${partition}/`;
}

const BUILD_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isBuildId(s: string): boolean {
  return BUILD_ID_RE.test(s);
}

/**
 * Key of one data file: the build id (unique per publish attempt) plus the first 16 hex digits of the
 * file's SHA-256, `index` keeping several files of one partition apart.
 */
export function dataFileKey(
  prefix: string,
  view: ViewName,
  partition: PartitionId,
  buildId: string,
  index: number,
  sha256: string,
): string {
  if (!isBuildId(buildId)) throw new RangeError(`bad build id ${JSON.stringify(buildId)}`);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError('sha256 must be 64 lowercase hex digits');
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad file index ${index}`);
  return `${viewPartitionPrefix(prefix, view, partition)}${buildId}-${String(index).padStart(3, '0')}-${sha256.slice(0, 16)}.parquet`;
}

/** Version id of the change committed as snapshot `seq` ('v42'); matches the restatement notice pattern. */
export function versionOf(seq: number): string {
  return `v${seq}`;
}
