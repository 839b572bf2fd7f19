/**
 * VEE editing: manual edits from the append-only, audited edit store applied to a meter-day. Per
 * slot the latest edit wins (greatest `atMs`, then greatest `editId`); the slot becomes class M,
 * method EDIT, reason MANUAL_EDIT, with the read's original value kept. Edits of other meters or
 * outside the day are ignored; an edit whose interval_start is not a slot start of the day or whose
 * value is not an integer Wh in the Int32 range is not applied (EDIT_REJECTED issue).
 */
import { INTERVAL_MS } from '@ami/shared/time';
import { M_EDIT, Q_M, R_MANUAL_EDIT } from './codes.ts';
import { addIssue, type ManualEdit, type VeeDay } from './model.ts';

const INT32_MAX = 2_147_483_647;

/** True when edit a supersedes edit b. */
export function editWins(a: ManualEdit, b: ManualEdit): boolean {
  return a.atMs !== b.atMs ? a.atMs > b.atMs : a.editId > b.editId;
}

/** Applies the winning edit of every slot; returns the number of slots edited. */
export function applyEdits(day: VeeDay, edits: readonly ManualEdit[]): number {
  if (edits.length === 0) return 0;
  const { firstSlotMs, endMs } = day.layout;
  const winners = new Map<number, ManualEdit>();
  for (const e of edits) {
    if (e.meterId !== day.meterId || !(e.intervalStartMs >= firstSlotMs && e.intervalStartMs < endMs))
      continue;
    const offset = e.intervalStartMs - firstSlotMs;
    if (offset % INTERVAL_MS !== 0) {
      addIssue(day, 'EDIT_REJECTED', `edit ${e.editId}: interval_start is not on a 15-minute boundary`);
      continue;
    }
    if (!Number.isInteger(e.wh) || e.wh > INT32_MAX || e.wh < -INT32_MAX) {
      addIssue(day, 'EDIT_REJECTED', `edit ${e.editId}: wh must be an integer within ±${INT32_MAX}`);
      continue;
    }
    const slot = offset / INTERVAL_MS;
    const cur = winners.get(slot);
    if (cur === undefined || editWins(e, cur)) winners.set(slot, e);
  }
  const slots = [...winners.keys()].sort((a, b) => a - b);
  for (const slot of slots) {
    const e = winners.get(slot)!;
    day.wh[slot] = e.wh;
    day.quality[slot] = Q_M;
    day.method[slot] = M_EDIT;
    day.reason[slot] = R_MANUAL_EDIT;
    day.appliedEdits.push({ slot, editId: e.editId, who: e.who, atMs: e.atMs, reason: e.reason });
  }
  return slots.length;
}
