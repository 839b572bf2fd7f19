import { describe, expect, it } from 'vitest';
import { Q_A, Q_X, R_FUTURE, R_MISALIGNED, R_MISSING, R_NONE } from '../../src/vee/codes.ts';
import { createVeeDay } from '../../src/vee/model.ts';
import { placeReads } from '../../src/vee/validate-alignment.ts';
import { FALL, FAR_FUTURE, WEDNESDAY, layoutOf, readsOf, slotStart } from './support.ts';

const opts = { nowMs: FAR_FUTURE, checkAlignment: true, checkFuture: true };

function withStarts(starts: number[], whs: number[]) {
  const r = readsOf(WEDNESDAY, []);
  return {
    ...r,
    startMs: Float64Array.from(starts),
    wh: Int32Array.from(whs),
    deliveredWh: Int32Array.from(whs),
    receivedWh: new Int32Array(whs.length),
    estimatedFlag: new Uint8Array(whs.length),
  };
}

describe('placeReads (alignment, future timestamps)', () => {
  it('places aligned reads as actuals and leaves the rest missing', () => {
    const day = createVeeDay('M1', layoutOf(WEDNESDAY));
    const res = placeReads(day, readsOf(WEDNESDAY, [100, null, 300]), opts);
    expect(res.placed).toBe(2);
    expect([day.quality[0], day.quality[1], day.quality[2]]).toEqual([Q_A, Q_X, Q_A]);
    expect([day.reason[0], day.reason[1]]).toEqual([R_NONE, R_MISSING]);
    expect(day.wh[2]).toBe(300);
    expect(day.hasOriginal[1]).toBe(0);
  });

  it('a misaligned read becomes the original of the slot containing it, the slot a gap', () => {
    const day = createVeeDay('M1', layoutOf(WEDNESDAY));
    const res = placeReads(day, withStarts([slotStart(WEDNESDAY, 5) + 60_000], [777]), opts);
    expect(res.misaligned).toBe(1);
    expect(day.quality[5]).toBe(Q_X);
    expect(day.reason[5]).toBe(R_MISALIGNED);
    expect(day.originalWh[5]).toBe(777);
    expect(day.hasOriginal[5]).toBe(1);
    expect(day.wh[5]).toBe(0);
  });

  it('an aligned read wins over a misaligned one in either order', () => {
    for (const order of [0, 1]) {
      const starts = [slotStart(WEDNESDAY, 5), slotStart(WEDNESDAY, 5) + 1];
      const whs = [100, 999];
      if (order === 1) {
        starts.reverse();
        whs.reverse();
      }
      const day = createVeeDay('M1', layoutOf(WEDNESDAY));
      placeReads(day, withStarts(starts, whs), opts);
      expect(day.quality[5]).toBe(Q_A);
      expect(day.wh[5]).toBe(100);
      expect(day.originalWh[5]).toBe(100);
    }
  });

  it('with the alignment rule off, a misaligned read counts for its slot', () => {
    const day = createVeeDay('M1', layoutOf(WEDNESDAY));
    placeReads(day, withStarts([slotStart(WEDNESDAY, 5) + 1], [42]), { ...opts, checkAlignment: false });
    expect(day.quality[5]).toBe(Q_A);
    expect(day.wh[5]).toBe(42);
  });

  it('a read whose interval has not ended at now is FUTURE_TIMESTAMP (boundary exact)', () => {
    const now = slotStart(WEDNESDAY, 10); // slot 9 ends exactly at now
    const day = createVeeDay('M1', layoutOf(WEDNESDAY));
    const res = placeReads(day, readsOf(WEDNESDAY, [1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 6]), {
      ...opts,
      nowMs: now,
    });
    expect(day.quality[9]).toBe(Q_A);
    expect(day.quality[10]).toBe(Q_X);
    expect(day.reason[10]).toBe(R_FUTURE);
    expect(day.originalWh[10]).toBe(6);
    expect(res.future).toBe(1);
  });

  it('duplicates keep the larger value and raise an issue; reads outside the day are counted', () => {
    const s = slotStart(WEDNESDAY, 3);
    const day = createVeeDay('M1', layoutOf(WEDNESDAY));
    const res = placeReads(day, withStarts([s, s, slotStart(WEDNESDAY, 96)], [10, 20, 5]), opts);
    expect(day.wh[3]).toBe(20);
    expect(res.duplicates).toBe(1);
    expect(res.outside).toBe(1);
    expect(day.issues.map((i) => i.code)).toEqual(['DUPLICATE_READ', 'READ_OUTSIDE_DAY']);
  });

  it('places all 100 slots of the fall-back day', () => {
    const day = createVeeDay('M1', layoutOf(FALL));
    const res = placeReads(day, readsOf(FALL, new Array<number>(100).fill(7)), opts);
    expect(res.placed).toBe(100);
    expect(res.outside).toBe(0);
  });
});
