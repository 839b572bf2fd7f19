import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { murmur2, partitionForKey, partitionOfMeter } from '../src/partitioner.ts';

describe('partitionForKey', () => {
  it("matches the Java client's murmur2 test vectors", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it("agrees with kafkajs's default partitioner for any key and partition count", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const args: PartitionerArgs = {
          topic: 't',
          partitionMetadata: Array.from({ length: n }, (_, i) => ({
            partitionId: i,
            leader: 0,
            partitionErrorCode: 0,
            replicas: [0],
            isr: [0],
          })),
          message: { key, value: 'v' },
        };
        expect(partitionForKey(key, n)).toBe(partitioner(args));
      }),
      { numRuns: 2000 },
    );
  });

  it('maps a meter to one partition in range and rejects a bad count', () => {
    const p = partitionOfMeter('MTR-000001', 6);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(6);
    expect(() => partitionForKey('x', 0)).toThrow(RangeError);
  });
});
