/**
 * Reconciliation of one local day (SPEC 5, SPEC 6 `GET /v1/reconciliation?date`): loads the
 * authoritative side from the pinned catalog (grid_15m level 'transformer'; intervals_validated
 * joined with meter_daily's transformer_id for the VEE and head-end-estimate counts) with DuckDB, the
 * provisional side from the speed layer's realtime view in Redis (`RealtimeView.gridDay` per
 * transformer, through @ami/speed-layer/realtime-view), compares them (compare.ts), validates the report and stores it as
 * `<prefix>reconciliation/date=D.json`.
 *
 * Provisional availability (`RealtimeView.isDateAvailable`): the day is available while the realtime
 * view still holds it and its retention has not moved past it; otherwise (expired, or never held)
 * the report says 'unavailable' instead of reporting zeros.
 * Transformers: those of grid_15m plus `extraTransformerIds` (e.g. from topology) — the realtime
 * view cannot be enumerated without a key scan, so a transformer only Redis knows is compared only
 * when listed there.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sqlPath, withConnection, type DuckDBInstance, type RedisClient } from '@ami/shared/clients';
import { datePartition, s3Status, type CatalogReader, type PinnedCatalog } from '@ami/shared/catalog';
import { validateReconciliationReport, type ReconciliationReport } from '@ami/shared/contracts';
import {
  intervalIndexInLocalDay,
  intervalsInLocalDay,
  isValidLocalDate,
  localDayBounds,
} from '@ami/shared/time';
import { RealtimeView } from '@ami/speed-layer/realtime-view';
import { M_HEAD_END, METHODS } from '../vee/codes.ts';
import { buildReconciliationReport, type AuthoritativeTransformerDay } from './compare.ts';

const HEAD_END = METHODS[M_HEAD_END];

export class ReconciliationUnavailableError extends Error {
  constructor(
    readonly date: string,
    detail: string,
  ) {
    super(`cannot reconcile ${date}: ${detail}`);
    this.name = 'ReconciliationUnavailableError';
  }
}

export interface RealtimeViewSource {
  readonly redis: RedisClient;
  /** AMI_SPEED_KEY_PREFIX. */
  readonly keyPrefix: string;
  /** Partitions of the reads topic (the realtime view keeps one key set per partition). */
  readonly partitions: number;
}

export interface ReconcileDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** AMI_RECONCILIATION_PREFIX. */
  readonly prefix: string;
  readonly timeZone: string;
  readonly catalog: CatalogReader;
  readonly db: DuckDBInstance;
  readonly realtime: RealtimeViewSource;
  readonly now?: () => number;
}

export function reconciliationReportKey(prefix: string, date: string): string {
  if (!isValidLocalDate(date)) throw new RangeError(`invalid local date: ${JSON.stringify(date)}`);
  return `${prefix}reconciliation/date=${date}.json`;
}

const list = (paths: readonly string[]) => `[${paths.map(sqlPath).join(', ')}]`;
const src = (paths: readonly string[]) => `read_parquet(${list(paths)}, hive_partitioning = false)`;

