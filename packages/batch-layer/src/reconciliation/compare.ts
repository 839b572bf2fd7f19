/**
 * Reconciliation arithmetic (pure): per transformer and 15-minute window of one local day, the
 * provisional energy (realtime view) against the authoritative one (grid_15m), and why they differ.
 *
 * A window is compared when the provisional side is available (it always is for every window of the
 * day then: a window without reads counts 0 Wh on both sides). Equal windows need no explanation; a
 * differing window is explained by VEE when the authoritative side holds at least one interval VEE
 * changed in it — its estimates, edits, missing and outage intervals, and every read VEE rejected
 * (original_wh set, class not A) is one of those — otherwise it is unexplained (e.g. a late read
 * the batch has not rebuilt yet, or a bug). A head-end estimate VEE kept as received (class E,
 * method HEAD_END) is the same value in both views: it explains nothing, and is counted apart.
 * diff_wh = authoritative − provisional.
 */
import {
  RECONCILIATION_MAX_LISTED_WINDOWS,
  type ReconciliationReport,
  type TransformerReconciliation,
} from '@ami/shared/contracts';
import { formatIsoUtc, INTERVAL_MS } from '@ami/shared/time';

/** The authoritative side of one transformer-day, one element per window of the day. */
export interface AuthoritativeTransformerDay {
  readonly transformerId: string;
  /** grid_15m wh per window (0 where the view has no row). */
  readonly wh: readonly number[];
  /**
   * Intervals VEE changed (class E/M/X/O, head-end estimates kept as received excepted) of the
   * transformer's meters per window (intervals_validated).
   */
  readonly veeIntervals: readonly number[];
  /** Head-end estimates kept as received (method HEAD_END) per window. */
  readonly headEndEstimates: readonly number[];
}

export interface ReconciliationInput {
  readonly date: string;
  readonly timeZone: string;
  readonly generatedAtMs: number;
  readonly catalogVersion: string;
  /** Start of the day's first window (UTC ms) and the number of windows (92/96/100). */
  readonly firstWindowMs: number;
  readonly windows: number;
  readonly authoritative: readonly AuthoritativeTransformerDay[];
  /** Provisional wh per window by transformer; null = the realtime view does not hold the day. */
  readonly provisional: ReadonlyMap<string, readonly number[]> | null;
}

const sum = (xs: readonly number[], n: number): number => {
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i] ?? 0;
  return s;
};

/** Windows among the first `n` whose count is above 0. */
function windowsWith(counts: readonly number[], n: number): number {
  let w = 0;
  for (let i = 0; i < n; i++) if ((counts[i] ?? 0) > 0) w++;
  return w;
}

/** One transformer's figures (provisional null = unavailable). */
export function compareTransformerDay(
  auth: AuthoritativeTransformerDay,
  provisional: readonly number[] | null,
  firstWindowMs: number,
  windows: number,
): TransformerReconciliation {
  const authoritativeWh = sum(auth.wh, windows);
  const withVee = windowsWith(auth.veeIntervals, windows);
  const withHeadEnd = windowsWith(auth.headEndEstimates, windows);
  if (provisional === null) {
    return {
      transformer_id: auth.transformerId,
      provisional_wh: null,
      authoritative_wh: authoritativeWh,
      diff_wh: null,
      windows_compared: null,
      windows_equal: null,
      windows_explained: null,
      windows_unexplained: null,
      windows_with_vee_changes: withVee,
      windows_with_head_end_estimates: withHeadEnd,
      unexplained_windows: [],
    };
  }
  let equal = 0;
  let explained = 0;
  let unexplained = 0;
  const listed: string[] = [];
  for (let i = 0; i < windows; i++) {
    if ((auth.wh[i] ?? 0) === (provisional[i] ?? 0)) equal++;
    else if ((auth.veeIntervals[i] ?? 0) > 0) explained++;
    else {
      unexplained++;
      if (listed.length < RECONCILIATION_MAX_LISTED_WINDOWS)
        listed.push(formatIsoUtc(firstWindowMs + i * INTERVAL_MS));
    }
  }
  const provisionalWh = sum(provisional, windows);
  return {
    transformer_id: auth.transformerId,
    provisional_wh: provisionalWh,
    authoritative_wh: authoritativeWh,
    diff_wh: authoritativeWh - provisionalWh,
    windows_compared: windows,
    windows_equal: equal,
    windows_explained: explained,
    windows_unexplained: unexplained,
    windows_with_vee_changes: withVee,
    windows_with_head_end_estimates: withHeadEnd,
    unexplained_windows: listed,
  };
}

/**
 * The whole day's report. Transformers: every one of the authoritative side, plus those only the
 * provisional side has (authoritative 0 Wh, nothing explained). Sorted by id.
 */
export function buildReconciliationReport(input: ReconciliationInput): ReconciliationReport {
  const byId = new Map(input.authoritative.map((a) => [a.transformerId, a]));
  for (const id of input.provisional?.keys() ?? [])
    if (!byId.has(id)) byId.set(id, { transformerId: id, wh: [], veeIntervals: [], headEndEstimates: [] });
  const ids = [...byId.keys()].sort();
  const transformers = ids.map((id) =>
    compareTransformerDay(
      byId.get(id) as AuthoritativeTransformerDay,
      input.provisional === null ? null : (input.provisional.get(id) ?? []),
      input.firstWindowMs,
      input.windows,
    ),
  );
  const available = input.provisional !== null;
  const total = (f: (t: TransformerReconciliation) => number | null): number | null =>
    available ? transformers.reduce((s, t) => s + (f(t) ?? 0), 0) : null;
  return {
    date: input.date,
    time_zone: input.timeZone,
    generated_at: formatIsoUtc(input.generatedAtMs),
    catalog_version: input.catalogVersion,
    provisional: available ? 'available' : 'unavailable',
    windows_in_day: input.windows,
    totals: {
      transformers: transformers.length,
      provisional_wh: total((t) => t.provisional_wh),
      authoritative_wh: transformers.reduce((s, t) => s + t.authoritative_wh, 0),
      diff_wh: total((t) => t.diff_wh),
      windows_compared: total((t) => t.windows_compared),
      windows_equal: total((t) => t.windows_equal),
      windows_explained: total((t) => t.windows_explained),
      windows_unexplained: total((t) => t.windows_unexplained),
    },
    transformers,
  };
}
