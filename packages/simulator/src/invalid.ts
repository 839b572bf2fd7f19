/**
 * Invalid messages for the fault kinds that validation must reject. Each is an EXTRA message
 * derived from a valid read (the truth is unaffected) and names the reason validateRead (or, for
 * unknown meters, checkKnownMeter) gives it when validated at its produce time.
 */
import type { ReasonCode } from '@ami/shared/contracts';
import { DAY_MS, INTERVAL_MS, MINUTE_MS, formatIsoOffset } from '@ami/shared/time';

export interface InvalidMessage {
  readonly message: string;
  readonly variant: string;
  readonly reason: ReasonCode;
}

interface Source {
  /** The valid read it is derived from. */
  readonly message: string;
  readonly startMs: number;
  readonly readTsMs: number;
  readonly timeZone: string;
  /** The receiving platform's clock, when it is ahead of the simulated produce time (replay). */
  readonly nowMs?: number | undefined;
}

type Fields = Record<string, unknown>;

function rewrite(src: Source, edit: (r: Fields) => void): string {
  const r = JSON.parse(src.message) as Fields;
  edit(r);
  return JSON.stringify(r);
}

/** `pick` in [0, 1) chooses the variant. */
export function malformedJson(src: Source, pick: number): InvalidMessage {
  const cut = 10 + Math.floor(pick * (src.message.length - 20));
  return { message: src.message.slice(0, cut), variant: 'truncated', reason: 'MALFORMED_JSON' };
}

export function schemaViolation(src: Source, pick: number): InvalidMessage {
  const iso = (ms: number): string => formatIsoOffset(ms, src.timeZone);
  const variants: readonly (() => InvalidMessage)[] = [
    () => ({
      message: rewrite(src, (r) => delete r.voltage_v),
      variant: 'missing_field',
      reason: 'SCHEMA_VIOLATION',
    }),
    () => ({
      message: rewrite(src, (r) => (r.firmware = '4.2.1')),
      variant: 'unknown_field',
      reason: 'SCHEMA_VIOLATION',
    }),
    () => ({
      message: rewrite(src, (r) => (r.consumption_kwh = String(r.consumption_kwh))),
      variant: 'wrong_type',
      reason: 'SCHEMA_VIOLATION',
    }),
    () => ({
      message: rewrite(src, (r) => (r.meter_id = `${String(r.meter_id)} #`)),
      variant: 'bad_id',
      reason: 'SCHEMA_VIOLATION',
    }),
    () => ({
      message: rewrite(src, (r) => (r.interval_start = String(r.interval_start).slice(0, 19))),
      variant: 'timestamp_without_offset',
      reason: 'BAD_TIMESTAMP',
    }),
    () => ({
      message: rewrite(src, (r) => {
        r.interval_start = iso(src.startMs + 7 * MINUTE_MS);
        r.interval_end = iso(src.startMs + 7 * MINUTE_MS + INTERVAL_MS);
      }),
      variant: 'misaligned_interval',
      reason: 'MISALIGNED_INTERVAL',
    }),
    () => ({
      message: rewrite(src, (r) => (r.interval_end = iso(src.startMs + 2 * INTERVAL_MS))),
      variant: 'bad_interval_length',
      reason: 'BAD_INTERVAL_LENGTH',
    }),
  ];
  const make = variants[Math.floor(pick * variants.length)] ?? variants[0];
  if (make === undefined) throw new Error('no schema violation variant');
  return make();
}

export function outOfRange(src: Source, pick: number): InvalidMessage {
  const v = Math.floor(pick * 3);
  if (v === 0) {
    return {
      message: rewrite(src, (r) => (r.voltage_v = 999.9)),
      variant: 'voltage',
      reason: 'OUT_OF_RANGE',
    };
  }
  if (v === 1) {
    return {
      message: rewrite(src, (r) => {
        r.consumption_kwh = -0.5;
        r.delivered_kwh = -0.5;
        r.received_kwh = 0;
      }),
      variant: 'negative_energy',
      reason: 'OUT_OF_RANGE',
    };
  }
  return {
    message: rewrite(src, (r) => {
      r.consumption_kwh = 20000;
      r.delivered_kwh = 20000;
      r.received_kwh = 0;
    }),
    variant: 'energy_above_cap',
    reason: 'OUT_OF_RANGE',
  };
}

/**
 * A copy dated 2–30 days after its produce time — or after `src.nowMs` when that is later, so a
 * replay of past days still produces reads that are in the future for the platform receiving them.
 * The shift is a whole number of intervals, keeping the copy aligned.
 */
export function futureTimestamp(src: Source, pick: number): InvalidMessage {
  const days = 2 + Math.floor(pick * 29);
  const behind = src.nowMs === undefined ? 0 : Math.max(0, src.nowMs - src.readTsMs);
  const shift = days * DAY_MS + Math.ceil(behind / INTERVAL_MS) * INTERVAL_MS;
  return {
    message: rewrite(src, (r) => {
      r.interval_start = formatIsoOffset(src.startMs + shift, src.timeZone);
      r.interval_end = formatIsoOffset(src.startMs + shift + INTERVAL_MS, src.timeZone);
      r.read_ts = formatIsoOffset(src.readTsMs + shift, src.timeZone);
    }),
    variant: `plus_${days}_days`,
    reason: 'FUTURE_TIMESTAMP',
  };
}

/** A read from a meter the topology does not know (valid for validateRead). */
export function unknownMeter(src: Source, meterId: string, pick: number): InvalidMessage {
  const unknownId = `MTR-U${String(Math.floor(pick * 100_000)).padStart(5, '0')}`;
  return {
    message: src.message.replace(`"meter_id":"${meterId}"`, `"meter_id":"${unknownId}"`),
    variant: unknownId,
    reason: 'UNKNOWN_METER',
  };
}