/** grid_15m transformer windows and VEE counts of one published day. */
export async function loadAuthoritative(
  pinned: PinnedCatalog,
  db: DuckDBInstance,
  date: string,
  timeZone: string,
): Promise<AuthoritativeTransformerDay[]> {
  const partition = datePartition(date);
  const grid = await pinned.localFiles('grid_15m', [partition]);
  const validated = await pinned.localFiles('intervals_validated', [partition]);
  const daily = await pinned.localFiles('meter_daily', [partition]);
  const missing = [grid, validated, daily].flatMap((v) => v.missing);
  if (missing.length > 0)
    throw new ReconciliationUnavailableError(date, `catalog ${pinned.version ?? '(empty)'} lacks it`);
  const windows = intervalsInLocalDay(date, timeZone);
  const days = new Map<string, { wh: number[]; veeIntervals: number[]; headEndEstimates: number[] }>();
  const zeros = () => new Array<number>(windows).fill(0);
  const dayOf = (id: string) => {
    let d = days.get(id);
    if (!d) {
      d = { wh: zeros(), veeIntervals: zeros(), headEndEstimates: zeros() };
      days.set(id, d);
    }
    return d;
  };
  const slotOf = (ms: number) => {
    const i = intervalIndexInLocalDay(ms, timeZone);
    if (i < 0 || i >= windows) throw new Error(`window ${new Date(ms).toISOString()} is not in ${date}`);
    return i;
  };
  await withConnection(db, async (c) => {
    if (grid.paths.length > 0) {
      const r = await c.runAndReadAll(
        `SELECT entity_id, epoch_ms(interval_start) AS ms, sum(wh) AS wh FROM ${src(grid.paths)}
         WHERE level = 'transformer' GROUP BY ALL`,
      );
      for (const [id, ms, wh] of r.getRows()) dayOf(String(id)).wh[slotOf(Number(ms))] = Number(wh);
    }
    if (validated.paths.length > 0 && daily.paths.length > 0) {
      // Rejected reads (original_wh set, class not A) are among the VEE changes counted here; a
      // head-end estimate kept as received (method HEAD_END) is not a change VEE made.
      const r = await c.runAndReadAll(
        `SELECT m.transformer_id, epoch_ms(v.interval_start) AS ms,
                count_if(v.method IS DISTINCT FROM '${HEAD_END}') AS vee,
                count_if(v.method = '${HEAD_END}') AS head_end
         FROM ${src(validated.paths)} v
         JOIN (SELECT DISTINCT meter_id, transformer_id FROM ${src(daily.paths)}) m USING (meter_id)
         WHERE v.quality <> 'A' AND m.transformer_id IS NOT NULL
         GROUP BY ALL`,
      );
      for (const [id, ms, vee, headEnd] of r.getRows()) {
        const d = dayOf(String(id));
        const i = slotOf(Number(ms));
        d.veeIntervals[i] = Number(vee);
        d.headEndEstimates[i] = Number(headEnd);
      }
    }
  });
  return [...days.entries()].map(([transformerId, d]) => ({ transformerId, ...d }));
}

/** Provisional wh per window of each transformer, or null when the day is unavailable. */
export async function loadProvisional(
  view: RealtimeView,
  date: string,
  windows: number,
  transformerIds: readonly string[],
): Promise<Map<string, number[]> | null> {
  if (!(await view.isDateAvailable(date))) return null;
  const out = new Map<string, number[]>();
  for (const id of transformerIds) {
    const day = await view.gridDay('transformer', id, date);
    out.set(
      id,
      day.slice(0, windows).map((w) => w.energyWh),
    );
  }
  return out;
}

/** Computes, validates and stores the report of `date`; returns it. */
export async function reconcileDay(
  deps: ReconcileDeps,
  date: string,
  options: { readonly extraTransformerIds?: readonly string[] } = {},
): Promise<ReconciliationReport> {
  if (!isValidLocalDate(date)) throw new RangeError(`invalid local date: ${JSON.stringify(date)}`);
  const report = await deps.catalog.withPinned(async (pinned) => {
    const authoritative = await loadAuthoritative(pinned, deps.db, date, deps.timeZone);
    const windows = intervalsInLocalDay(date, deps.timeZone);
    const ids = [
      ...new Set([...authoritative.map((a) => a.transformerId), ...(options.extraTransformerIds ?? [])]),
    ];
    const view = new RealtimeView({ ...deps.realtime, timeZone: deps.timeZone });
    const provisional = await loadProvisional(view, date, windows, ids);
    return buildReconciliationReport({
      date,
      timeZone: deps.timeZone,
      generatedAtMs: (deps.now ?? Date.now)(),
      catalogVersion: pinned.version as string,
      firstWindowMs: localDayBounds(date, deps.timeZone).startMs,
      windows,
      authoritative,
      provisional,
    });
  });
  const checked = validateReconciliationReport(report);
  if (!checked.ok) throw new Error(`reconciliation report for ${date} is invalid: ${checked.detail}`);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: reconciliationReportKey(deps.prefix, date),
      Body: JSON.stringify(checked.value) + '\n',
      ContentType: 'application/json',
    }),
  );
  return checked.value;
}

/** The last stored report of `date`, or null when none was made. */
export async function readReconciliationReport(
  s3: S3Client,
  bucket: string,
  prefix: string,
  date: string,
): Promise<ReconciliationReport | null> {
  try {
    const res = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: reconciliationReportKey(prefix, date) }),
    );
    const checked = validateReconciliationReport(JSON.parse((await res.Body?.transformToString()) ?? 'null'));
    if (!checked.ok)
      throw new Error(`stored reconciliation report for ${date} is invalid: ${checked.detail}`);
    return checked.value;
  } catch (err) {
    if (s3Status(err) === 404) return null;
    throw err;
  }
}
