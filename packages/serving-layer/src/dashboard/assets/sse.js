/* global fetch, TextDecoderStream, setTimeout, clearTimeout */
/**
 * Server-sent events over fetch(): EventSource cannot send the x-api-key header, so the dashboard
 * reads GET /v1/alerts/stream as a byte stream and parses the text/event-stream format itself
 * (lines ended by CRLF, LF or CR; `data:` lines joined by LF; comments ignored; an event is
 * dispatched at a blank line). After a drop it reconnects with Last-Event-ID, so the server
 * replays what was missed.
 */

/** An incremental text/event-stream parser: `push(text)` any slice of the stream. */
export function createSseParser(onEvent) {
  let buffer = '';
  let pendingCR = false;
  let data = [];
  let eventName = '';
  let lastEventId = '';

  function processLine(line) {
    if (line === '') {
      if (data.length > 0) onEvent({ id: lastEventId, event: eventName || 'message', data: data.join('\n') });
      data = [];
      eventName = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventName = value;
    else if (field === 'id' && !value.includes('\0')) lastEventId = value;
  }

  return {
    push(chunk) {
      if (chunk === '') return;
      let text = chunk;
      // a CR that ended the previous slice and an LF that starts this one are one line break
      if (pendingCR && text.startsWith('\n')) text = text.slice(1);
      pendingCR = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        processLine(buffer.slice(start, i));
        if (c === '\r') {
          if (i + 1 === buffer.length) pendingCR = true;
          else if (buffer[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    /** The id of the last `id:` field seen (what a reconnect sends as Last-Event-ID). */
    get lastEventId() {
      return lastEventId;
    },
  };
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Follows an event stream until `signal` aborts: `onEvent({id, event, data})` per event,
 * `onState(state)` with connecting | connected | reconnecting | unauthorized. A 401/403 stops
 * (the key is wrong); anything else (network drop, 429, 5xx, end of stream) reconnects after a
 * back-off of `retryMs` doubling up to `maxRetryMs`, sending the last event id seen.
 */
export async function followEventStream({
  url,
  key,
  onEvent,
  onState,
  signal,
  retryMs = 1000,
  maxRetryMs = 15000,
  fetchImpl = fetch,
}) {
  let lastEventId = '';
  let delay = retryMs;
  while (!signal.aborted) {
    onState('connecting');
    try {
      const headers = { 'x-api-key': key, accept: 'text/event-stream' };
      if (lastEventId !== '') headers['last-event-id'] = lastEventId;
      const res = await fetchImpl(url, { headers, signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 403) {
        onState('unauthorized');
        return;
      }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      onState('connected');
      delay = retryMs;
      const parser = createSseParser(onEvent);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
        if (parser.lastEventId !== '') lastEventId = parser.lastEventId;
      }
    } catch {
      // dropped or refused: reconnect below unless we were stopped
    }
    if (signal.aborted) return;
    onState('reconnecting');
    await sleep(delay, signal);
    delay = Math.min(delay * 2, maxRetryMs);
  }
}
