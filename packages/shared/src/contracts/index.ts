/**
 * @ami/shared/contracts — the data contracts both layers stand on (SPEC 3): TypeBox schemas with
 * compiled validators for reads, events, alerts, topology rows, DLQ records and restatement notices;
 * message validation with machine-readable reason codes; the identity and latest-wins rule of reads.
 */
export {
  ID_MAX_LENGTH,
  ID_PATTERN,
  IdSchema,
  InboundInstantSchema,
  InstantSchema,
  LocalDateSchema,
} from './common.ts';
export {
  REASON_CODES,
  REASON_CODE_LIST,
  SPEC8_FAULTS_NOT_REJECTED,
  failure,
  reasonCodeTableMarkdown,
  type ReasonCode,
  type ValidationFailure,
} from './reasons.ts';
export { checkValue, schemaKeyword, schemaViolation, type Checked } from './schema-errors.ts';
export { DEFAULT_MAX_MESSAGE_BYTES, decodeJsonObject, type Decoded } from './message.ts';
export { checkMeterPartition, type MeterPartitionContext } from './partition.ts';
export {
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MIN_PLAUSIBLE_INSTANT_MS,
  DEFAULT_READ_LIMITS,
  loadValidationConfig,
  validationSettings,
  type MessageLimits,
  type ReadLimits,
  type ValidationConfig,
} from './limits.ts';
export {
  DailyReadSchema,
  IntervalReadSchema,
  READ_TYPES,
  ReadSchema,
  type DailyRead,
  type IntervalRead,
  type ParsedReadFields,
  type Read,
  type ReadType,
  type ValidDailyRead,
  type ValidIntervalRead,
  type ValidRead,
} from './read.ts';
export {
  DailyReadCheck,
  IntervalReadCheck,
  validateRead,
  type ReadValidation,
  type ReadValidationContext,
} from './validate-read.ts';
export {
  EventCheck,
  EventSchema,
  validateEvent,
  type EventValidation,
  type EventValidationContext,
  type MeterEvent,
  type ValidEvent,
} from './event.ts';
export {
  ALERT_STATUSES,
  AlertCheck,
  AlertSchema,
  alertDedupKey,
  validateAlert,
  type Alert,
  type AlertStatus,
} from './alert.ts';
export {
  TopologyRowCheck,
  TopologyRowSchema,
  buildTopologyIndex,
  checkKnownMeter,
  checkKnownMeterAt,
  validateTopologyRow,
  type KnownMeterCheck,
  type TopologyIndex,
  type TopologyRow,
} from './topology.ts';
export {
  DLQ_DETAIL_MAX,
  DLQ_STAGES,
  DlqRecordCheck,
  DlqRecordSchema,
  dlqPayloadBytes,
  makeDlqRecord,
  validateDlqRecord,
  type DlqInput,
  type DlqRecord,
  type DlqStage,
} from './dlq.ts';
export {
  RESTATEMENT_CAUSES,
  RESTATEMENT_MAX_LISTED,
  RestatementNoticeCheck,
  RestatementNoticeSchema,
  VIEW_NAMES,
  ViewNameSchema,
  makeRestatementNotice,
  restatementKey,
  validateRestatementNotice,
  type RestatementCause,
  type RestatementInput,
  type RestatementNotice,
  type ViewName,
} from './restatement.ts';
export {
  READ_VERSION_KEY_FORMAT,
  READ_VERSION_KEY_LENGTH,
  compareReadVersions,
  pickLatest,
  readIdentityKey,
  readVersionContent,
  readVersionKey,
  sameReadIdentity,
  versionDigest,
  versionDigestPrefix,
  type ReadIdentity,
  type ReadVersion,
} from './identity.ts';
export * from './edit.ts';
export * from './reconciliation.ts';
