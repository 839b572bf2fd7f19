/**
 * Provisional side of a series: the speed layer's realtime view, read through its contract
 * (`RealtimeView` of @ami/speed-layer/realtime-view). Only local dates the view still holds are
 * read; the values come back as the merge's provisional inputs (src/merge).
 */
import type { RedisClient } from '@ami/shared/clients';
import type { Partitioner } from '@ami/shared/partitioner';
import { RealtimeView, type GridLevel } from '@ami/speed-layer/realtime-view';
import type { ProvisionalGridWindow, ProvisionalMeterInterval } from '../merge/index.ts';

/** Where the realtime view is (AMI_SPEED_KEY_PREFIX, the reads topic's partitions, AMI_TIMEZONE). */
export interface RealtimeSource {
  readonly redis: RedisClient;
  readonly keyPrefix: string;
  readonly partitions: number;
  /** AMI_KAFKA_PARTITIONER: which partition's keys hold a meter (default murmur2). */
  readonly partitioner?: Partitioner;
  readonly timeZone: string;
}

/** A meter's realtime intervals on local dates `dates` (only those with a read). */
export function readMeterProvisional(
  src: RealtimeSource,
  meterId: string,
  dates: readonly string[],
): Promise<ProvisionalMeterInterval[]> {
  return new RealtimeView(src).meterIntervals(meterId, dates);
}

/**
 * A grid entity's realtime windows on local dates `dates`: every window of a held day that has reads
 * or has already closed (`nowMs`), so a silent window counts against the receipt rate while windows
 * still to come do not.
 */
export function readGridProvisional(
  src: RealtimeSource,
  level: GridLevel,
  entityId: string,
  dates: readonly string[],
  nowMs: number,
): Promise<ProvisionalGridWindow[]> {
  return new RealtimeView(src).gridWindows(level, entityId, dates, nowMs);
}
