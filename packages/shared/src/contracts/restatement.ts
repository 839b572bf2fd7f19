/**
 * Restatement notice (SPEC 5): published on `ami.batch.restatements` (key `view/local_date`) when an
 * already published authoritative day of a view changes, so billing can re-pull determinants.
 *
 * The affected service points are listed sorted and unique, at most RESTATEMENT_MAX_LISTED of them
 * (so a notice stays far below Kafka's message limit); affected_service_point_count is always the
 * full number. When the count is larger than the list, treat every service point of the day as
 * possibly affected.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { formatIsoUtc } from '../time/index.ts';
import { IdSchema, InstantSchema, LocalDateSchema } from './common.ts';
import { checkValue, type Checked } from './schema-errors.ts';

/** Authoritative views of the batch layer (SPEC 5). */
export const VIEW_NAMES = [
  'intervals_validated',
  'meter_hourly',
  'meter_daily',
  'meter_monthly',
  'grid_15m',
  'grid_daily',
  'billing_determinants',
] as const;
export const ViewNameSchema = Type.Union(VIEW_NAMES.map((v) => Type.Literal(v)));
export type ViewName = Static<typeof ViewNameSchema>;

export const RESTATEMENT_CAUSES = ['late_data', 'edit', 'backfill', 'rollback'] as const;
export type RestatementCause = (typeof RESTATEMENT_CAUSES)[number];

export const RESTATEMENT_MAX_LISTED = 10_000;

const VersionIdSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
  description: 'Published view version identifier',
});

export const RestatementNoticeSchema = Type.Object(
  {
    view: ViewNameSchema,
    local_date: LocalDateSchema,
    old_version: VersionIdSchema,
    new_version: VersionIdSchema,
    affected_service_point_ids: Type.Array(IdSchema, { maxItems: RESTATEMENT_MAX_LISTED }),
    affected_service_point_count: Type.Integer({ minimum: 0 }),
    cause: Type.Union(RESTATEMENT_CAUSES.map((c) => Type.Literal(c))),
    published_at: InstantSchema,
  },
  { additionalProperties: false },
);
export type RestatementNotice = Static<typeof RestatementNoticeSchema>;

export const RestatementNoticeCheck = TypeCompiler.Compile(RestatementNoticeSchema);

export function validateRestatementNotice(value: unknown): Checked<RestatementNotice> {
  return checkValue(RestatementNoticeCheck, value);
}

/** Kafka key of a notice: 'view/local_date'. */
export function restatementKey(notice: Pick<RestatementNotice, 'view' | 'local_date'>): string {
  return `${notice.view}/${notice.local_date}`;
}

export interface RestatementInput {
  readonly view: ViewName;
  readonly localDate: string;
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly affectedServicePointIds: Iterable<string>;
  readonly cause: RestatementCause;
  readonly publishedAtMs: number;
}

/** Builds a notice: ids sorted and unique, listed up to RESTATEMENT_MAX_LISTED, full count kept. */
export function makeRestatementNotice(input: RestatementInput): RestatementNotice {
  const ids = [...new Set(input.affectedServicePointIds)].sort();
  return {
    view: input.view,
    local_date: input.localDate,
    old_version: input.oldVersion,
    new_version: input.newVersion,
    affected_service_point_ids:
      ids.length > RESTATEMENT_MAX_LISTED ? ids.slice(0, RESTATEMENT_MAX_LISTED) : ids,
    affected_service_point_count: ids.length,
    cause: input.cause,
    published_at: formatIsoUtc(input.publishedAtMs),
  };
}
