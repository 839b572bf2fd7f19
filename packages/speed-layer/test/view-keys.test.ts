import { describe, expect, it } from 'vitest';
import { daysKey, fenceKey, gridDayKey, meterDayKey } from '../src/realtime-view/keys.ts';
import { isFenceKey, realtimeViewPartition } from '../src/realtime-view/view-keys.ts';

describe('realtime-view keys', () => {
  it('recognises every key of the prefix with its partition, and the fences among them', () => {
    const keys = [
      fenceKey('rv', 3),
      daysKey('rv', 3),
      meterDayKey('rv', 12, 'MTR-00000001', '2026-11-17'),
      gridDayKey('rv', 0, 'transformer', 'TX-00001', '2026-11-17'),
    ];
    expect(keys.map((k) => realtimeViewPartition('rv', k))).toEqual([3, 3, 12, 0]);
    expect(keys.map((k) => isFenceKey('rv', k))).toEqual([true, false, false, false]);
  });

  it('leaves keys of other prefixes and other key shapes alone', () => {
    for (const key of [
      fenceKey('rv2', 0),
      fenceKey('r', 0),
      '{rv}:active',
      '{rv:x}:fence',
      '{rv:1}',
      'rv:1:fence',
      'batch:{dirty-days}',
    ])
      expect(realtimeViewPartition('rv', key), key).toBeNull();
    expect(isFenceKey('rv', '{rv:1}:fence:x')).toBe(false);
  });
});
