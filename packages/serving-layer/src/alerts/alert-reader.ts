/**
 * The alert list of GET /v1/alerts over the speed layer's alert store, read through its contract
 * (`AlertView` of @ami/speed-layer/realtime-view): the open alerts and the history of transitions,
 * with the list filters (severity, source, since) and ordering of the API. Filtering and sorting are
 * pure; the reads are the contract's.
 */
import type { RedisClient } from '@ami/shared/clients';
import type { Alert } from '@ami/shared/contracts';
import type { AlertSource, Severity } from '@ami/shared/domain';
import { parseIsoInstant } from '@ami/shared/time';
import {
  ALERT_STREAM_ID_PATTERN,
  AlertView,
  isAlertStreamId,
  type AlertHistoryEntry,
  type AlertHistoryPage,
  type AlertTransitionName,
} from '@ami/speed-layer/realtime-view';

/** SSE event names / list labels of the two transitions. */
export type TransitionName = AlertTransitionName;

/** One history entry: its stream id, the transition and the alert record written with it. */
export type HistoryEntry = AlertHistoryEntry;

export type HistoryPage = AlertHistoryPage;

export interface AlertFilter {
  readonly severity?: Severity;
  readonly source?: AlertSource;
  /** Epoch ms: only transitions at or after it (opened_at of an open, cleared_at of a clear). */
  readonly sinceMs?: number;
}

/** History entry ids (the SSE event ids a client resumes from). */
export const STREAM_ID_PATTERN = ALERT_STREAM_ID_PATTERN;

export function isStreamId(s: string): boolean {
  return isAlertStreamId(s);
}

/** The alert store of `prefix` (AMI_ALERT_KEY_PREFIX; throws RangeError on a bad prefix). */
export function alertViewOf(redis: RedisClient, prefix: string): AlertView {
  return new AlertView({ redis, keyPrefix: prefix });
}

/** Event time of a transition: opened_at of an open, cleared_at of a clear. */
export function transitionAtMs(e: Pick<HistoryEntry, 'transition' | 'alert'>): number {
  const at = e.transition === 'cleared' ? (e.alert.cleared_at ?? e.alert.opened_at) : e.alert.opened_at;
  return parseIsoInstant(at);
}

export function matchesFilter(e: Pick<HistoryEntry, 'transition' | 'alert'>, f: AlertFilter): boolean {
  if (f.severity !== undefined && e.alert.severity !== f.severity) return false;
  if (f.source !== undefined && e.alert.source !== f.source) return false;
  if (f.sinceMs !== undefined && transitionAtMs(e) < f.sinceMs) return false;
  return true;
}

/** Where a page of open alerts starts: after this alert in the list's order (newest opened first). */
export interface OpenAlertsCursor {
  readonly openedAtMs: number;
  readonly id: string;
}

/** The list's order: newest opened_at first, then by id. */
function compareOpen(a: OpenAlertsCursor, b: OpenAlertsCursor): number {
  return b.openedAtMs - a.openedAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A page of open alerts and how many match from its start on (`total`). */
export interface OpenAlertsPage {
  readonly alerts: Alert[];
  readonly total: number;
}

/**
 * Open alerts matching `f`, newest opened_at first (then by id), after `after` when given: the first
 * `limit` of them and how many there are.
 */
export async function readOpenAlerts(
  alerts: AlertView,
  f: AlertFilter,
  limit: number,
  after?: OpenAlertsCursor,
): Promise<OpenAlertsPage> {
  const keyed = (await alerts.active())
    .filter((alert) => matchesFilter({ transition: 'opened', alert }, f))
    .map((alert) => ({ alert, key: { openedAtMs: parseIsoInstant(alert.opened_at), id: alert.id } }))
    .filter((x) => after === undefined || compareOpen(after, x.key) < 0);
  keyed.sort((a, b) => compareOpen(a.key, b.key));
  return { alerts: keyed.slice(0, limit).map((x) => x.alert), total: keyed.length };
}

/**
 * History transitions matching `f` (and `only` when given), newest first, older than `beforeId` when
 * given, at most `limit`; counts every match (`matched`) reading at most `maxScan` entries
 * (`truncated` when that bound stopped the scan).
 */
export function readHistory(
  alerts: AlertView,
  f: AlertFilter,
  only: TransitionName | undefined,
  page: { readonly limit: number; readonly maxScan: number; readonly beforeId?: string },
): Promise<HistoryPage> {
  return alerts.history({
    ...(f.sinceMs !== undefined ? { sinceMs: f.sinceMs } : {}),
    ...(page.beforeId !== undefined ? { beforeId: page.beforeId } : {}),
    limit: page.limit,
    maxScan: page.maxScan,
    countAll: true,
    accept: (e) => (only === undefined || e.transition === only) && matchesFilter(e, f),
  });
}
