/**
 * The paging cursor of GET /v1/alerts: opaque to clients (base64url of a small JSON), it says where
 * the next page starts — after an open alert (its opened_at and id, the list's order) for
 * status=open, before a history stream id for cleared and all — and which status it pages.
 */
import { isStreamId, type OpenAlertsCursor } from './alert-reader.ts';

export type AlertsStatus = 'open' | 'cleared' | 'all';

export type AlertsCursor =
  | { readonly status: 'open'; readonly after: OpenAlertsCursor }
  | { readonly status: 'cleared' | 'all'; readonly beforeId: string };

interface CursorJson {
  readonly s?: unknown;
  readonly o?: unknown;
  readonly i?: unknown;
  readonly h?: unknown;
}

export function encodeCursor(c: AlertsCursor): string {
  const json: CursorJson =
    c.status === 'open'
      ? { s: c.status, o: c.after.openedAtMs, i: c.after.id }
      : { s: c.status, h: c.beforeId };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

function parseJson(text: string): CursorJson | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The cursor a previous page gave, or undefined when `text` is none this API makes. */
export function decodeCursor(text: string): AlertsCursor | undefined {
  const j = parseJson(text);
  if (j === undefined) return undefined;
  if (j.s === 'open') {
    if (typeof j.o !== 'number' || !Number.isSafeInteger(j.o)) return undefined;
    if (typeof j.i !== 'string' || j.i === '' || j.i.length > 300) return undefined;
    return { status: 'open', after: { openedAtMs: j.o, id: j.i } };
  }
  if (j.s === 'cleared' || j.s === 'all') {
    if (typeof j.h !== 'string' || !isStreamId(j.h)) return undefined;
    return { status: j.s, beforeId: j.h };
  }
  return undefined;
}
