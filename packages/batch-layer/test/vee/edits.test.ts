import { describe, expect, it } from 'vitest';
import { M_EDIT, Q_M, R_MANUAL_EDIT } from '../../src/vee/codes.ts';
import { applyEdits } from '../../src/vee/edits.ts';
import type { ManualEdit } from '../../src/vee/model.ts';
import { WEDNESDAY, placedDay, slotStart, values } from './support.ts';

const edit = (over: Partial<ManualEdit>): ManualEdit => ({
  editId: 'e1',
  meterId: 'M1',
  intervalStartMs: slotStart(WEDNESDAY, 10),
  wh: 500,
  who: 'alice',
  atMs: 1000,
  reason: 'customer read',
  ...over,
});

describe('applyEdits', () => {
  it('sets class M / EDIT / MANUAL_EDIT and keeps the original', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, () => 100),
    );
    expect(applyEdits(day, [edit({})])).toBe(1);
    expect(day.wh[10]).toBe(500);
    expect(day.quality[10]).toBe(Q_M);
    expect(day.method[10]).toBe(M_EDIT);
    expect(day.reason[10]).toBe(R_MANUAL_EDIT);
    expect(day.originalWh[10]).toBe(100);
    expect(day.hasOriginal[10]).toBe(1);
    expect(day.appliedEdits).toEqual([
      { slot: 10, editId: 'e1', who: 'alice', atMs: 1000, reason: 'customer read' },
    ]);
  });

  it('latest `at` wins, then the greater edit id, whatever the input order', () => {
    const edits = [
      edit({ editId: 'a', atMs: 2000, wh: 1 }),
      edit({ editId: 'c', atMs: 1000, wh: 2 }),
      edit({ editId: 'b', atMs: 2000, wh: 3 }),
    ];
    for (const list of [edits, [...edits].reverse()]) {
      const day = placedDay(WEDNESDAY, []);
      applyEdits(day, list);
      expect(day.wh[10]).toBe(3);
      expect(day.appliedEdits[0]?.editId).toBe('b');
    }
  });

  it('edits a missing slot (no original)', () => {
    const day = placedDay(WEDNESDAY, []);
    applyEdits(day, [edit({})]);
    expect(day.quality[10]).toBe(Q_M);
    expect(day.hasOriginal[10]).toBe(0);
  });

  it('ignores other meters and other days; rejects misaligned or non-integer edits', () => {
    const day = placedDay(WEDNESDAY, []);
    const n = applyEdits(day, [
      edit({ meterId: 'M2' }),
      edit({ intervalStartMs: slotStart(WEDNESDAY, 96) }),
      edit({ editId: 'x', intervalStartMs: slotStart(WEDNESDAY, 3) + 1 }),
      edit({ editId: 'y', wh: 1.5 }),
    ]);
    expect(n).toBe(0);
    expect(day.issues.map((i) => i.code)).toEqual(['EDIT_REJECTED', 'EDIT_REJECTED']);
  });
});
