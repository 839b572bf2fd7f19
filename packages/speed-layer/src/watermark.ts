/**
 * Event-time watermarks (SPEC 4). Event time of a read = its interval_start.
 *  - Partition watermark = max event time seen on the partition − allowed lateness.
 *  - Global watermark = min over the partitions that are not idle (no message for `idleTimeoutMs`
 *    of processing time), as Flink's idleness rule; when every partition is idle, the max of them.
 *  - Retention: a read is too old for the provisional view when its local day is more than
 *    `retentionDays` days before the local day of its partition's watermark. The partition
 *    watermark (not the global one) decides, and it is restored from the Redis fence after a
 *    restart, so a replay makes the same decisions as the first run.
 */
import { addLocalDays, localDate } from '@ami/shared/time';

export interface WatermarkOptions {
  readonly allowedLatenessMs: number;
  readonly idleTimeoutMs: number;
}

interface PartitionState {
  maxEventMs: number;
  lastSeenAtMs: number;
}

export class PartitionWatermarks {
  private readonly partitions = new Map<number, PartitionState>();
  constructor(private readonly opts: WatermarkOptions) {}

  /** Whether the partition has state in memory (false after assignment until restored). */
  has(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** Sets the partition's max event time from durable state (undefined = nothing seen yet). */
  restore(partition: number, maxEventMs: number | undefined, nowMs: number): void {
    this.partitions.set(partition, { maxEventMs: maxEventMs ?? -Infinity, lastSeenAtMs: nowMs });
  }

  /** Records an event time seen on the partition at processing time `nowMs`. */
  observe(partition: number, eventMs: number, nowMs: number): void {
    const s = this.partitions.get(partition);
    if (s === undefined) this.partitions.set(partition, { maxEventMs: eventMs, lastSeenAtMs: nowMs });
    else {
      if (eventMs > s.maxEventMs) s.maxEventMs = eventMs;
      s.lastSeenAtMs = nowMs;
    }
  }

  /** Marks the partition active at `nowMs` without an event (e.g. a batch of invalid messages). */
  touch(partition: number, nowMs: number): void {
    const s = this.partitions.get(partition);
    if (s !== undefined) s.lastSeenAtMs = nowMs;
  }

  /** Drops a partition (revoked); its watermark no longer holds the global one. */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  forgetAll(): void {
    this.partitions.clear();
  }

  maxEventMs(partition: number): number {
    return this.partitions.get(partition)?.maxEventMs ?? -Infinity;
  }

  partitionWatermark(partition: number): number {
    return this.maxEventMs(partition) - this.opts.allowedLatenessMs;
  }

  /** Global watermark at processing time `nowMs` (-Infinity when no partition has seen data). */
  globalWatermark(nowMs: number): number {
    let activeMin = Infinity;
    let anyActive = false;
    let allMax = -Infinity;
    for (const s of this.partitions.values()) {
      const wm = s.maxEventMs - this.opts.allowedLatenessMs;
      if (wm > allMax) allMax = wm;
      if (nowMs - s.lastSeenAtMs < this.opts.idleTimeoutMs) {
        anyActive = true;
        if (wm < activeMin) activeMin = wm;
      }
    }
    return anyActive ? activeMin : allMax;
  }

  /**
   * Minimum watermark over `partitions` (those with state; +Infinity when none). The events topic
   * bounds alert windows with it over its partitions that are behind their log end: a caught-up
   * events partition has delivered everything, however old its last event is (events are rare).
   */
  minimumOver(partitions: Iterable<number>): number {
    let min = Infinity;
    for (const p of partitions) {
      const s = this.partitions.get(p);
      if (s === undefined) continue;
      const wm = s.maxEventMs - this.opts.allowedLatenessMs;
      if (wm < min) min = wm;
    }
    return min;
  }
}

/** True when `eventMs` is beyond provisional retention relative to watermark `watermarkMs`. */
export function isBeyondRetention(
  eventMs: number,
  watermarkMs: number,
  retentionDays: number,
  timeZone: string,
): boolean {
  if (!Number.isFinite(watermarkMs)) return false;
  const oldestKept = addLocalDays(localDate(watermarkMs, timeZone), -retentionDays);
  return localDate(eventMs, timeZone) < oldestKept;
}
