/**
 * Kafka's default partitioner for keyed messages (murmur2 of the key bytes, positive, modulo the
 * partition count), as the Java client and kafkajs compute it, so every producer of this platform
 * puts a meter on the same partition.
 */

export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = (0x9747b28c ^ len) | 0;
  const len4 = len & ~3;
  for (let i = 0; i < len4; i += 4) {
    let k =
      (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = len & 3;
  if (rest === 3) h ^= (data[len4 + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (data[len4 + 1] ?? 0) << 8;
  if (rest >= 1) {
    h ^= data[len4] ?? 0;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of `key` among `partitions` (Kafka's toPositive(murmur2(key)) % partitions). */
export function partitionOf(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}
