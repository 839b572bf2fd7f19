/**
 * Server-sent events of alert transitions (GET /v1/alerts/stream): the writer of the event-stream
 * format and the loop that tails the alert history stream with XREAD BLOCK on a connection of its
 * own (a blocked XREAD holds its connection, so every client gets a duplicate of the shared client,
 * closed when the client goes away or the server closes).
 *
 * Each event: `id:` = history stream id, `event:` = opened | cleared, `data:` = the alert JSON.
 * A client that reconnects with Last-Event-ID gets what it missed (at most `maxReplay` entries,
 * the newest ones; an `: replay truncated` comment says when more were missed), then live events.
 * A `: heartbeat` comment is written whenever `heartbeatMs` pass without an event.
 */
import type { ServerResponse } from 'node:http';
import type { RedisClient } from '@ami/shared/clients';
import type { AlertKeys } from '@ami/speed-layer/alerts/keys';
import { historyEntryOf, type HistoryEntry } from './alert-reader.ts';

/** One event in the text/event-stream format (the alert JSON is one line). */
export function formatSseEvent(e: HistoryEntry): string {
  return `id: ${e.streamId}\nevent: ${e.transition}\ndata: ${JSON.stringify(e.alert)}\n\n`;
}

export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export interface AlertStreamOptions {
  readonly heartbeatMs: number;
  readonly maxReplay: number;
  /** Entries per XREAD. */
  readonly batch: number;
}

/** Writes `chunk`; waits for 'drain' when the socket buffer is full (false = the client is gone). */
async function write(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * The entries after `lastId` to replay (oldest first, at most `max`, the newest ones) and whether
 * older ones were left out. The cursor to continue from is the last one replayed, else `lastId`.
 */
export async function missedSince(
  redis: RedisClient,
  keys: AlertKeys,
  lastId: string,
  max: number,
): Promise<{ entries: HistoryEntry[]; truncated: boolean; cursor: string }> {
  const raw = await redis.xrevrange(keys.history, '+', `(${lastId}`, 'COUNT', max + 1);
  const truncated = raw.length > max;
  const kept = raw.slice(0, max).reverse();
  const entries: HistoryEntry[] = [];
  for (const [id, fields] of kept) {
    const e = historyEntryOf(id, fields);
    if (e !== undefined) entries.push(e);
  }
  const newest = kept[kept.length - 1];
  return { entries, truncated, cursor: newest ? newest[0] : lastId };
}

/** Id of the newest history entry ('0-0' when the stream is empty or absent). */
export async function latestId(redis: RedisClient, keys: AlertKeys): Promise<string> {
  const last = await redis.xrevrange(keys.history, '+', '-', 'COUNT', 1);
  return last[0]?.[0] ?? '0-0';
}

/**
 * Streams transitions to `res` until the client disconnects or `signal` aborts. `conn` is the
 * dedicated connection (the caller created it and closes it; closing it ends a blocked XREAD).
 */
export async function streamAlerts(
  conn: RedisClient,
  keys: AlertKeys,
  res: ServerResponse,
  lastEventId: string | undefined,
  opts: AlertStreamOptions,
  signal: AbortSignal,
): Promise<void> {
  let cursor: string;
  if (lastEventId === undefined) {
    cursor = await latestId(conn, keys);
    if (!(await write(res, formatSseComment('connected')))) return;
  } else {
    const missed = await missedSince(conn, keys, lastEventId, opts.maxReplay);
    cursor = missed.cursor;
    let text = formatSseComment('connected');
    if (missed.truncated)
      text += formatSseComment(`replay truncated to the newest ${opts.maxReplay} entries`);
    for (const e of missed.entries) text += formatSseEvent(e);
    if (!(await write(res, text))) return;
  }
  while (!signal.aborted) {
    const reply = await conn.xread(
      'COUNT',
      opts.batch,
      'BLOCK',
      opts.heartbeatMs,
      'STREAMS',
      keys.history,
      cursor,
    );
    if (signal.aborted) return;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) {
      if (!(await write(res, formatSseComment('heartbeat')))) return;
      continue;
    }
    let text = '';
    for (const [id, fields] of entries) {
      cursor = id;
      const e = historyEntryOf(id, fields);
      if (e !== undefined) text += formatSseEvent(e);
    }
    if (text !== '' && !(await write(res, text))) return;
  }
}
