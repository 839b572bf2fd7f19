/**
 * validateRead: bytes → a ValidRead or a machine-readable rejection (reasons.ts). Never throws.
 *
 * Hot path: one JSON.parse, one compiled TypeBox check chosen by read_type, then hand checks on the
 * parsed instants and integer energies in the order documented in reasons.ts (first failure wins).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { roundKwhToWh } from '../energy.ts';
import {
  INTERVAL_MS,
  formatIsoUtc,
  isAlignedIntervalStart,
  localDate,
  localDayBounds,
  parseIsoInstant,
} from '../time/index.ts';
import {
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MIN_PLAUSIBLE_INSTANT_MS,
  DEFAULT_READ_LIMITS,
  type ReadLimits,
} from './limits.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, decodeJsonObject } from './message.ts';
import {
  DailyReadSchema,
  IntervalReadSchema,
  type DailyRead,
  type IntervalRead,
  type ParsedReadFields,
  type ValidRead,
} from './read.ts';
import { failure, type ValidationFailure } from './reasons.ts';
import { schemaViolation } from './schema-errors.ts';

export const IntervalReadCheck = TypeCompiler.Compile(IntervalReadSchema);
export const DailyReadCheck = TypeCompiler.Compile(DailyReadSchema);

export interface ReadValidationContext {
  /** Current time (UTC epoch ms) for the future-timestamp rule. */
  readonly nowMs: number;
  /** Zone of local days (AMI_TIMEZONE): DAILY registers must sit at a local midnight in it. */
  readonly timeZone: string;
  /** Allowed clock skew beyond nowMs; default 5 minutes. */
  readonly maxFutureSkewMs?: number;
  /** Default 16 KiB. */
  readonly maxMessageBytes?: number;
  /** Instants before this are OUT_OF_RANGE; default 2000-01-01T00:00Z. */
  readonly minPlausibleInstantMs?: number;
  /** Hard physical bounds; default DEFAULT_READ_LIMITS. */
  readonly limits?: ReadLimits;
}

export type ReadValidation = { readonly ok: true; readonly read: ValidRead } | ValidationFailure;

function readTypeViolation(value: Record<string, unknown>): ValidationFailure {
  if (!('read_type' in value)) {
    return failure(
      'SCHEMA_VIOLATION',
      '/read_type: required: Expected required property',
      '/read_type',
      'required',
    );
  }
  return failure('SCHEMA_VIOLATION', '/read_type: enum: Expected INTERVAL or DAILY', '/read_type', 'enum');
}

function badTimestamp(field: string, value: string): ValidationFailure {
  return failure(
    'BAD_TIMESTAMP',
    `${field} ${JSON.stringify(value)} is not an ISO-8601 instant with offset`,
    `/${field}`,
  );
}

