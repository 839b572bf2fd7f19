/** Polling for tests that wait on real services (no timing assertions: a deadline, then a clear error). */

export interface PollOptions {
  /** Between two calls (default 1000 ms). */
  readonly everyMs?: number;
  /** Count a thrown error as "not yet" (a service may be down on purpose) instead of failing at once. */
  readonly retryErrors?: boolean;
  /** Appended to the timeout error: what the test saw last (lag, process states…). */
  readonly state?: () => Promise<string> | string;
}

/**
 * Calls `fn` until it returns a value other than undefined and returns it. After `timeoutMs`
 * throws "timed out after … waiting for <what>", with the last error and `state()` when given.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  options: PollOptions = {},
): Promise<T> {
  const everyMs = options.everyMs ?? 1000;
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      if (options.retryErrors !== true) throw err;
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const state = options.state;
      const extra = state ? await Promise.resolve(state()).catch((e: unknown) => String(e)) : '';
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}` +
          `${lastError ? `; last error: ${lastError}` : ''}${extra ? `; ${extra}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
