/**
 * Identity of a reading and the latest-wins rule (SPEC 3.2), one implementation for both layers.
 *
 * Identity: (meter_id, read_type, interval_start as an instant). Two messages with the same identity
 * are versions of one reading; the winner is the greatest under compareReadVersions:
 *   1. later read_ts wins (a correction);
 *   2. equal read_ts → larger consumption in integer Wh wins (SPEC: deterministic in both layers);
 *   3. still equal → the larger 64-bit digest of the version content wins, and if even the digests
 *      are equal, the larger content string. This last step is arbitrary but deterministic, so the
 *      order is total over version contents and every layer converges on the same winner.
 *
 * Version content = every field both layers use: identity, read_ts, the three energies in Wh,
 * estimated_flag, voltage_v, power_quality_code and the four topology ids. Two messages with the same
 * content are the same version (an identical duplicate changes nothing, whatever offset the
 * timestamps were written with or whatever sub-Wh digits the kWh values carried).
 *
 * readVersionKey packs the rule into one fixed-width string of READ_VERSION_KEY_LENGTH lower-case
 * hex digits whose plain byte order is compareReadVersions' order (exactly, except on a collision
 * of the 64-bit digest between two different contents with equal read_ts and consumption — odds
 * ≈ 2^-64 per such pair, where the key says "equal" and compareReadVersions still orders them):
 *   [13 hex: read_ts − MIN_INSTANT_MS][14 hex: consumptionWh + 2^52][16 hex: content digest]
 * Only [0-9a-f] is used, so byte order, C strcmp, DuckDB's VARCHAR comparison (max/arg_max) and a
 * glibc locale's collation (Redis Lua's `<` uses strcoll) all agree.
 *
 * The digest function (versionDigest) is part of the contract (READ_VERSION_KEY_FORMAT): changing it changes which
 * of two same-read_ts same-consumption versions wins, so it may only change with a format bump and
 * a rebuild of stored keys.
 */
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '../time/index.ts';
import type { ReadType } from './read.ts';

export const READ_VERSION_KEY_FORMAT = 1;
export const READ_VERSION_KEY_LENGTH = 43;

const TS_DIGITS = 13;
const WH_DIGITS = 14;
const WH_BIAS = 2 ** 52;

/** The fields that identify a reading. */
export interface ReadIdentity {
  readonly meter_id: string;
  readonly read_type: ReadType;
  readonly intervalStartMs: number;
}

/** The fields that make up a version of a reading (ValidRead has them all). */
export interface ReadVersion extends ReadIdentity {
  readonly readTsMs: number;
  readonly consumptionWh: number;
  readonly deliveredWh: number;
  readonly receivedWh: number;
  readonly estimated_flag: boolean;
  readonly voltage_v: number | null;
  readonly power_quality_code: number | null;
  readonly service_point_id: string;
  readonly customer_id: string;
  readonly transformer_id: string;
  readonly feeder_id: string;
}

/** 'meter_id|read_type|intervalStartMs' — equal strings ⇔ same reading (ids cannot contain '|'). */
export function readIdentityKey(read: ReadIdentity): string {
  return `${read.meter_id}|${read.read_type}|${read.intervalStartMs}`;
}

export function sameReadIdentity(a: ReadIdentity, b: ReadIdentity): boolean {
  return a.meter_id === b.meter_id && a.read_type === b.read_type && a.intervalStartMs === b.intervalStartMs;
}

