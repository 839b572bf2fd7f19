/**
 * Manual edits and storm releases (SPEC 5 "editing", SPEC 6 `POST/GET /v1/edits`): the records of
 * the append-only, audited edit store of the batch layer. An edit replaces one 15-minute interval's
 * energy of one meter; `original_wh` keeps the value the editor saw (null when there was none), and
 * `who`/`at`/`reason` make it auditable. A storm release lifts storm mode (estimation suspended) for
 * one feeder or region on one local day.
 *
 * Records are stored as written and never changed; instants are stored in UTC ('…Z').
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { IdSchema, InboundInstantSchema, InstantSchema, LocalDateSchema } from './common.ts';
import { checkValue, type Checked } from './schema-errors.ts';

/** Longest edit or release reason (characters). */
export const EDIT_REASON_MAX_LENGTH = 500;
/** Longest `who` (a user or API-key name). */
export const EDIT_WHO_MAX_LENGTH = 128;
/** Largest |wh| of an edit: the Int32 range VEE and the views store. */
export const EDIT_WH_MAX = 2_147_483_647;

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const UuidSchema = Type.String({ pattern: UUID_PATTERN, description: 'lowercase UUID' });

const WhSchema = Type.Integer({ minimum: -EDIT_WH_MAX, maximum: EDIT_WH_MAX, description: 'Energy, Wh' });
const ReasonSchema = Type.String({ minLength: 1, maxLength: EDIT_REASON_MAX_LENGTH, pattern: '\\S' });
const WhoSchema = Type.String({ minLength: 1, maxLength: EDIT_WHO_MAX_LENGTH, pattern: '\\S' });

/** What an editor sends (the API adds `who` from the authenticated key). */
export const EditRequestSchema = Type.Object(
  {
    meter_id: IdSchema,
    interval_start: InboundInstantSchema,
    wh: WhSchema,
    reason: ReasonSchema,
    /** The value the editor saw (null: there was no read). */
    original_wh: Type.Optional(Type.Union([WhSchema, Type.Null()])),
  },
  { additionalProperties: false },
);
export type EditRequest = Static<typeof EditRequestSchema>;

/** One stored manual edit. */
export const EditRecordSchema = Type.Object(
  {
    edit_id: UuidSchema,
    meter_id: IdSchema,
    /** Start of the edited interval (UTC, aligned to 15 minutes). */
    interval_start: InstantSchema,
    wh: WhSchema,
    reason: ReasonSchema,
    who: WhoSchema,
    /** When the edit was made (UTC). */
    at: InstantSchema,
    original_wh: Type.Union([WhSchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type EditRecord = Static<typeof EditRecordSchema>;

export const EditRecordCheck = TypeCompiler.Compile(EditRecordSchema);
export const EditRequestCheck = TypeCompiler.Compile(EditRequestSchema);

export function validateEditRecord(value: unknown): Checked<EditRecord> {
  return checkValue(EditRecordCheck, value);
}

export function validateEditRequest(value: unknown): Checked<EditRequest> {
  return checkValue(EditRequestCheck, value);
}

export const STORM_RELEASE_LEVELS = ['feeder', 'region'] as const;
export type StormReleaseLevel = (typeof STORM_RELEASE_LEVELS)[number];

/** An operator's release of a feeder or region from storm mode for one local day. */
export const StormReleaseRecordSchema = Type.Object(
  {
    release_id: UuidSchema,
    level: Type.Union(STORM_RELEASE_LEVELS.map((l) => Type.Literal(l))),
    entity_id: IdSchema,
    /** The local day released (AMI_TIMEZONE). */
    date: LocalDateSchema,
    reason: ReasonSchema,
    who: WhoSchema,
    at: InstantSchema,
  },
  { additionalProperties: false },
);
export type StormReleaseRecord = Static<typeof StormReleaseRecordSchema>;

export const StormReleaseRecordCheck = TypeCompiler.Compile(StormReleaseRecordSchema);

export function validateStormReleaseRecord(value: unknown): Checked<StormReleaseRecord> {
  return checkValue(StormReleaseRecordCheck, value);
}
