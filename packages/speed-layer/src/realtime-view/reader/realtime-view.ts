/**
 * RealtimeView: the one reader of the realtime view for other packages (the serving layer's series,
 * analytics, overview and dashboard, the batch layer's reconciliation). Each method returns plain
 * values (UTC starts, Wh, centivolts); key names, hash tags and byte layout stay in this package.
 */
import type { GridLevel } from '../keys.ts';
import type { GridWindow } from '../layout.ts';
import { readGridDay } from '../read-view.ts';
import { scanGridEntityIds, type EntityScanLimits } from './entity-scan.ts';
import { readGridTail, readGridWindowsAt, type GridTailWindow } from './grid.ts';
import { heldDates, isDateAvailable } from './held-days.ts';
import { readMeterTail, type MeterTailInterval } from './meter-tail.ts';
import { allPartitions, type RealtimeViewOptions } from './options.ts';

export class RealtimeView {
  private readonly opts: RealtimeViewOptions;

  /** Cheap (no I/O); a bad key prefix fails the first read with a RangeError. */
  constructor(opts: RealtimeViewOptions) {
    this.opts = { ...opts };
  }

  get timeZone(): string {
    return this.opts.timeZone;
  }

  /** A meter's intervals with a read on local dates `dates` (only dates the view holds). */
  meterIntervals(meterId: string, dates: readonly string[]): Promise<MeterTailInterval[]> {
    return readMeterTail(this.opts, meterId, dates);
  }

  /**
   * A grid entity's windows on local dates `dates` (only dates the view holds): every window that
   * has reads or has closed at `nowMs`.
   */
  gridWindows(
    level: GridLevel,
    entityId: string,
    dates: readonly string[],
    nowMs: number,
  ): Promise<GridTailWindow[]> {
    return readGridTail(this.opts, level, entityId, dates, nowMs);
  }

  /** Every window (INTERVAL_SLOTS, window i = interval i of the local day) of an entity's day. */
  gridDay(level: GridLevel, entityId: string, date: string): Promise<GridWindow[]> {
    return readGridDay(this.opts.redis, this.opts.keyPrefix, this.opts.partitions, level, entityId, date);
  }

  /** The window starting at `startMs` of each of `ids`, aligned with `ids`. */
  gridWindowsAt(level: GridLevel, ids: readonly string[], startMs: number): Promise<GridWindow[]> {
    return readGridWindowsAt(this.opts, level, ids, startMs);
  }

  /** Entities of `level` with realtime data on `date`, by a bounded key scan (sorted). */
  scanEntityIds(level: GridLevel, date: string, limits: EntityScanLimits): Promise<string[]> {
    return scanGridEntityIds(this.opts, level, date, limits);
  }

  /** The subset of `dates` the view holds (the held, not yet dropped, days), in the order given. */
  heldDates(dates: readonly string[]): Promise<string[]> {
    return heldDates(this.opts, allPartitions(this.opts), dates);
  }

  /** Whether `date` is still provisionally available (held, and not behind any retention fence). */
  isDateAvailable(date: string): Promise<boolean> {
    return isDateAvailable(this.opts, date);
  }
}
