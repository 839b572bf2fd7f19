/**
 * Reading the alert store (keys.ts, store.ts) for other packages: the engine instances' shared
 * watermark, the active (open) alerts and the history stream — a filtered page newest first, the
 * entries after a cursor, and a blocking tail for server-sent events. Every stored record is checked
 * with the shared alert contract; a malformed one is skipped, never returned.
 *
 * History entries are identified by their stream id (`<ms>-<seq>`), which is also the cursor a
 * client resumes from. An entry is written when its transition is decided, which is never before
 * the transition's event time (the watermark trails the clock), so ids below a time cannot hold a
 * transition at or after it.
 */
import type { RedisClient } from '@ami/shared/clients';
import { validateAlert, type Alert } from '@ami/shared/contracts';
import { alertKeys, type AlertKeys } from './keys.ts';

/** The two transitions as readers name them. */
export type AlertTransitionName = 'opened' | 'cleared';

/** One history entry: its stream id, the transition and the alert record written with it. */
export interface AlertHistoryEntry {
  readonly streamId: string;
  readonly transition: AlertTransitionName;
  readonly alert: Alert;
}

/** Stream ids as Redis writes them: `<ms>-<seq>`. */
export const ALERT_STREAM_ID_PATTERN = '^[0-9]{1,15}-[0-9]{1,15}$';
const STREAM_ID_RE = new RegExp(ALERT_STREAM_ID_PATTERN);

