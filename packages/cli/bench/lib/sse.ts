/**
 * A text/event-stream client for the benches: follows GET /v1/alerts/stream with an API key
 * (fetch, so the x-api-key header can be sent) and calls back with every event and the
 * performance.now() at which its bytes arrived. `splitSseBlocks` is the pure parser (the API
 * writes LF-terminated lines and a blank line after each event or comment).
 */

export interface SseBlock {
  readonly event?: string;
  readonly data?: string;
  readonly id?: string;
  readonly comment?: string;
}

/** Complete blocks of `buffer` and the incomplete rest. */
export function splitSseBlocks(buffer: string): { blocks: SseBlock[]; rest: string } {
  const blocks: SseBlock[] = [];
  let rest = buffer;
  let at: number;
  while ((at = rest.indexOf('\n\n')) >= 0) {
    const raw = rest.slice(0, at);
    rest = rest.slice(at + 2);
    const b: { event?: string; data?: string; id?: string; comment?: string } = {};
    for (const line of raw.split('\n')) {
      if (line.startsWith(':')) b.comment = line.slice(1).trimStart();
      else if (line.startsWith('event:')) b.event = line.slice(6).trimStart();
      else if (line.startsWith('id:')) b.id = line.slice(3).trimStart();
      else if (line.startsWith('data:'))
        b.data = (b.data === undefined ? '' : b.data + '\n') + line.slice(5).trimStart();
    }
    blocks.push(b);
  }
  return { blocks, rest };
}

export interface SseStream {
  close(): void;
  /** Resolves when the stream ends (closed by either side). */
  readonly ended: Promise<void>;
}

/** Opens the stream; resolves once the server's `: connected` comment arrived. */
export async function openSseStream(
  url: string,
  apiKey: string,
  onBlock: (b: SseBlock, atMs: number) => void,
): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { 'x-api-key': apiKey, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  if (res.status !== 200 || res.body === null) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  const body = res.body;
  let connected: (() => void) | undefined;
  const isConnected = new Promise<void>((resolve) => (connected = resolve));
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        const atMs = performance.now();
        const parsed = splitSseBlocks(buffer + decoder.decode(chunk as Uint8Array, { stream: true }));
        buffer = parsed.rest;
        for (const b of parsed.blocks) {
          if (b.comment === 'connected') connected?.();
          onBlock(b, atMs);
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  await Promise.race([
    isConnected,
    ended.then(() => Promise.reject(new Error(`${url}: stream ended before connecting`))),
  ]);
  return { close: () => abort.abort(), ended };
}
