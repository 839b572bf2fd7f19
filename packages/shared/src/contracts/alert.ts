/**
 * The alert record the speed layer writes to Redis (active set + history stream) and to the alert
 * topics (SPEC 4): `ami.alerts.grid` for COMM/VOLTAGE/OUTAGE, `ami.alerts.events` for EVENT
 * (domain/alert-types.ts maps types to sources, severities and topics). Deduplicated: at most one
 * open alert per (type, entity_type, entity_id) — alertDedupKey. A cleared alert is the same record
 * (same id) with status 'cleared' and cleared_at set.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AlertEntityTypeSchema, AlertSourceSchema } from '../domain/alert-types.ts';
import { SeveritySchema } from '../domain/severity.ts';
import { IdSchema, InstantSchema } from './common.ts';
import { checkValue, type Checked } from './schema-errors.ts';

export const ALERT_STATUSES = ['open', 'cleared'] as const;

export const AlertSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$',
      description: 'Unique alert id (stable across open → cleared)',
    }),
    type: Type.String({
      pattern: '^[A-Z][A-Z0-9_]{0,63}$',
      description:
        'LOW_RECEIPT_RATE, LOW_VOLTAGE, HIGH_VOLTAGE, TRANSFORMER_OUTAGE, METER_COMM_LOSS or an event name',
    }),
    source: AlertSourceSchema,
    severity: SeveritySchema,
    entity_type: AlertEntityTypeSchema,
    entity_id: IdSchema,
    status: Type.Union(ALERT_STATUSES.map((s) => Type.Literal(s))),
    opened_at: InstantSchema,
    cleared_at: Type.Union([InstantSchema, Type.Null()]),
    value: Type.Union([Type.Number(), Type.Null()], {
      description:
        'Measured value that broke the rule: receipt rate %, voltage V, meters in outage, missed intervals, event code',
    }),
    detail: Type.String({ maxLength: 1000, description: 'Human-readable explanation' }),
    window_start: Type.Optional(
      Type.Union([InstantSchema, Type.Null()], { description: 'Evaluated window, when windowed' }),
    ),
    window_end: Type.Optional(Type.Union([InstantSchema, Type.Null()])),
    event_code: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 2_147_483_647 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type Alert = Static<typeof AlertSchema>;
export type AlertStatus = Alert['status'];

export const AlertCheck = TypeCompiler.Compile(AlertSchema);

/** Checks an alert record (e.g. read back from Redis or Kafka). */
export function validateAlert(value: unknown): Checked<Alert> {
  return checkValue(AlertCheck, value);
}

/** The deduplication key: one open alert per type and entity. */
export function alertDedupKey(alert: Pick<Alert, 'type' | 'entity_type' | 'entity_id'>): string {
  return `${alert.type}|${alert.entity_type}|${alert.entity_id}`;
}