function isLocalMidnight(ms: number, timeZone: string): boolean | string {
  try {
    return localDayBounds(localDate(ms, timeZone), timeZone).startMs === ms;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Validates one read message (see reasons.ts for the reason codes and their order). */
// Long on purpose: one early return per check, in the reason order of reasons.ts, on both layers' hot path.
export function validateRead(bytes: Buffer | string | null, ctx: ReadValidationContext): ReadValidation {
  const decoded = decodeJsonObject(bytes, ctx.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  if (!decoded.ok) return decoded;
  const value = decoded.value;

  let r: IntervalRead | DailyRead;
  const readType = value.read_type;
  if (readType === 'INTERVAL') {
    if (!IntervalReadCheck.Check(value)) return schemaViolation(IntervalReadCheck, value);
    r = value;
  } else if (readType === 'DAILY') {
    if (!DailyReadCheck.Check(value)) return schemaViolation(DailyReadCheck, value);
    r = value;
  } else {
    return readTypeViolation(value);
  }

  const startMs = parseIsoInstant(r.interval_start);
  if (Number.isNaN(startMs)) return badTimestamp('interval_start', r.interval_start);
  const endMs = parseIsoInstant(r.interval_end);
  if (Number.isNaN(endMs)) return badTimestamp('interval_end', r.interval_end);
  const readTsMs = parseIsoInstant(r.read_ts);
  if (Number.isNaN(readTsMs)) return badTimestamp('read_ts', r.read_ts);

  const minInstant = ctx.minPlausibleInstantMs ?? DEFAULT_MIN_PLAUSIBLE_INSTANT_MS;
  if (startMs < minInstant || readTsMs < minInstant) {
    const field = startMs < minInstant ? 'interval_start' : 'read_ts';
    return failure('OUT_OF_RANGE', `${field} is before ${formatIsoUtc(minInstant)}`, `/${field}`);
  }

  if (r.read_type === 'INTERVAL') {
    if (!isAlignedIntervalStart(startMs)) {
      return failure(
        'MISALIGNED_INTERVAL',
        `interval_start ${r.interval_start} is not on a 15-minute boundary`,
        '/interval_start',
      );
    }
    if (endMs !== startMs + INTERVAL_MS) {
      return failure(
        'BAD_INTERVAL_LENGTH',
        `interval_end is ${(endMs - startMs) / 1000} s after interval_start, expected 900 s`,
        '/interval_end',
      );
    }
  } else {
    if (endMs !== startMs) {
      return failure(
        'BAD_REGISTER_INSTANT',
        'DAILY read with interval_end ≠ interval_start',
        '/interval_end',
      );
    }
    const midnight = isLocalMidnight(startMs, ctx.timeZone);
    if (midnight !== true) {
      const why =
        midnight === false ? `is not a local midnight in ${ctx.timeZone}` : `cannot be checked: ${midnight}`;
      return failure(
        'BAD_REGISTER_INSTANT',
        `DAILY interval_start ${r.interval_start} ${why}`,
        '/interval_start',
      );
    }
  }

  const latest = ctx.nowMs + (ctx.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS);
  if (startMs > latest) {
    return failure('FUTURE_TIMESTAMP', `interval_start is after ${formatIsoUtc(latest)}`, '/interval_start');
  }
  if (readTsMs > latest) {
    return failure('FUTURE_TIMESTAMP', `read_ts is after ${formatIsoUtc(latest)}`, '/read_ts');
  }
  if (readTsMs < endMs) {
    return failure(
      'OUT_OF_RANGE',
      'read_ts is before interval_end: a value cannot be read before it exists',
      '/read_ts',
    );
  }

  const limits = ctx.limits ?? DEFAULT_READ_LIMITS;
  if (r.delivered_kwh < 0) return failure('OUT_OF_RANGE', 'delivered_kwh is negative', '/delivered_kwh');
  if (r.received_kwh < 0) return failure('OUT_OF_RANGE', 'received_kwh is negative', '/received_kwh');
  const consumptionWh = roundKwhToWh(r.consumption_kwh);
  const deliveredWh = roundKwhToWh(r.delivered_kwh);
  const receivedWh = roundKwhToWh(r.received_kwh);
  const capWh = r.read_type === 'INTERVAL' ? limits.maxIntervalWh : limits.maxRegisterWh;
  if (deliveredWh > capWh || receivedWh > capWh || Math.abs(consumptionWh) > capWh) {
    const field =
      deliveredWh > capWh ? 'delivered_kwh' : receivedWh > capWh ? 'received_kwh' : 'consumption_kwh';
    return failure('OUT_OF_RANGE', `|${field}| is above the cap of ${capWh / 1000} kWh`, `/${field}`);
  }
  const v = r.voltage_v;
  if (v !== null && (v < limits.minVoltageV || v > limits.maxVoltageV)) {
    return failure(
      'OUT_OF_RANGE',
      `voltage_v ${v} is outside [${limits.minVoltageV}, ${limits.maxVoltageV}] V`,
      '/voltage_v',
    );
  }
  const netError = consumptionWh - (deliveredWh - receivedWh);
  if (netError > limits.netToleranceWh || -netError > limits.netToleranceWh) {
    return failure(
      'NET_MISMATCH',
      `consumption ${consumptionWh} Wh ≠ delivered ${deliveredWh} Wh − received ${receivedWh} Wh`,
      '/consumption_kwh',
    );
  }

  return {
    ok: true,
    read: withParsedFields(r, {
      intervalStartMs: startMs,
      intervalEndMs: endMs,
      readTsMs,
      consumptionWh,
      deliveredWh,
      receivedWh,
    }),
  };
}

/**
 * The read plus its parsed fields, built as explicit literals (one per variant, so the types need no
 * casts): object spread of a JSON.parse result measured ~6× slower in V8 (≈ 10 µs vs 1.7 µs per
 * read), and this is the hot path.
 */
function withParsedFields(r: IntervalRead | DailyRead, p: ParsedReadFields): ValidRead {
  if (r.read_type === 'INTERVAL') {
    return {
      meter_id: r.meter_id,
      service_point_id: r.service_point_id,
      customer_id: r.customer_id,
      transformer_id: r.transformer_id,
      feeder_id: r.feeder_id,
      read_type: r.read_type,
      interval_start: r.interval_start,
      interval_end: r.interval_end,
      consumption_kwh: r.consumption_kwh,
      delivered_kwh: r.delivered_kwh,
      received_kwh: r.received_kwh,
      voltage_v: r.voltage_v,
      power_quality_code: r.power_quality_code,
      estimated_flag: r.estimated_flag,
      read_ts: r.read_ts,
      intervalStartMs: p.intervalStartMs,
      intervalEndMs: p.intervalEndMs,
      readTsMs: p.readTsMs,
      consumptionWh: p.consumptionWh,
      deliveredWh: p.deliveredWh,
      receivedWh: p.receivedWh,
    };
  }
  return {
    meter_id: r.meter_id,
    service_point_id: r.service_point_id,
    customer_id: r.customer_id,
    transformer_id: r.transformer_id,
    feeder_id: r.feeder_id,
    read_type: r.read_type,
    interval_start: r.interval_start,
    interval_end: r.interval_end,
    consumption_kwh: r.consumption_kwh,
    delivered_kwh: r.delivered_kwh,
    received_kwh: r.received_kwh,
    voltage_v: r.voltage_v,
    power_quality_code: r.power_quality_code,
    estimated_flag: r.estimated_flag,
    read_ts: r.read_ts,
    intervalStartMs: p.intervalStartMs,
    intervalEndMs: p.intervalEndMs,
    readTsMs: p.readTsMs,
    consumptionWh: p.consumptionWh,
    deliveredWh: p.deliveredWh,
    receivedWh: p.receivedWh,
  };
}