export function isAlertStreamId(s: string): boolean {
  return STREAM_ID_RE.test(s);
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

/** A raw stream entry as ioredis returns it → AlertHistoryEntry (undefined when malformed). */
function historyEntryOf(id: string, fields: readonly string[]): AlertHistoryEntry | undefined {
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

function entriesOf(raw: readonly [string, string[]][]): AlertHistoryEntry[] {
  const out: AlertHistoryEntry[] = [];
  for (const [id, fields] of raw) {
    const e = historyEntryOf(id, fields);
    if (e !== undefined) out.push(e);
  }
  return out;
}

export interface AlertViewOptions {
  readonly redis: RedisClient;
  /** AMI_ALERT_KEY_PREFIX (checked: letters, digits, `._-`, at most 32). */
  readonly keyPrefix: string;
}

export interface AlertHistoryQuery {
  /** Only entries whose stream id is at or after this time (see the module comment). */
  readonly sinceMs?: number;
  /** Only entries older than this stream id (exclusive): where the previous page ended. */
  readonly beforeId?: string;
  /** Entries returned at most. */
  readonly limit: number;
  /** Entries read at most. */
  readonly maxScan: number;
  /** Which (well-formed) entries count. */
  readonly accept: (e: AlertHistoryEntry) => boolean;
  /**
   * Keep reading once the page is full, to count every accepted entry (up to `maxScan` read);
   * without it the scan stops at the first accepted entry beyond the page.
   */
  readonly countAll?: boolean;
}

export interface AlertHistoryPage {
  readonly entries: AlertHistoryEntry[];
  /** True when the scan stopped at `maxScan` entries before the stream (or `sinceMs`) was exhausted. */
  readonly truncated: boolean;
  /**
   * Accepted entries the scan met, the page's included: every one from `beforeId` on unless
   * `truncated` (then a lower bound); without `countAll` at most `limit + 1` (more than `limit`: more
   * entries follow the page).
   */
  readonly matched: number;
  /** Stream id of the last entry read (undefined: none read): where a truncated scan can resume. */
  readonly lastReadId: string | undefined;
}

/** The entries after a cursor (oldest first) and the cursor to continue from. */
export interface AlertHistoryBatch {
  readonly entries: AlertHistoryEntry[];
  readonly cursor: string;
}

export class AlertView {
  private readonly keys: AlertKeys;

  /** Throws RangeError on a bad key prefix. */
  constructor(private readonly opts: AlertViewOptions) {
    this.keys = alertKeys(opts.keyPrefix);
  }

  /** The same store read through another connection (e.g. a dedicated one for blocking reads). */
  withClient(redis: RedisClient): AlertView {
    return new AlertView({ ...this.opts, redis });
  }

  /**
   * The engine instances' shared watermark: the minimum of the instance reports made within
   * `instanceTimeoutMs` of `nowMs`; undefined when no instance reported recently.
   */
  async sharedWatermark(nowMs: number, instanceTimeoutMs: number): Promise<number | undefined> {
    const all = await this.opts.redis.hgetall(this.keys.watermarks);
    let min = Infinity;
    for (const v of Object.values(all)) {
      const [wm, at] = v.split(':').map(Number);
      if (wm === undefined || at === undefined || !Number.isFinite(wm) || !Number.isFinite(at)) continue;
      if (nowMs - at > instanceTimeoutMs) continue;
      if (wm < min) min = wm;
    }
    return Number.isFinite(min) ? min : undefined;
  }

  /** Every open alert (the active set), in no particular order. */
  async active(): Promise<Alert[]> {
    const out: Alert[] = [];
    for (const json of await this.opts.redis.hvals(this.keys.active)) {
      const alert = parseAlert(json);
      if (alert !== undefined) out.push(alert);
    }
    return out;
  }

  /**
   * History entries that `q.accept`s, newest first, at most `q.limit`, older than `q.beforeId` when
   * given: XREVRANGE in pages, at most `q.maxScan` entries read; with `sinceMs` the scan stops at
   * stream ids before it. Counts the accepted entries (`matched`): all of them with `q.countAll`,
   * else up to one beyond the page.
   */
  async history(q: AlertHistoryQuery): Promise<AlertHistoryPage> {
    const page = Math.min(500, q.maxScan);
    const floor = q.sinceMs === undefined ? '-' : String(q.sinceMs);
    let end = q.beforeId === undefined ? '+' : `(${q.beforeId}`;
    let scanned = 0;
    let matched = 0;
    let lastReadId: string | undefined;
    const entries: AlertHistoryEntry[] = [];
    const result = (truncated: boolean): AlertHistoryPage => ({ entries, truncated, matched, lastReadId });
    for (;;) {
      const batch = await this.opts.redis.xrevrange(this.keys.history, end, floor, 'COUNT', page);
      for (const [id, fields] of batch) {
        scanned++;
        lastReadId = id;
        const e = historyEntryOf(id, fields);
        if (e === undefined || !q.accept(e)) continue;
        matched++;
        if (entries.length < q.limit) entries.push(e);
        else if (q.countAll !== true) return result(false);
      }
      if (batch.length < page) return result(false);
      if (scanned >= q.maxScan) return result(true);
      end = `(${lastReadId}`;
    }
  }

  /**
   * The entries after `lastId` (oldest first; at most `max`, the newest ones) and whether older ones
   * were left out. The cursor to continue from is the last one returned, else `lastId`.
   */
  async historyAfter(lastId: string, max: number): Promise<AlertHistoryBatch & { truncated: boolean }> {
    const raw = await this.opts.redis.xrevrange(this.keys.history, '+', `(${lastId}`, 'COUNT', max + 1);
    const truncated = raw.length > max;
    const kept = raw.slice(0, max).reverse();
    const newest = kept[kept.length - 1];
    return { entries: entriesOf(kept), truncated, cursor: newest ? newest[0] : lastId };
  }

  /** Id of the newest history entry ('0-0' when the history is empty or absent). */
  async latestHistoryId(): Promise<string> {
    const last = await this.opts.redis.xrevrange(this.keys.history, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  /**
   * Waits up to `blockMs` for entries after `cursor` (XREAD BLOCK, at most `count`). `timedOut`:
   * nothing arrived. The cursor advances past malformed entries too. Blocks its connection: use a
   * dedicated one (withClient); closing that connection ends the wait with an error.
   */
  async nextHistory(
    cursor: string,
    count: number,
    blockMs: number,
  ): Promise<AlertHistoryBatch & { timedOut: boolean }> {
    const reply = await this.opts.redis.xread(
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.keys.history,
      cursor,
    );
    const raw = reply?.[0]?.[1] ?? [];
    const last = raw[raw.length - 1];
    return { entries: entriesOf(raw), cursor: last ? last[0] : cursor, timedOut: raw.length === 0 };
  }
}
