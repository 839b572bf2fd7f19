/**
 * Which Kafka partition a meter's messages land on. Reads are keyed by meter_id (SPEC 3.1), but the
 * partition a key lands on is chosen by the head-end's producer, and Kafka clients disagree on it;
 * AMI_KAFKA_PARTITIONER names the rule the head-end's producer uses (ADR 0011):
 *
 * - `murmur2` (default): murmur2 of the key's bytes, positive part `& 0x7fffffff`, modulo the
 *   partition count — the Java client's default, librdkafka's `murmur2` / `murmur2_random`,
 *   @platformatic/kafka's `compatibilityPartitioner` (the platform's own producers);
 * - `crc32`: CRC-32 (IEEE, zlib's) of the key's bytes, unsigned, modulo the count — librdkafka's
 *   `consistent` and its default `consistent_random` (so kcat, confluent-kafka-python/-go/-dotnet
 *   on their defaults);
 * - `fnv1a`: 32-bit FNV-1a of the key's bytes, as a signed integer made positive by negation,
 *   modulo the count — librdkafka's `fnv1a` / `fnv1a_random`, Sarama's default NewHashPartitioner.
 *
 * The rules differ only for null or empty keys (random or a fixed partition), which no valid read
 * has. The speed layer files a meter's realtime view under its partition's keys, the serving layer
 * finds them with the same rule, and the simulator places its messages by it.
 * @platformatic/kafka's `defaultPartitioner` (murmur2 `>>> 0`) is none of these: it places about
 * half the keys elsewhere.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** The head-end producer partitioners the platform can follow (AMI_KAFKA_PARTITIONER). */
export const PARTITIONERS = ['murmur2', 'crc32', 'fnv1a'] as const;
export type Partitioner = (typeof PARTITIONERS)[number];
/** AMI_KAFKA_PARTITIONER's default: the Java client's rule. */
export const DEFAULT_PARTITIONER: Partitioner = 'murmur2';

/** librdkafka's `partitioner` values that hash the key, and the rule each is (`random` is none). */
export const LIBRDKAFKA_PARTITIONERS: Readonly<Record<string, Partitioner>> = {
  murmur2: 'murmur2',
  murmur2_random: 'murmur2',
  consistent: 'crc32',
  consistent_random: 'crc32',
  fnv1a: 'fnv1a',
  fnv1a_random: 'fnv1a',
};

/** Parses AMI_KAFKA_PARTITIONER; a librdkafka name is refused with the value to use instead. */
export function parsePartitioner(raw: string): Partitioner {
  const name = raw.trim();
  if ((PARTITIONERS as readonly string[]).includes(name)) return name as Partitioner;
  const allowed = `must be one of ${PARTITIONERS.join(', ')}`;
  const rule = Object.hasOwn(LIBRDKAFKA_PARTITIONERS, name) ? LIBRDKAFKA_PARTITIONERS[name] : undefined;
  throw new Error(rule === undefined ? allowed : `${allowed} (librdkafka's ${name} is ${rule})`);
}

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (Java client `Utils.murmur2`) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length % 4;
  if (rest === 3) h ^= (data[whole + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (data[whole + 1] ?? 0) << 8;
  if (rest >= 1) {
    h ^= data[whole] ?? 0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * CRC-32 (IEEE 802.3, zlib's `crc32`; librdkafka's `rd_crc32`) of `data` (a string: of its UTF-8
 * bytes), unsigned.
 */
export function crc32(data: string | Uint8Array): number {
  return zlibCrc32(data);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * librdkafka's `rd_fnv1a`: 32-bit FNV-1a of `data` read as a signed integer and made positive by
 * negation (Sarama's NewHashPartitioner; 2^31 for −2^31), so 0 … 2^31.
 */
export function fnv1a(data: Uint8Array): number {
  let h = FNV_OFFSET | 0;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ (data[i] ?? 0), FNV_PRIME);
  return h < 0 ? -h : h;
}

function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/**
 * The non-negative number each rule takes modulo the partition count (zlib's crc32 encodes a
 * string key itself, which saves the Buffer).
 */
const PLACEMENT_HASH: Readonly<Record<Partitioner, (key: string | Uint8Array) => number>> = {
  murmur2: (key) => murmur2(keyBytes(key)) & 0x7fffffff,
  crc32,
  fnv1a: (key) => fnv1a(keyBytes(key)),
};

/** The partition `partitioner` assigns to a message with this (non-empty) key. */
export function partitionForKey(
  key: string | Uint8Array,
  numPartitions: number,
  partitioner: Partitioner = DEFAULT_PARTITIONER,
): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer: ${numPartitions}`);
  }
  return PLACEMENT_HASH[partitioner](key) % numPartitions;
}

/** The reads-topic partition of a meter (messages are keyed by meter_id, SPEC 3.1). */
export function partitionOfMeter(
  meterId: string,
  numPartitions: number,
  partitioner: Partitioner = DEFAULT_PARTITIONER,
): number {
  return partitionForKey(meterId, numPartitions, partitioner);
}

/** The partitioners that would place `key` on `partition` (for telling why a read was misplaced). */
export function partitionersPlacing(
  key: string | Uint8Array,
  numPartitions: number,
  partition: number,
): Partitioner[] {
  return PARTITIONERS.filter((p) => partitionForKey(key, numPartitions, p) === partition);
}
