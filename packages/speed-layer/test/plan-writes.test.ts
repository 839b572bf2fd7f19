/**
 * What the realtime view's writer sends Redis (plan-writes.ts): only the bytes that changed — a new
 * meter-day whole, a later slot of a held day 15 bytes, a correction that moves a meter to another
 * transformer a negative delta there — and one write per grid-day per chunk however many reads
 * touch it.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyRead } from '../src/realtime-view/apply-args.ts';
import {
  GRID_RECORD_BYTES,
  HEADER_BYTES,
  SLOT_BYTES,
  decodeGridDay,
  decodeMeterDay,
} from '../src/realtime-view/layout.ts';
import {
  ABSENT,
  EFFECT_INSERTED,
  EFFECT_REPLACED,
  EFFECT_UNCHANGED,
  planGridWrites,
  planMeterDays,
} from '../src/realtime-view/plan-writes.ts';

const DATE = '2026-03-10';

function read(meter: string, slot: number, wh: number, over: Partial<ApplyRead> = {}): ApplyRead {
  return {
    offset: '1',
    meterDayKey: `{rv:0}:m:${meter}:${DATE}`,
    date: DATE,
    daySlots: 96,
    dayPhase: 0,
    slot,
    readDelayMs: 900_000,
    wh,
    voltageCv: 23_000,
    estimated: 0,
    digestPrefix: 7,
    attribution: 'TR-1|FD-1|SS-1|R-1',
    ...over,
  };
}

/** A store of values, as the writer's cache: starts empty, takes the new values of each plan. */
function store() {
  const values = new Map<string, Buffer>();
  return {
    get: (k: string) => values.get(k) ?? ABSENT,
    apply(reads: ApplyRead[]) {
      const days = planMeterDays(reads, (k) => values.get(k) ?? ABSENT, 'rv', 0);
      const grid = planGridWrites(days.grid, (k) => values.get(k) ?? ABSENT);
      for (const [k, v] of [...days.commit(), ...grid.commit()]) values.set(k, v);
      return { days, grid };
    },
  };
}

describe('planMeterDays / planGridWrites', () => {
  it('writes a new meter-day whole, then only the 15 bytes of a later slot', () => {
    const s = store();
    const first = s.apply([read('M-1', 0, 100)]);
    expect(first.days.writes).toHaveLength(1);
    expect(first.days.writes[0]).toMatchObject({ offset: 0, created: true });
    // the whole day plus its one attribution entry
    expect(first.days.writes[0]!.bytes.length).toBe(
      HEADER_BYTES + 96 * SLOT_BYTES + 1 + 'TR-1|FD-1|SS-1|R-1'.length,
    );
    const second = s.apply([read('M-1', 5, 200)]);
    expect(second.days.writes).toEqual([
      expect.objectContaining({ offset: HEADER_BYTES + 5 * SLOT_BYTES, created: false }),
    ]);
    expect(second.days.writes[0]!.bytes.length).toBe(SLOT_BYTES);
    const day = decodeMeterDay(s.get(`{rv:0}:m:M-1:${DATE}`));
    expect(day.dailyWh).toBe(300);
  });

  it('keeps the latest version, ignores an older or identical one, and writes nothing for it', () => {
    const s = store();
    s.apply([read('M-1', 3, 100, { readDelayMs: 1_000_000 })]);
    const older = s.apply([
      read('M-1', 3, 999, { readDelayMs: 999_999 }),
      read('M-1', 3, 100, { readDelayMs: 1_000_000 }),
    ]);
    expect([...older.days.effects]).toEqual([EFFECT_UNCHANGED, EFFECT_UNCHANGED]);
    expect(older.days.writes).toEqual([]);
    expect(older.grid.writes).toEqual([]);
    const newer = s.apply([read('M-1', 3, 150, { readDelayMs: 1_000_001 })]);
    expect([...newer.days.effects]).toEqual([EFFECT_REPLACED]);
    expect(decodeGridDay(s.get(`{rv:0}:g:t:TR-1:${DATE}`))[3]).toMatchObject({
      energyWh: 150,
      metersReported: 1,
    });
  });

  it('moves a corrected read to its new transformer: minus there, plus here, meters reported follow', () => {
    const s = store();
    s.apply([read('M-1', 10, 400), read('M-2', 10, 100)]);
    const moved = s.apply([
      read('M-1', 10, 450, { readDelayMs: 2_000_000, attribution: 'TR-2|FD-1|SS-1|R-1' }),
    ]);
    expect([...moved.days.effects]).toEqual([EFFECT_REPLACED]);
    expect(decodeGridDay(s.get(`{rv:0}:g:t:TR-1:${DATE}`))[10]).toMatchObject({
      energyWh: 100,
      metersReported: 1,
    });
    expect(decodeGridDay(s.get(`{rv:0}:g:t:TR-2:${DATE}`))[10]).toMatchObject({
      energyWh: 450,
      metersReported: 1,
    });
    expect(decodeGridDay(s.get(`{rv:0}:g:f:FD-1:${DATE}`))[10]).toMatchObject({
      energyWh: 550,
      metersReported: 2,
    });
  });

  it('writes each grid-day once per chunk: 500 reads of one window cost one write per level', () => {
    const s = store();
    s.apply([read('M-0', 20, 1)]);
    const reads = Array.from({ length: 500 }, (_, i) => read(`M-${i + 1}`, 20, 10));
    const { days, grid } = s.apply(reads);
    expect([...days.effects].every((e) => e === EFFECT_INSERTED)).toBe(true);
    expect(grid.writes).toHaveLength(4);
    for (const w of grid.writes) {
      expect(w).toMatchObject({ offset: 20 * GRID_RECORD_BYTES, created: false });
      expect(w.bytes.length).toBe(GRID_RECORD_BYTES);
    }
    expect(decodeGridDay(s.get(`{rv:0}:g:r:R-1:${DATE}`))[20]).toMatchObject({
      energyWh: 5001,
      metersReported: 501,
    });
  });
});
