/**
 * The live simulator's control API (`--control-port`): request and response schemas of
 * `POST /faults/outage` and `GET /status`, shared by the server (control.ts), the
 * `pnpm ami sim outage` command and whoever else drives a live simulation.
 */
import { Type, type Static } from '@sinclair/typebox';

export const DEFAULT_OUTAGE_MINUTES = 30;
export const MAX_OUTAGE_MINUTES = 1440;

export const OutageRequestSchema = Type.Object(
  {
    transformer_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Transformer to take down (default: the first one that is not out)',
      }),
    ),
    minutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_OUTAGE_MINUTES,
        description: `Outage length in simulated minutes (default ${DEFAULT_OUTAGE_MINUTES})`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type OutageRequest = Static<typeof OutageRequestSchema>;

export const OutageResponseSchema = Type.Object({
  transformer_id: Type.String(),
  meter_ids: Type.Array(Type.String(), { description: 'Meters of the transformer: each sends a last gasp' }),
  from: Type.String({ description: 'Simulated instant the power went (last gasps within 5 s after it)' }),
  to: Type.String({ description: 'Simulated instant it comes back (restores within 1–30 s after it)' }),
  first_interval_start: Type.String({ description: 'First interval without reads from these meters' }),
  intervals: Type.Integer({ description: 'Intervals without reads (every interval the outage touches)' }),
});
export type OutageResponse = Static<typeof OutageResponseSchema>;

export const SimStatusSchema = Type.Object({
  sim_clock: Type.String({ description: 'The simulated clock (ISO 8601 with offset)' }),
  reads: Type.Integer({ description: 'Reads handed to the producer so far' }),
  events: Type.Integer({ description: 'Events handed to the producer so far' }),
  lag_s: Type.Number({ description: 'Seconds the simulated clock is behind the wall clock' }),
});
export type SimStatus = Static<typeof SimStatusSchema>;

export const ControlErrorSchema = Type.Object({
  error: Type.String({ description: 'BadRequest, NotFound, Conflict or MethodNotAllowed' }),
  message: Type.String(),
});
export type ControlError = Static<typeof ControlErrorSchema>;
