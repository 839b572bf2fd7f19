/**
 * The read message of SPEC 3.2 (fields of the streaming-SQL seed), as TypeBox schemas.
 *
 * Two variants, told apart by `read_type`:
 *  - INTERVAL: energy during [interval_start, interval_end), 15 minutes, aligned; voltage_v is the
 *    interval's average voltage (required).
 *  - DAILY: cumulative register snapshot at a local midnight (interval_start = interval_end);
 *    delivered/received are register totals; voltage_v and power_quality_code may be null.
 * The contract is closed (additionalProperties: false): a head-end that adds a field needs a
 * contract change, rather than the platform silently dropping data it does not understand.
 * Instants are checked for type and size here and parsed by validateRead (BAD_TIMESTAMP).
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdSchema, InboundInstantSchema } from './common.ts';

export const READ_TYPES = ['INTERVAL', 'DAILY'] as const;
export type ReadType = (typeof READ_TYPES)[number];

const PowerQualityCodeSchema = Type.Integer({
  minimum: 0,
  maximum: 2_147_483_647,
  description: 'Head-end power-quality code (0 = normal)',
});

const commonReadFields = {
  meter_id: IdSchema,
  service_point_id: IdSchema,
  customer_id: IdSchema,
  transformer_id: IdSchema,
  feeder_id: IdSchema,
  interval_start: InboundInstantSchema,
  interval_end: InboundInstantSchema,
  consumption_kwh: Type.Number({ description: 'Net energy (kWh) = delivered − received' }),
  delivered_kwh: Type.Number({ description: 'Energy from the grid (kWh); DAILY: register total' }),
  received_kwh: Type.Number({ description: 'Energy to the grid (kWh); DAILY: register total' }),
  estimated_flag: Type.Boolean({ description: 'The head-end estimated this value' }),
  read_ts: InboundInstantSchema,
};

export const IntervalReadSchema = Type.Object(
  {
    ...commonReadFields,
    read_type: Type.Literal('INTERVAL'),
    voltage_v: Type.Number({ description: 'Average voltage over the interval (V)' }),
    power_quality_code: PowerQualityCodeSchema,
  },
  { additionalProperties: false },
);

export const DailyReadSchema = Type.Object(
  {
    ...commonReadFields,
    read_type: Type.Literal('DAILY'),
    voltage_v: Type.Union([Type.Number(), Type.Null()], {
      description: 'Voltage at the snapshot, if measured (V)',
    }),
    power_quality_code: Type.Union([PowerQualityCodeSchema, Type.Null()]),
  },
  { additionalProperties: false },
);

/** A read as it travels on `ami.headend.reads` (JSON, one per message). */
export const ReadSchema = Type.Union([IntervalReadSchema, DailyReadSchema]);

export type IntervalRead = Static<typeof IntervalReadSchema>;
export type DailyRead = Static<typeof DailyReadSchema>;
export type Read = Static<typeof ReadSchema>;

/** What validateRead adds, so that no consumer parses an instant or rounds an energy again. */
export interface ParsedReadFields {
  /** interval_start as UTC epoch milliseconds. */
  readonly intervalStartMs: number;
  /** interval_end as UTC epoch milliseconds (= intervalStartMs for DAILY). */
  readonly intervalEndMs: number;
  /** read_ts as UTC epoch milliseconds. */
  readonly readTsMs: number;
  /** kwhToWh(consumption_kwh): the value both layers sum. */
  readonly consumptionWh: number;
  /** kwhToWh(delivered_kwh). */
  readonly deliveredWh: number;
  /** kwhToWh(received_kwh). */
  readonly receivedWh: number;
}

export type ValidIntervalRead = IntervalRead & ParsedReadFields;
export type ValidDailyRead = DailyRead & ParsedReadFields;
/** A read that passed validateRead. */
export type ValidRead = ValidIntervalRead | ValidDailyRead;
