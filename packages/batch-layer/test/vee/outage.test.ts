import { describe, expect, it } from 'vitest';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { M_OUTAGE_FILL, Q_A, Q_O, Q_X } from '../../src/vee/codes.ts';
import { fillOutages } from '../../src/vee/estimate-outage.ts';
import { outageMask, outageSpans } from '../../src/vee/outage.ts';
import { FALL, WEDNESDAY, layoutOf, placedDay, slotStart, values } from './support.ts';

const GASP = 3840;
const RESTORE = 3843;
const codes = defaultEventCodeTable;
const slotsOf = (m: Uint8Array | null) => (m === null ? [] : [...m.keys()].filter((i) => m[i] === 1));

describe('outageSpans', () => {
  it('pairs gasps with restores in time order, ignoring repeats and unmatched restores', () => {
    const spans = outageSpans(
      [
        { code: RESTORE, tsMs: 50 },
        { code: GASP, tsMs: 200 },
        { code: RESTORE, tsMs: 100 },
        { code: GASP, tsMs: 150 },
        { code: 2048, tsMs: 160 },
        { code: RESTORE, tsMs: 300 },
        { code: GASP, tsMs: 400 },
      ],
      codes,
    );
    expect(spans).toEqual([
      { startMs: 150, endMs: 300 },
      { startMs: 400, endMs: Infinity },
    ]);
  });
  it('a gasp and restore at the same instant make no span', () => {
    expect(
      outageSpans(
        [
          { code: RESTORE, tsMs: 5 },
          { code: GASP, tsMs: 5 },
        ],
        codes,
      ),
    ).toEqual([]);
  });
});

describe('outageMask', () => {
  const L = layoutOf(WEDNESDAY);
  it('span edges on slot boundaries: [gasp, restore) covers exactly the slots inside', () => {
    const m = outageMask(
      L,
      [
        { code: GASP, tsMs: slotStart(WEDNESDAY, 4) },
        { code: RESTORE, tsMs: slotStart(WEDNESDAY, 8) },
      ],
      codes,
    );
    expect(slotsOf(m)).toEqual([4, 5, 6, 7]);
  });
  it('a slot partly in the span is in it (gasp mid-slot, restore one second into a slot)', () => {
    const m = outageMask(
      L,
      [
        { code: GASP, tsMs: slotStart(WEDNESDAY, 4) + 7 * 60_000 },
        { code: RESTORE, tsMs: slotStart(WEDNESDAY, 8) + 1000 },
      ],
      codes,
    );
    expect(slotsOf(m)).toEqual([4, 5, 6, 7, 8]);
  });
  it('an outage open since yesterday covers the day until restore; one never restored to the end', () => {
    const m = outageMask(
      L,
      [
        { code: GASP, tsMs: L.firstSlotMs - 3_600_000 },
        { code: RESTORE, tsMs: slotStart(WEDNESDAY, 2) },
      ],
      codes,
    );
    expect(slotsOf(m)).toEqual([0, 1]);
    const open = outageMask(layoutOf(FALL), [{ code: GASP, tsMs: slotStart(FALL, 97) }], codes);
    expect(slotsOf(open)).toEqual([97, 98, 99]);
  });
  it('null without outage slots', () => {
    expect(outageMask(L, [], codes)).toBeNull();
    expect(outageMask(L, [{ code: GASP, tsMs: L.endMs }], codes)).toBeNull();
  });
});

describe('fillOutages', () => {
  it('fills gaps in the span with 0 / O / OUTAGE_FILL and keeps actuals', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i >= 4 && i < 8 && i !== 6 ? null : 300)),
    );
    const mask = new Uint8Array(96).fill(1, 4, 8);
    expect(fillOutages(day, mask, 96)).toBe(3);
    expect(day.quality[4]).toBe(Q_O);
    expect(day.method[4]).toBe(M_OUTAGE_FILL);
    expect(day.wh[4]).toBe(0);
    expect(day.quality[6]).toBe(Q_A);
    expect(day.wh[6]).toBe(300);
  });
  it('does not fill beyond the limit (slots not yet due)', () => {
    const day = placedDay(WEDNESDAY, []);
    expect(fillOutages(day, new Uint8Array(96).fill(1), 10)).toBe(10);
    expect(day.quality[10]).toBe(Q_X);
  });
});
