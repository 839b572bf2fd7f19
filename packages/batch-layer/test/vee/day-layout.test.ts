import { describe, expect, it } from 'vitest';
import { dayTypeOf } from '../../src/vee/day-layout.ts';
import { FALL, SPRING, WEDNESDAY, layoutOf } from './support.ts';

describe('dayLayout', () => {
  it('has 96 slots on a normal day with wall quarters 0…95', () => {
    const l = layoutOf(WEDNESDAY);
    expect(l.slots).toBe(96);
    expect(Array.from(l.wallQuarter)).toEqual(Array.from({ length: 96 }, (_, i) => i));
    expect(l.firstSlotMs).toBe(Date.parse('2025-03-11T23:00:00Z'));
  });

  it('spring forward: 92 slots, 02:00–02:45 skipped', () => {
    const l = layoutOf(SPRING);
    expect(l.slots).toBe(92);
    expect(l.wallQuarter[7]).toBe(7);
    expect(l.wallQuarter[8]).toBe(12); // 01:45 → 03:00
    for (let q = 8; q < 12; q++) expect(l.slotOfWallQuarter[q]).toBe(-1);
    expect(l.slotOfWallQuarter[95]).toBe(91);
  });

  it('fall back: 100 slots, 02:00–02:45 shown twice, first occurrence indexed', () => {
    const l = layoutOf(FALL);
    expect(l.slots).toBe(100);
    expect(Array.from(l.wallQuarter.subarray(8, 16))).toEqual([8, 9, 10, 11, 8, 9, 10, 11]);
    expect(l.slotOfWallQuarter[8]).toBe(8);
    expect(l.slotOfWallQuarter[12]).toBe(16);
    expect(l.slotOfWallQuarter[95]).toBe(99);
  });

  it('day type: weekend and holidays vs weekdays', () => {
    expect(dayTypeOf(WEDNESDAY)).toBe('weekday');
    expect(dayTypeOf('2025-03-15')).toBe('weekend');
    expect(dayTypeOf(WEDNESDAY, new Set([WEDNESDAY]))).toBe('weekend');
  });
});
