/**
 * A meter's interval tail from the realtime view: the intervals with a read on the given local
 * dates, as UTC interval starts and Wh. Only dates the meter's partition (by the view's
 * partitioner, AMI_KAFKA_PARTITIONER) still holds are read.
 */
import { partitionOfMeter } from '@ami/shared/partitioner';
import { intervalStartsOfLocalDay } from '@ami/shared/time';
import { readMeterDay } from '../read-view.ts';
import { heldDates } from './held-days.ts';
import type { RealtimeViewOptions } from './options.ts';

/** One interval of a meter with a read in the realtime view. */
export interface MeterTailInterval {
  /** UTC start of the interval, epoch ms. */
  readonly startMs: number;
  readonly wh: number;
  /** The read carries estimated_flag: the head-end estimated the value. */
  readonly estimated: boolean;
}

/** The meter's intervals with a read on local dates `dates` (date order, then interval order). */
export async function readMeterTail(
  view: RealtimeViewOptions,
  meterId: string,
  dates: readonly string[],
): Promise<MeterTailInterval[]> {
  const partition = partitionOfMeter(meterId, view.partitions, view.partitioner);
  const held = await heldDates(view, [partition], dates);
  const days = await Promise.all(
    held.map((d) => readMeterDay(view.redis, view.keyPrefix, view.partitions, meterId, d, view.partitioner)),
  );
  const out: MeterTailInterval[] = [];
  held.forEach((date, k) => {
    const starts = intervalStartsOfLocalDay(date, view.timeZone);
    for (const iv of days[k]!.intervals) {
      if (iv === undefined) continue;
      const startMs = starts[iv.index];
      if (startMs === undefined) throw new Error(`realtime view: slot ${iv.index} beyond day ${date}`);
      out.push({ startMs, wh: iv.wh, estimated: iv.estimated });
    }
  });
  return out;
}
