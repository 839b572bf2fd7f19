/**
 * Live pacing, as pure functions of the wall clock: how far a live simulation may have got. Before
 * it reaches the paced-from local day the simulation runs as fast as the sink takes (history),
 * bounded only by the wall clock; from the wall time t0 at which it reaches that day, its clock runs
 * `speedup` times faster than the wall clock from the day's start, until it catches up with the wall
 * clock, and then in real time. Nothing is ever produced before its timestamp has come on this clock.
 */

export interface PaceConfig {
  /** First instant of the paced-from local day. */
  readonly pacedFromMs: number;
  /** Simulated seconds per wall second until caught up (≥ 1). */
  readonly speedup: number;
}

/**
 * The simulated clock's limit at wall time `wallMs`: the latest instant the simulation may have
 * produced. `t0Ms` = the wall time at which it reached the paced-from day (undefined: not yet).
 */
export function pacedLimitMs(wallMs: number, pace: PaceConfig, t0Ms: number | undefined): number {
  if (t0Ms === undefined) return wallMs;
  return Math.min(wallMs, pace.pacedFromMs + Math.max(0, wallMs - t0Ms) * pace.speedup);
}

/** The first wall time at which pacedLimitMs reaches `simMs` (never before simMs itself). */
export function wallTimeOf(simMs: number, pace: PaceConfig, t0Ms: number | undefined): number {
  if (t0Ms === undefined) return simMs;
  return Math.max(simMs, t0Ms + (simMs - pace.pacedFromMs) / pace.speedup);
}

/** The wall clock a live run reads and sleeps on (a fake one in tests). */
export interface WallClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: WallClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