/** Canonical text of a version's content (see module comment); equal text ⇔ same version. */
export function readVersionContent(r: ReadVersion): string {
  return (
    `${r.meter_id}|${r.read_type}|${r.intervalStartMs}|${r.readTsMs}|${r.consumptionWh}|${r.deliveredWh}|` +
    `${r.receivedWh}|${r.estimated_flag ? 1 : 0}|${r.voltage_v === null ? '-' : String(r.voltage_v)}|` +
    `${r.power_quality_code === null ? '-' : r.power_quality_code}|${r.service_point_id}|${r.customer_id}|` +
    `${r.transformer_id}|${r.feeder_id}`
  );
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

// Digest state: two 32-bit lanes, updated word by word (FNV-1a style; Murmur-style multiply and
// shift). Module-level because digests are computed synchronously and never nested.
let lane1 = 0;
let lane2 = 0;
const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

function word(x: number): void {
  lane1 = Math.imul(lane1 ^ x, 0x01000193);
  const m = Math.imul(lane2 ^ x, 0x5bd1e995);
  lane2 = m ^ (m >>> 15);
}

/** A safe integer as two 32-bit words (injective over safe integers). */
function integer(x: number): void {
  word(x >>> 0);
  word(Math.floor(x / 4_294_967_296) | 0);
}

function text(s: string): void {
  word(s.length);
  for (let i = 0; i < s.length; i++) word(s.charCodeAt(i));
}

/**
 * 64-bit digest of a version's content as 16 hex digits (format 1). It hashes the same fields as
 * readVersionContent, word by word without building the string: integers as two 32-bit words,
 * voltage as its IEEE-754 bits (−0 as +0, as String() does), strings as length then UTF-16 code
 * units, null as a distinct tag. Equal content ⇒ equal digest.
 */
export function versionDigest(r: ReadVersion): string {
  hashVersion(r);
  const a = fmix32(lane1);
  const b = fmix32(lane2 ^ a);
  return hex8(a) + hex8(b);
}

/**
 * The first 32 bits of versionDigest as a number (= parseInt(versionDigest(r).slice(0, 8), 16)),
 * without formatting the digest: what the speed layer keeps per interval slot.
 */
export function versionDigestPrefix(r: ReadVersion): number {
  hashVersion(r);
  return fmix32(lane1);
}

/** Feeds a version's content into the two lanes (see versionDigest). */
function hashVersion(r: ReadVersion): void {
  lane1 = 0x811c9dc5;
  lane2 = 0x9747b28c;
  text(r.meter_id);
  text(r.read_type);
  integer(r.intervalStartMs);
  integer(r.readTsMs);
  integer(r.consumptionWh);
  integer(r.deliveredWh);
  integer(r.receivedWh);
  word(r.estimated_flag ? 1 : 0);
  if (r.voltage_v === null) word(2);
  else {
    f64[0] = r.voltage_v === 0 ? 0 : r.voltage_v;
    word(3);
    word(f64Words[0] ?? 0);
    word(f64Words[1] ?? 0);
  }
  if (r.power_quality_code === null) word(2);
  else {
    word(3);
    integer(r.power_quality_code);
  }
  text(r.service_point_id);
  text(r.customer_id);
  text(r.transformer_id);
  text(r.feeder_id);
}

function checkKeyDomain(r: ReadVersion): void {
  if (!(Number.isInteger(r.readTsMs) && r.readTsMs >= MIN_INSTANT_MS && r.readTsMs < MAX_INSTANT_MS)) {
    throw new RangeError(`readTsMs out of range for a version key: ${r.readTsMs}`);
  }
  if (!(Number.isInteger(r.consumptionWh) && Math.abs(r.consumptionWh) < WH_BIAS)) {
    throw new RangeError(`consumptionWh out of range for a version key: ${r.consumptionWh}`);
  }
}

/**
 * Fixed-width key whose byte order equals compareReadVersions (see module comment).
 * Throws a RangeError for a read_ts outside years 0001–9999 or |consumptionWh| ≥ 2^52.
 */
export function readVersionKey(r: ReadVersion): string {
  checkKeyDomain(r);
  return (
    (r.readTsMs - MIN_INSTANT_MS).toString(16).padStart(TS_DIGITS, '0') +
    (r.consumptionWh + WH_BIAS).toString(16).padStart(WH_DIGITS, '0') +
    versionDigest(r)
  );
}

/**
 * Total order of versions: negative when `a` loses to `b`, positive when `a` wins, 0 only for the
 * same version content. Meaningful for versions of one reading; total over all reads regardless.
 */
export function compareReadVersions(a: ReadVersion, b: ReadVersion): number {
  if (a.readTsMs !== b.readTsMs) return a.readTsMs < b.readTsMs ? -1 : 1;
  if (a.consumptionWh !== b.consumptionWh) return a.consumptionWh < b.consumptionWh ? -1 : 1;
  const da = versionDigest(a);
  const db = versionDigest(b);
  if (da !== db) return da < db ? -1 : 1;
  const ca = readVersionContent(a);
  const cb = readVersionContent(b);
  return ca === cb ? 0 : ca < cb ? -1 : 1;
}

/**
 * The version to keep when `candidate` arrives and `current` is stored (undefined = nothing stored).
 * Returns `current` itself unless the candidate wins, so an identical duplicate changes nothing.
 */
export function pickLatest<T extends ReadVersion>(current: T | undefined, candidate: T): T {
  if (current === undefined) return candidate;
  return compareReadVersions(candidate, current) > 0 ? candidate : current;
}
