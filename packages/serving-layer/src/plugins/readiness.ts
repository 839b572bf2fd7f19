/**
 * Readiness checks of the API's dependencies (GET /readyz). Each check gets a deadline; a required
 * check that fails or runs out of time makes the API not ready (503). Optional checks (Kafka: the
 * API answers without it) are reported but do not fail readiness.
 */
import type { RedisClient } from '@ami/shared/clients';
import type { CatalogReader } from '@ami/shared/catalog';

export interface ReadinessCheck {
  readonly name: string;
  /** False: reported in the body, never makes /readyz fail. */
  readonly required: boolean;
  /** Resolves when the dependency is usable; rejects (or exceeds the deadline) when not. */
  readonly check: (signal: AbortSignal) => Promise<void>;
}

export interface CheckResult {
  readonly name: string;
  readonly required: boolean;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

/** Redis answers PING. */
export function redisCheck(redis: RedisClient): ReadinessCheck {
  return {
    name: 'redis',
    required: true,
    check: async () => {
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
    },
  };
}

/** The batch-view catalog's HEAD can be read from S3 (or is absent: nothing published yet). */
export function catalogCheck(catalog: CatalogReader): ReadinessCheck {
  return {
    name: 'catalog',
    required: true,
    check: async () => {
      await catalog.refresh();
      // With a snapshot held, a failed check serves the held one and records the error instead.
      if (catalog.lastError) throw catalog.lastError;
    },
  };
}

export async function runChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (c): Promise<CheckResult> => {
      const started = performance.now();
      const ac = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        await Promise.race([c.check(ac.signal), deadline]);
        return { name: c.name, required: c.required, ok: true, latencyMs: elapsed(started) };
      } catch (err) {
        return {
          name: c.name,
          required: c.required,
          ok: false,
          latencyMs: elapsed(started),
          error: describe(err),
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}
