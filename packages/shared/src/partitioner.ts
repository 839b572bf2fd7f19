/**
 * Which Kafka partition a meter's messages land on: the Java client's default partitioner (murmur2
 * of the key's UTF-8 bytes, positive part `& 0x7fffffff` modulo the partition count; also
 * librdkafka's `murmur2_random` and @platformatic/kafka's `compatibilityPartitioner`, which every
 * producer of the platform uses), so the serving layer can find the realtime-view keys of a meter
 * (they carry the partition's hash tag). @platformatic/kafka's `defaultPartitioner` (`>>> 0`)
 * places about half the keys elsewhere.
 */

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

/** The partition the Java client's default partitioner assigns to a message with this key. */
export function partitionForKey(key: string | Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer: ${numPartitions}`);
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % numPartitions;
}

/** The reads-topic partition of a meter (messages are keyed by meter_id, SPEC 3.1). */
export function partitionOfMeter(meterId: string, numPartitions: number): number {
  return partitionForKey(meterId, numPartitions);
}
