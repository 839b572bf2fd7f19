/**
 * Reconciliation report (SPEC 5 "Reconciliation", SPEC 6 `GET /v1/reconciliation?date`): per local
 * day and transformer, provisional energy (speed layer's realtime view) against authoritative energy
 * (batch view grid_15m), window by window (15 minutes), with the differing windows split into those
 * VEE explains (the window holds intervals VEE estimated, edited, left missing or outage-filled, or
 * reads VEE rejected) and unexplained ones. A head-end estimate VEE kept as received (method
 * HEAD_END) is the same value on both sides, so it explains no difference; windows holding one are
 * counted apart (windows_with_head_end_estimates).
 *
 * When the realtime view no longer holds the day (retention) or never did, `provisional` is
 * 'unavailable' and every provisional-side figure is null — never zeros.
 * diff_wh = authoritative_wh − provisional_wh.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { IdSchema, InstantSchema, LocalDateSchema } from './common.ts';
import { checkValue, type Checked } from './schema-errors.ts';

/** Unexplained window starts listed per transformer (the count is always complete). */
export const RECONCILIATION_MAX_LISTED_WINDOWS = 100;

const Wh = Type.Integer();
const NullableWh = Type.Union([Type.Integer(), Type.Null()]);
const NullableCount = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

const FiguresProperties = {
  provisional_wh: NullableWh,
  authoritative_wh: Wh,
  diff_wh: NullableWh,
  /** Windows of the day compared (null when the provisional side is unavailable). */
  windows_compared: NullableCount,
  windows_equal: NullableCount,
  /** Differing windows VEE explains (estimates, edits, missing, outage, rejected reads). */
  windows_explained: NullableCount,
  windows_unexplained: NullableCount,
};

export const TransformerReconciliationSchema = Type.Object(
  {
    transformer_id: IdSchema,
    ...FiguresProperties,
    /**
     * Windows (authoritative side) holding intervals VEE changed: class E/M/X/O other than head-end
     * estimates kept as received, including reads VEE rejected.
     */
    windows_with_vee_changes: Type.Integer({ minimum: 0 }),
    /**
     * Windows (authoritative side) holding head-end estimates VEE kept as received (estimated_flag,
     * method HEAD_END). Absent in reports made before it existed.
     */
    windows_with_head_end_estimates: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Starts of unexplained differing windows, at most RECONCILIATION_MAX_LISTED_WINDOWS. */
    unexplained_windows: Type.Array(InstantSchema, { maxItems: RECONCILIATION_MAX_LISTED_WINDOWS }),
  },
  { additionalProperties: false },
);
export type TransformerReconciliation = Static<typeof TransformerReconciliationSchema>;

export const ReconciliationReportSchema = Type.Object(
  {
    date: LocalDateSchema,
    time_zone: Type.String({ minLength: 1 }),
    generated_at: InstantSchema,
    /** Catalog version the authoritative side was read from. */
    catalog_version: Type.String({ pattern: '^v[1-9][0-9]*$' }),
    provisional: Type.Union([Type.Literal('available'), Type.Literal('unavailable')]),
    /** 15-minute windows of the local day (92, 96 or 100). */
    windows_in_day: Type.Integer({ minimum: 1 }),
    totals: Type.Object(
      { transformers: Type.Integer({ minimum: 0 }), ...FiguresProperties },
      {
        additionalProperties: false,
      },
    ),
    transformers: Type.Array(TransformerReconciliationSchema),
  },
  { additionalProperties: false },
);
export type ReconciliationReport = Static<typeof ReconciliationReportSchema>;

export const ReconciliationReportCheck = TypeCompiler.Compile(ReconciliationReportSchema);

export function validateReconciliationReport(value: unknown): Checked<ReconciliationReport> {
  return checkValue(ReconciliationReportCheck, value);
}
