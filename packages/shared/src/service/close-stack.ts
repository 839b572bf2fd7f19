/**
 * The close steps of a process: registered as each client is opened (and as the work starts),
 * run in reverse order on shutdown — the work finishes first, then each client closes before the
 * ones it depends on. A step may have its own deadline (`timeoutMs`); one that fails or overruns
 * it is logged and the next step still runs. The deadline of the whole sequence is the grace period
 * of stop-signals.ts, which ends the process when it passes.
 */
import type { Logger } from 'pino';

export interface CloseStepOptions {
  /** Longest time this step may take (default: no limit of its own, only the grace period's). */
  readonly timeoutMs?: number;
}

interface CloseStep {
  readonly name: string;
  readonly close: () => unknown;
  readonly timeoutMs: number | undefined;
}

export interface CloseOutcome {
  /** Names of the steps that failed or overran their own deadline, in the order they ran. */
  readonly failed: readonly string[];
}

const TIMED_OUT = Symbol('timed out');

export class CloseStack {
  private readonly steps: CloseStep[] = [];
  private current: string | undefined;

  /** Registers a close step; the last registered runs first. */
  add(name: string, close: () => unknown, options: CloseStepOptions = {}): void {
    this.steps.push({ name, close, timeoutMs: options.timeoutMs });
  }

  /** Name of the step running now (undefined: none). */
  get running(): string | undefined {
    return this.current;
  }

  /** Runs every step, last registered first. Never throws. */
  async closeAll(logger: Logger): Promise<CloseOutcome> {
    const failed: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      this.current = step.name;
      const t0 = Date.now();
      try {
        const result = await withTimeout(step.close, step.timeoutMs);
        if (result === TIMED_OUT) {
          failed.push(step.name);
          logger.warn(
            { step: step.name, timeoutMs: step.timeoutMs },
            'close step did not finish in time; going on',
          );
        } else {
          logger.debug({ step: step.name, ms: Date.now() - t0 }, 'closed');
        }
      } catch (err) {
        failed.push(step.name);
        logger.error({ step: step.name, err }, 'close step failed; going on');
      }
    }
    this.current = undefined;
    return { failed };
  }
}

/** Runs `fn`; resolves with TIMED_OUT when it has not settled after `ms` (undefined: no limit). */
async function withTimeout(fn: () => unknown, ms: number | undefined): Promise<unknown> {
  if (ms === undefined) return await fn();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
