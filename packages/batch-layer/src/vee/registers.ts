/**
 * Deltas of the boundary DAILY register reads of a day: delivered and received energy between the
 * snapshot at the day's first instant and the one at the next day's first instant, and the net
 * (delivered − received) that the day's intervals must sum to. A register that went backwards makes
 * the deltas unusable (REGISTER_DECREASED).
 */
import type { DayRegisters } from './model.ts';

export type RegisterDeltas =
  | {
      readonly status: 'ok';
      readonly deliveredWh: number;
      readonly receivedWh: number;
      readonly netWh: number;
    }
  | { readonly status: 'absent' }
  | { readonly status: 'decreased'; readonly detail: string };

export function registerDeltas(r: DayRegisters | null): RegisterDeltas {
  if (
    r === null ||
    r.startDeliveredWh === null ||
    r.endDeliveredWh === null ||
    r.startReceivedWh === null ||
    r.endReceivedWh === null
  ) {
    return { status: 'absent' };
  }
  const d = r.endDeliveredWh - r.startDeliveredWh;
  const rc = r.endReceivedWh - r.startReceivedWh;
  if (d < 0 || rc < 0) {
    return {
      status: 'decreased',
      detail: `register went backwards over the day (delivered ${d} Wh, received ${rc} Wh)`,
    };
  }
  return { status: 'ok', deliveredWh: d, receivedWh: rc, netWh: d - rc };
}
