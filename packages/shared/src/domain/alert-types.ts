/**
 * Alert types of the speed layer (SPEC 4, seed rules): what raises them, on which entity, with which
 * default severity and to which topic they go. Grid alerts (COMM, VOLTAGE, OUTAGE) go to
 * `ami.alerts.grid`, EVENT alerts to `ami.alerts.events` (topic names configurable, see TopicConfig).
 * An EVENT alert's type is the event code's name (e.g. TAMPER_COVER_OPEN) and its severity is the
 * code's severity, so the set of EVENT alert types follows the configured event code table.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { TopicConfig } from '../config/index.ts';
import type { EventCodeTable } from './event-codes.ts';
import type { Severity } from './severity.ts';

export const ALERT_SOURCES = ['COMM', 'VOLTAGE', 'EVENT', 'OUTAGE'] as const;
export const AlertSourceSchema = Type.Union(ALERT_SOURCES.map((s) => Type.Literal(s)));
export type AlertSource = Static<typeof AlertSourceSchema>;

/** Entities an alert can be about. */
export const ALERT_ENTITY_TYPES = ['meter', 'transformer', 'feeder', 'substation', 'region'] as const;
export const AlertEntityTypeSchema = Type.Union(ALERT_ENTITY_TYPES.map((s) => Type.Literal(s)));
export type AlertEntityType = Static<typeof AlertEntityTypeSchema>;

/** The alert types that do not come from the event code table. */
export const GRID_ALERT_TYPES = [
  'LOW_RECEIPT_RATE',
  'LOW_VOLTAGE',
  'HIGH_VOLTAGE',
  'TRANSFORMER_OUTAGE',
  'METER_COMM_LOSS',
] as const;
export type GridAlertType = (typeof GRID_ALERT_TYPES)[number];

/** Which TopicConfig entry an alert is published to. */
export type AlertTopicKey = 'alertsGrid' | 'alertsEvents';

export interface AlertTypeDef {
  readonly type: string;
  readonly source: AlertSource;
  readonly entityType: AlertEntityType;
  readonly defaultSeverity: Severity;
  readonly topicKey: AlertTopicKey;
  /** One line for docs and dashboards. */
  readonly description: string;
}

export const GRID_ALERT_TYPE_DEFS: Readonly<Record<GridAlertType, AlertTypeDef>> = {
  LOW_RECEIPT_RATE: {
    type: 'LOW_RECEIPT_RATE',
    source: 'COMM',
    entityType: 'transformer',
    defaultSeverity: 'WARNING',
    topicKey: 'alertsGrid',
    description:
      "Share of a transformer's active meters that reported in a 15-minute window is below the threshold",
  },
  LOW_VOLTAGE: {
    type: 'LOW_VOLTAGE',
    source: 'VOLTAGE',
    entityType: 'transformer',
    defaultSeverity: 'WARNING',
    topicKey: 'alertsGrid',
    description: "Minimum interval voltage of a transformer's meters in a window is below the low limit",
  },
  HIGH_VOLTAGE: {
    type: 'HIGH_VOLTAGE',
    source: 'VOLTAGE',
    entityType: 'transformer',
    defaultSeverity: 'WARNING',
    topicKey: 'alertsGrid',
    description: "Maximum interval voltage of a transformer's meters in a window is above the high limit",
  },
  TRANSFORMER_OUTAGE: {
    type: 'TRANSFORMER_OUTAGE',
    source: 'OUTAGE',
    entityType: 'transformer',
    defaultSeverity: 'CRITICAL',
    topicKey: 'alertsGrid',
    description:
      'Enough meters of a transformer sent a last gasp within the outage window; cleared by restores',
  },
  METER_COMM_LOSS: {
    type: 'METER_COMM_LOSS',
    source: 'COMM',
    entityType: 'meter',
    defaultSeverity: 'WARNING',
    topicKey: 'alertsGrid',
    description: 'A meter missed consecutive intervals while its transformer kept reporting',
  },
};

/** Topic key of an alert source: EVENT alerts go to the events topic, all others to the grid topic. */
export function alertTopicKey(source: AlertSource): AlertTopicKey {
  return source === 'EVENT' ? 'alertsEvents' : 'alertsGrid';
}

/** Topic name an alert of `source` is published to, under the configured topic names. */
export function alertTopicOf(source: AlertSource, topics: Pick<TopicConfig, AlertTopicKey>): string {
  return topics[alertTopicKey(source)];
}

/** Every alert type: the grid types, then one EVENT type per event code with `alert: true`. */
export function alertTypeCatalog(eventCodes: EventCodeTable): readonly AlertTypeDef[] {
  const eventTypes = eventCodes.codes
    .filter((def) => def.alert)
    .map((def): AlertTypeDef => ({
      type: def.name,
      source: 'EVENT',
      entityType: 'meter',
      defaultSeverity: def.severity,
      topicKey: 'alertsEvents',
      description: `Meter event ${def.code}: ${def.description}`,
    }));
  return [...GRID_ALERT_TYPES.map((t) => GRID_ALERT_TYPE_DEFS[t]), ...eventTypes];
}

/** Definition of an alert type by name, or undefined. */
export function alertTypeDef(type: string, eventCodes: EventCodeTable): AlertTypeDef | undefined {
  return alertTypeCatalog(eventCodes).find((d) => d.type === type);
}
