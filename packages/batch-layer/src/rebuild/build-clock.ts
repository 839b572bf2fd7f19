/**
 * Timing of one day rebuild: the phase it is in (reported through the request's progress callback
 * with the phase's start fraction) with milliseconds per phase, and milliseconds per named step
 * (logged with the result: where a slow rebuild spends its time).
 */
import type { RebuildPhase } from './types.ts';

/** Weights of the phases in the overall progress fraction (sum 1). */
const PHASE_START: Readonly<Record<RebuildPhase, number>> = {
  load: 0,
  dedupe: 0.15,
  vee: 0.35,
  views: 0.55,
  publish: 0.85,
};

export class BuildClock {
  /** Milliseconds per phase, up to the last `enter` or `lap`. */
  readonly phaseMs: Record<RebuildPhase, number> = { load: 0, dedupe: 0, vee: 0, views: 0, publish: 0 };
  /** Milliseconds per step run through `timed`. */
  readonly steps: Record<string, number> = {};
  private phase: RebuildPhase = 'load';
  private phaseAt = performance.now();

  /** Starts in phase 'load' and reports it. */
  constructor(private readonly onProgress?: (phase: RebuildPhase, fraction: number) => void) {
    onProgress?.('load', 0);
  }

  /** Closes the current phase and enters `next` (reported with its start fraction). */
  enter(next: RebuildPhase): void {
    const t = performance.now();
    this.phaseMs[this.phase] += t - this.phaseAt;
    this.phase = next;
    this.phaseAt = t;
    this.onProgress?.(next, PHASE_START[next]);
  }

  /** Adds the time spent in the current phase so far to `phaseMs` (the phase goes on). */
  lap(): void {
    this.phaseMs[this.phase] += performance.now() - this.phaseAt;
    this.phaseAt = performance.now();
  }

  /** Runs `fn`, recording its milliseconds under `name`. */
  async timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.steps[name] = Math.round(performance.now() - t);
    }
  }
}
