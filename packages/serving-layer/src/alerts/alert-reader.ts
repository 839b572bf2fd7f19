/**
 * Reading the speed layer's alert store (@ami/speed-layer alerts/keys.ts) for the API: the active
 * hash (open alerts) and the history stream (one entry per transition, `transition` = open|clear and
 * `alert` = JSON), with the list filters of GET /v1/alerts. Pure filtering, Redis reads at the edge;
 * every stored record is checked with the shared alert contract before it is returned.
 */
import type { RedisClient } from '@ami/shared/clients';
import { validateAlert, type Alert } from '@ami/shared/contracts';
import type { AlertSource, Severity } from '@ami/shared/domain';
import { parseIsoInstant } from '@ami/shared/time';
import { alertKeys, type AlertKeys } from '@ami/speed-layer/alerts/keys';

/** SSE event names / list labels of the two transitions. */
export type TransitionName = 'opened' | 'cleared';

/** One history entry: its stream id, the transition and the alert record written with it. */
export interface HistoryEntry {
  readonly streamId: string;
  readonly transition: TransitionName;
  readonly alert: Alert;
}

export interface AlertFilter {
  readonly severity?: Severity;
  readonly source?: AlertSource;
  /** Epoch ms: only transitions at or after it (opened_at of an open, cleared_at of a clear). */
  readonly sinceMs?: number;
}

/** Stream ids as Redis writes them: `<ms>-<seq>`. */
export const STREAM_ID_PATTERN = '^[0-9]{1,15}-[0-9]{1,15}$';
const STREAM_ID_RE = new RegExp(STREAM_ID_PATTERN);

export function isStreamId(s: string): boolean {
  return STREAM_ID_RE.test(s);
}

/** Keys of the store (throws RangeError on a bad prefix). */
export function storeKeys(prefix: string): AlertKeys {
  return alertKeys(prefix);
}

function parseAlert(json: string | undefined): Alert | undefined {
  if (json === undefined) return undefined;
  try {
    const checked = validateAlert(JSON.parse(json));
    return checked.ok ? checked.value : undefined;
  } catch {
    return undefined;
  }
}

/** A raw stream entry as ioredis returns it → HistoryEntry (undefined when malformed). */
export function historyEntryOf(id: string, fields: readonly string[]): HistoryEntry | undefined {
  let transition: string | undefined;
  let json: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'transition') transition = fields[i + 1];
    else if (fields[i] === 'alert') json = fields[i + 1];
  }
  if (transition !== 'open' && transition !== 'clear') return undefined;
  const alert = parseAlert(json);
  if (alert === undefined) return undefined;
  return { streamId: id, transition: transition === 'open' ? 'opened' : 'cleared', alert };
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

/** Open alerts (the active hash) matching `f`, newest opened_at first, at most `limit`. */
export async function readOpenAlerts(
  redis: RedisClient,
  keys: AlertKeys,
  f: AlertFilter,
  limit: number,
): Promise<Alert[]> {
  const all = await redis.hvals(keys.active);
  const out: Alert[] = [];
  for (const json of all) {
    const alert = parseAlert(json);
    if (alert !== undefined && matchesFilter({ transition: 'opened', alert }, f)) out.push(alert);
  }
  out.sort((a, b) => parseIsoInstant(b.opened_at) - parseIsoInstant(a.opened_at) || (a.id < b.id ? -1 : 1));
  return out.slice(0, limit);
}

export interface HistoryPage {
  readonly entries: HistoryEntry[];
  /** True when the scan stopped at `maxScan` entries before the stream (or `since`) was exhausted. */
  readonly truncated: boolean;
}

/**
 * History transitions matching `f` (and `only` when given), newest first, at most `limit`.
 * Scans XREVRANGE in pages and reads at most `maxScan` entries. With `sinceMs` the scan stops at
 * stream ids before it: an entry is written when its transition is decided, which is never before
 * the transition's event time (the watermark trails the clock), so older ids cannot match.
 */
export async function readHistory(
  redis: RedisClient,
  keys: AlertKeys,
  f: AlertFilter,
  only: TransitionName | undefined,
  limit: number,
  maxScan: number,
): Promise<HistoryPage> {
  const page = Math.min(500, maxScan);
  const floor = f.sinceMs === undefined ? '-' : String(f.sinceMs);
  let end = '+';
  let scanned = 0;
  const entries: HistoryEntry[] = [];
  for (;;) {
    const batch = await redis.xrevrange(keys.history, end, floor, 'COUNT', page);
    for (const [id, fields] of batch) {
      scanned++;
      const e = historyEntryOf(id, fields);
      if (e === undefined || (only !== undefined && e.transition !== only) || !matchesFilter(e, f)) continue;
      entries.push(e);
      if (entries.length >= limit) return { entries, truncated: false };
    }
    if (batch.length < page) return { entries, truncated: false };
    if (scanned >= maxScan) return { entries, truncated: true };
    const last = batch[batch.length - 1]![0];
    end = `(${last}`;
  }
}
