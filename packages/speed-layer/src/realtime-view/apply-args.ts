/**
 * What the realtime view's writer (partition-writer.ts) needs to know about one valid INTERVAL read: pure, so the whole encoding is
 * unit-tested without Redis.
 */
import { versionDigestPrefix, type ReadLimits, type ValidIntervalRead } from '@ami/shared/contracts';
import { intervalIndexInLocalDay, intervalsInLocalDay, localDate, localDayBounds } from '@ami/shared/time';
import { attributionText, meterDayKey, type GridAttribution } from './keys.ts';
import {
  INTERVAL_SLOTS,
  MAX_READ_DELAY_MS,
  MAX_SLOT_WH,
  MAX_VOLTAGE_CV,
  dayPhase,
  voltageToCv,
} from './layout.ts';

/** One read as the writer applies it. */
export interface ApplyRead {
  /** Kafka offset of the message (decimal text). */
  readonly offset: string;
  readonly meterDayKey: string;
  readonly date: string;
  /** Intervals of the local day (92, 96, 100) and the day start's quarter-hour phase (layout.ts). */
  readonly daySlots: number;
  readonly dayPhase: number;
  readonly slot: number;
  readonly readDelayMs: number;
  readonly wh: number;
  readonly voltageCv: number;
  readonly estimated: 0 | 1;
  readonly digestPrefix: number;
  readonly attribution: string;
}

export interface ApplyReadContext {
  readonly keyPrefix: string;
  readonly partition: number;
  readonly timeZone: string;
}

/**
 * Throws a ConfigError-worthy message when the validation limits allow values the slot layout
 * cannot hold (checked once at start-up, so no valid read can fail to encode).
 */
export function checkLimitsFitLayout(limits: ReadLimits): string[] {
  const problems: string[] = [];
  if (limits.maxIntervalWh > MAX_SLOT_WH) {
    problems.push(
      `interval energy cap ${limits.maxIntervalWh} Wh exceeds the slot's int32 (${MAX_SLOT_WH} Wh)`,
    );
  }
  if (voltageToCv(limits.maxVoltageV) > MAX_VOLTAGE_CV) {
    problems.push(`voltage cap ${limits.maxVoltageV} V exceeds the slot's ${MAX_VOLTAGE_CV / 100} V`);
  }
  return problems;
}

/** The script arguments of `read` (throws a RangeError for a value the layout cannot hold). */
export function toApplyRead(
  read: ValidIntervalRead,
  offset: string,
  grid: GridAttribution,
  ctx: ApplyReadContext,
): ApplyRead {
  const date = localDate(read.intervalStartMs, ctx.timeZone);
  const slot = intervalIndexInLocalDay(read.intervalStartMs, ctx.timeZone);
  const daySlots = intervalsInLocalDay(date, ctx.timeZone);
  const readDelayMs = read.readTsMs - read.intervalStartMs;
  const voltageCv = voltageToCv(read.voltage_v);
  if (daySlots > INTERVAL_SLOTS || slot < 0 || slot >= daySlots) {
    throw new RangeError(`local day of ${read.interval_start} has more than ${INTERVAL_SLOTS} intervals`);
  }
  if (!(readDelayMs >= 0 && readDelayMs <= MAX_READ_DELAY_MS)) {
    throw new RangeError(`read_ts − interval_start = ${readDelayMs} ms does not fit 32 bits (49.7 days)`);
  }
  if (Math.abs(read.consumptionWh) > MAX_SLOT_WH) {
    throw new RangeError(`consumption ${read.consumptionWh} Wh does not fit int32`);
  }
  if (!(voltageCv >= 0 && voltageCv <= MAX_VOLTAGE_CV)) {
    throw new RangeError(`voltage ${read.voltage_v} V does not fit the slot`);
  }
  return {
    offset,
    meterDayKey: meterDayKey(ctx.keyPrefix, ctx.partition, read.meter_id, date),
    date,
    daySlots,
    dayPhase: dayPhase(localDayBounds(date, ctx.timeZone).startMs),
    slot,
    readDelayMs,
    wh: read.consumptionWh,
    voltageCv,
    estimated: read.estimated_flag ? 1 : 0,
    digestPrefix: versionDigestPrefix(read),
    attribution: attributionText(grid),
  };
}
