/**
 * Outage spans from meter events: an opening code (POWER_OUTAGE, last gasp) starts a span, a
 * clearing code (POWER_RESTORED) ends it; [gasp, restore) is half-open. Events are taken in time
 * order (at equal times openings first); an opening while a span is open and a clearing with none
 * open are ignored; a span still open at the end runs past the day. A slot is in an outage when any
 * part of it lies inside a span (slotStart < restore and slotStart + 15 min > gasp).
 */
import { INTERVAL_MS } from '@ami/shared/time';
import type { DayLayout } from './day-layout.ts';
import type { MeterEvent, OutageCodes } from './model.ts';

export interface OutageSpan {
  readonly startMs: number;
  /** Infinity while not restored. */
  readonly endMs: number;
}

export function outageSpans(events: readonly MeterEvent[], codes: OutageCodes): OutageSpan[] {
  const relevant: { ts: number; open: boolean }[] = [];
  for (const e of events) {
    if (codes.outageOpening.has(e.code)) relevant.push({ ts: e.tsMs, open: true });
    else if (codes.outageClearing.has(e.code)) relevant.push({ ts: e.tsMs, open: false });
  }
  relevant.sort((a, b) => a.ts - b.ts || (a.open === b.open ? 0 : a.open ? -1 : 1));
  const spans: OutageSpan[] = [];
  let openAt: number | null = null;
  for (const e of relevant) {
    if (e.open) {
      if (openAt === null) openAt = e.ts;
    } else if (openAt !== null) {
      if (e.ts > openAt) spans.push({ startMs: openAt, endMs: e.ts });
      openAt = null;
    }
  }
  if (openAt !== null) spans.push({ startMs: openAt, endMs: Infinity });
  return spans;
}

/** Per-slot mask (1 = in an outage) for the day, or null when no slot is (the common case). */
export function outageMask(
  layout: DayLayout,
  events: readonly MeterEvent[],
  codes: OutageCodes,
): Uint8Array | null {
  if (events.length === 0) return null;
  const spans = outageSpans(events, codes);
  let mask: Uint8Array | null = null;
  for (const s of spans) {
    // first slot with slotEnd > start; last slot with slotStart < end
    const first = Math.max(0, Math.floor((s.startMs - layout.firstSlotMs) / INTERVAL_MS));
    const last = Math.min(layout.slots - 1, Math.ceil((s.endMs - layout.firstSlotMs) / INTERVAL_MS) - 1);
    if (first > last) continue;
    mask ??= new Uint8Array(layout.slots);
    mask.fill(1, first, last + 1);
  }
  return mask;
}
