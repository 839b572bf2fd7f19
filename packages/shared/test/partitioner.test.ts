import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compatibilityPartitioner, defaultPartitioner } from '@platformatic/kafka';
import { murmur2, partitionForKey, partitionOfMeter } from '../src/partitioner.ts';

/** Java client `Utils.murmur2` test vectors (key, signed 32-bit hash). */
const JAVA_VECTORS: readonly [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

/**
 * The partition @platformatic/kafka's producer gives a keyed message with `partitioner`: the
 * partitioner returns a hash, the producer takes it modulo the partition count.
 */
function platformaticPartition(
  partitioner: typeof compatibilityPartitioner,
  key: string,
  numPartitions: number,
): number {
  const bytes = Buffer.from(key, 'utf8');
  return partitioner({ topic: 't', key: bytes, value: Buffer.from('v') }, bytes) % numPartitions;
}

describe('partitionForKey', () => {
  it("matches the Java client's murmur2 test vectors", () => {
    for (const [key, hash] of JAVA_VECTORS) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it("matches the Java client's partition (positive part of murmur2 modulo the count) on the vectors", () => {
    for (const [key, hash] of JAVA_VECTORS) {
      for (const n of [1, 3, 6, 7, 12, 64]) expect(partitionForKey(key, n)).toBe((hash & 0x7fffffff) % n);
    }
  });

  it("agrees with @platformatic/kafka's compatibilityPartitioner for any key and partition count", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        expect(partitionForKey(key, n)).toBe(platformaticPartition(compatibilityPartitioner, key, n));
      }),
      { numRuns: 2000 },
    );
  });

  it("differs from @platformatic/kafka's defaultPartitioner (murmur2 >>> 0) on keys with a negative hash", () => {
    // 2^32 and 2^31 differ by 2^31, so the two agree modulo a power of two and disagree otherwise.
    for (const [key, hash] of JAVA_VECTORS) {
      const same = platformaticPartition(defaultPartitioner, key, 6) === partitionForKey(key, 6);
      expect(same).toBe(hash >= 0);
      expect(platformaticPartition(defaultPartitioner, key, 8)).toBe(partitionForKey(key, 8));
    }
    const meters = Array.from({ length: 1000 }, (_, i) => `MTR-${String(i + 1).padStart(6, '0')}`);
    const moved = meters.filter(
      (m) => platformaticPartition(defaultPartitioner, m, 6) !== partitionOfMeter(m, 6),
    );
    expect(moved.length).toBeGreaterThan(300);
    expect(moved.length).toBeLessThan(700);
  });

  it('maps a meter to one partition in range and rejects a bad count', () => {
    const p = partitionOfMeter('MTR-000001', 6);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(6);
    expect(() => partitionForKey('x', 0)).toThrow(RangeError);
  });
});
