/**
 * Server-sent events of alert transitions (GET /v1/alerts/stream): the writer of the event-stream
 * format and the loop that tails the alert history through the speed layer's contract
 * (`AlertView.nextHistory`, a blocking read) on a connection of its own (a blocked read holds its
 * connection, so every client gets a duplicate of the shared client, closed when the client goes
 * away or the server closes).
 *
 * Each event: `id:` = history stream id, `event:` = opened | cleared, `data:` = the alert JSON.
 * A client that reconnects with Last-Event-ID gets what it missed (at most `maxReplay` entries,
 * the newest ones; an `: replay truncated` comment says when more were missed), then live events.
 * A `: heartbeat` comment is written whenever `heartbeatMs` pass without an event.
 */
import type { ServerResponse } from 'node:http';
import type { AlertView } from '@ami/speed-layer/realtime-view';
import type { HistoryEntry } from './alert-reader.ts';

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
  /** Entries per blocking read. */
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
 * Streams transitions to `res` until the client disconnects or `signal` aborts. `alerts` reads
 * through the dedicated connection (the caller created it and closes it; closing it ends a blocked
 * read).
 */
export async function streamAlerts(
  alerts: AlertView,
  res: ServerResponse,
  lastEventId: string | undefined,
  opts: AlertStreamOptions,
  signal: AbortSignal,
): Promise<void> {
  let cursor: string;
  if (lastEventId === undefined) {
    cursor = await alerts.latestHistoryId();
    if (!(await write(res, formatSseComment('connected')))) return;
  } else {
    const missed = await alerts.historyAfter(lastEventId, opts.maxReplay);
    cursor = missed.cursor;
    let text = formatSseComment('connected');
    if (missed.truncated)
      text += formatSseComment(`replay truncated to the newest ${opts.maxReplay} entries`);
    for (const e of missed.entries) text += formatSseEvent(e);
    if (!(await write(res, text))) return;
  }
  while (!signal.aborted) {
    const next = await alerts.nextHistory(cursor, opts.batch, opts.heartbeatMs);
    if (signal.aborted) return;
    if (next.timedOut) {
      if (!(await write(res, formatSseComment('heartbeat')))) return;
      continue;
    }
    cursor = next.cursor;
    let text = '';
    for (const e of next.entries) text += formatSseEvent(e);
    if (text !== '' && !(await write(res, text))) return;
  }
}
