import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compatibilityPartitioner, defaultPartitioner } from '@platformatic/kafka';
import {
  PARTITIONERS,
  crc32,
  fnv1a,
  murmur2,
  partitionForKey,
  partitionOfMeter,
  partitionersPlacing,
} from '../src/partitioner.ts';

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

/**
 * librdkafka's own expectations (tests/0048-partitioner.c, `do_test_partitioners`): for each key,
 * the number each builtin partitioner takes modulo the partition count (7 quick, 17 full):
 * `consistent` / `consistent_random` CRC-32, `murmur2` / `murmur2_random` murmur2 & 0x7fffffff,
 * `fnv1a` / `fnv1a_random` FNV-1a made positive. Keys with no expectation there (null, and the
 * empty key of the *_random rules) are random: no valid read has them.
 */
const LIBRDKAFKA_VECTORS: readonly { key: string; crc32: number; murmur2: number; fnv1a: number }[] = [
  { key: '', crc32: 0x0, murmur2: 0x106e08d9, fnv1a: 0x7ee3623b },
  { key: '23456', crc32: 0xb1b451d7, murmur2: 0x058d780f, fnv1a: 0x27e6f469 },
  {
    key: 'this is another string with more length to it perhaps',
    crc32: 0xb0150df7,
    murmur2: 0x4f7703da,
    fnv1a: 0x155e3e5f,
  },
  { key: 'hejsan', crc32: 0xd077037e, murmur2: 0x5ec19395, fnv1a: 0x17b1e27a },
];

/** librdkafka's rdfnv1a.c unit test (Go's hash/fnv New32a, made positive as Sarama does). */
const FNV1A_VECTORS: readonly [string, number][] = [
  ['kafka', 0xd33c4e1],
  ['giberish123456789', 0x77a58295],
  ['1234', 0x23bdd03],
  ['234', 0x2dea3cd2],
  ['34', 0x740fa83e],
  ['4', 0x310ca263],
  ['PreAmbleWillBeRemoved,ThePrePartThatIs', 0x65cbd69c],
  ['reAmbleWillBeRemoved,ThePrePartThatIs', 0x6e49c79a],
  ['eAmbleWillBeRemoved,ThePrePartThatIs', 0x69eed356],
  ['AmbleWillBeRemoved,ThePrePartThatIs', 0x6abcc023],
  ['', 0x7ee3623b],
];

/** CRC-32 by its bitwise definition (reflected polynomial 0xEDB88320), to check zlib's against. */
function crc32Bitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('partitioners of other clients (AMI_KAFKA_PARTITIONER)', () => {
  it("places keys where librdkafka's consistent, murmur2 and fnv1a partitioners do (its test 0048)", () => {
    for (const v of LIBRDKAFKA_VECTORS) {
      for (const n of [7, 17, 6, 1]) {
        expect(partitionForKey(v.key, n, 'crc32')).toBe(v.crc32 % n);
        expect(partitionForKey(v.key, n, 'murmur2')).toBe(v.murmur2 % n);
        expect(partitionForKey(v.key, n, 'fnv1a')).toBe(v.fnv1a % n);
      }
    }
  });

  it('crc32 is CRC-32/IEEE (check value of "123456789", and the bitwise definition for any key)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (key) => {
        const bytes = Buffer.from(key, 'utf8');
        expect(crc32(bytes)).toBe(crc32Bitwise(bytes));
        expect(crc32(key)).toBe(crc32Bitwise(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it("fnv1a matches librdkafka's rd_fnv1a (Sarama's NewHashPartitioner) vectors", () => {
    for (const [key, hash] of FNV1A_VECTORS) expect(fnv1a(Buffer.from(key))).toBe(hash);
  });

  it('fnv1a is Sarama’s rule: FNV-1a as int32 modulo the count, negated when negative', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const bytes = Buffer.from(key, 'utf8');
        let h = 0x811c9dc5;
        for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
        const sarama = Math.abs((h | 0) % n);
        expect(partitionForKey(bytes, n, 'fnv1a')).toBe(sarama);
      }),
      { numRuns: 1000 },
    );
  });

  it('string and byte keys place alike, in range, under every partitioner', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        for (const p of PARTITIONERS) {
          const part = partitionForKey(key, n, p);
          expect(part).toBe(partitionForKey(Buffer.from(key, 'utf8'), n, p));
          expect(part).toBeGreaterThanOrEqual(0);
          expect(part).toBeLessThan(n);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the default is murmur2, and crc32 places most meters elsewhere (the head-end report of #17)', () => {
    const meters = Array.from({ length: 600 }, (_, i) => `MTR-${String(i + 1).padStart(6, '0')}`);
    for (const m of meters) expect(partitionOfMeter(m, 6)).toBe(partitionOfMeter(m, 6, 'murmur2'));
    const moved = meters.filter((m) => partitionOfMeter(m, 6, 'crc32') !== partitionOfMeter(m, 6));
    // independent hashes agree on 1 key in 6
    expect(moved.length).toBeGreaterThan(400);
  });

  it('partitionersPlacing names exactly the partitioners that put a key on a partition', () => {
    for (const n of [3, 6]) {
      for (let p = 0; p < n; p++) {
        const fits = partitionersPlacing('MTR-000042', n, p);
        for (const name of PARTITIONERS)
          expect(fits.includes(name)).toBe(partitionOfMeter('MTR-000042', n, name) === p);
      }
    }
  });
});
