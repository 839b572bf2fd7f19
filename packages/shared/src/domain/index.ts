/**
 * @ami/shared/domain — the configurable domain tables every layer shares: meter event codes
 * (SPEC 3.3), alert types and rule parameters (SPEC 4), the TOU calendar (SPEC 6), and loading them
 * from the environment.
 */
export { SEGMENTS, SegmentSchema, type Segment } from './segment.ts';
export { SEVERITIES, SeveritySchema, severityRank, type Severity } from './severity.ts';
export {
  DEFAULT_EVENT_CODES,
  EventCodeDefSchema,
  EventCodeFileSchema,
  buildEventCodeTable,
  defaultEventCodeTable,
  type EventCodeDef,
  type EventCodeTable,
} from './event-codes.ts';
export {
  ALERT_ENTITY_TYPES,
  ALERT_SOURCES,
  AlertEntityTypeSchema,
  AlertSourceSchema,
  GRID_ALERT_TYPES,
  GRID_ALERT_TYPE_DEFS,
  alertTopicKey,
  alertTopicOf,
  alertTypeCatalog,
  alertTypeDef,
  type AlertEntityType,
  type AlertSource,
  type AlertTopicKey,
  type AlertTypeDef,
  type GridAlertType,
} from './alert-types.ts';
export {
  DEFAULT_ALERT_RULES,
  alertRuleSettings,
  isCommLoss,
  isHighVoltage,
  isLowReceiptRate,
  isLowVoltage,
  isTransformerOutage,
  loadAlertRules,
  type AlertRuleParams,
} from './alert-rules.ts';
export {
  DEFAULT_TOU_CALENDAR,
  DEFAULT_TOU_CALENDAR_SPEC,
  TARIFFS,
  TOU_BUCKETS,
  TariffSchema,
  TouCalendarSpecSchema,
  TouWindowSpecSchema,
  compileTouCalendar,
  touBucketOf,
  touBucketsOf,
  type Tariff,
  type TouBucket,
  type TouCalendar,
  type TouCalendarSpec,
  type TouWindowSpec,
} from './tou.ts';
export { jsonFileParser } from './json-file.ts';
export { domainFileSettings, loadDomainConfig, type DomainConfig } from './config.ts';
