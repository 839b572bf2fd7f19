/**
 * What apply.lua needs to know about one valid INTERVAL read: pure, so the whole encoding is
 * unit-tested without Redis.
 */
import { versionDigest, type ReadLimits, type ValidIntervalRead } from '@ami/shared/contracts';
import { intervalIndexInLocalDay, intervalsInLocalDay, localDate, localDayBounds } from '@ami/shared/time';
import {
  GRID_LEVELS,
  attributionText,
  gridDayKey,
  meterDayKey,
  parseAttributionText,
  type GridAttribution,
} from './keys.ts';
import {
  INTERVAL_SLOTS,
  MAX_READ_DELAY_MS,
  MAX_SLOT_WH,
  MAX_VOLTAGE_CV,
  dayPhase,
  voltageToCv,
} from './layout.ts';

/** One read as apply.lua receives it (see encodeApplyReads for the wire form). */
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
    digestPrefix: Number.parseInt(versionDigest(read).slice(0, 8), 16),
    attribution: attributionText(grid),
  };
}

/** Bytes of one read's record in the chunk blob (see encodeApplyReads). */
export const READ_RECORD_BYTES = 26;

/**
 * apply.lua's arguments after the fence ones: a table of the chunk's meter-days (key, date, day
 * slots, phase), a table of its (attribution, date) pairs — the text and the 4 grid-day keys, so the
 * script builds no key strings — then one binary blob with a fixed 26-byte
 * big-endian record per read — uint48 offset, uint16 meter-day number, uint8 slot, uint32 delay ms,
 * int32 Wh, uint16 cV, uint8 estimated, uint32 digest prefix, uint16 attribution number (numbers
 * are 1-based table positions). One blob instead of 11 strings per read keeps argument parsing and
 * string allocation on both sides out of the hot path.
 */
export function encodeApplyReads(
  reads: readonly ApplyRead[],
  keyPrefix: string,
  partition: number,
): (string | Buffer)[] {
  const dayNumbers = new Map<string, number>();
  const days: string[] = [];
  const attributionNumbers = new Map<string, number>();
  const attributions: string[] = [];
  const blob = Buffer.allocUnsafe(reads.length * READ_RECORD_BYTES);
  let at = 0;
  for (const r of reads) {
    let day = dayNumbers.get(r.meterDayKey);
    if (day === undefined) {
      day = dayNumbers.size + 1;
      dayNumbers.set(r.meterDayKey, day);
      days.push(r.meterDayKey, r.date, String(r.daySlots), String(r.dayPhase));
    }
    const attributionId = `${r.attribution}@${r.date}`;
    let attribution = attributionNumbers.get(attributionId);
    if (attribution === undefined) {
      attribution = attributionNumbers.size + 1;
      attributionNumbers.set(attributionId, attribution);
      const grid = parseAttributionText(r.attribution);
      const ids = [grid.transformerId, grid.feederId, grid.substationId, grid.region];
      attributions.push(
        r.attribution,
        ...GRID_LEVELS.map((level, i) => {
          const id = ids[i] ?? '';
          return id === '' ? '' : gridDayKey(keyPrefix, partition, level, id, r.date);
        }),
      );
    }
    blob.writeUIntBE(Number(r.offset), at, 6);
    blob.writeUInt16BE(day, at + 6);
    blob.writeUInt8(r.slot, at + 8);
    blob.writeUInt32BE(r.readDelayMs, at + 9);
    blob.writeInt32BE(r.wh, at + 13);
    blob.writeUInt16BE(r.voltageCv, at + 17);
    blob.writeUInt8(r.estimated, at + 19);
    blob.writeUInt32BE(r.digestPrefix, at + 20);
    blob.writeUInt16BE(attribution, at + 24);
    at += READ_RECORD_BYTES;
  }
  return [String(dayNumbers.size), ...days, String(attributionNumbers.size), ...attributions, blob];
}
