import { describe, expect, it } from 'vitest';
import { checkMeterPartition } from '../../src/contracts/index.ts';
import { partitionOfMeter } from '../../src/partitioner.ts';

describe('checkMeterPartition', () => {
  it('passes a read on its meter’s partition only, for every partition count', () => {
    for (const n of [1, 3, 6, 12])
      for (let i = 0; i < 200; i++) {
        const meter = `MTR-${String(i).padStart(6, '0')}`;
        const passing = Array.from({ length: n }, (_, p) => p).filter(
          (p) => checkMeterPartition(meter, p, n) === undefined,
        );
        expect(passing).toEqual([partitionOfMeter(meter, n)]);
      }
  });

  it('says which partition the meter belongs on', () => {
    const owner = partitionOfMeter('MTR-000007', 3);
    const f = checkMeterPartition('MTR-000007', (owner + 1) % 3, 3);
    expect(f).toMatchObject({ ok: false, reason: 'WRONG_PARTITION', path: '/meter_id' });
    expect(f?.detail).toContain(`partition ${owner} of 3`);
  });
});
