/**
 * Seeds and run counts of the fuzz tests: a fixed seed by default so CI is reproducible, overridden
 * with FUZZ_SEED (an integer) to explore; FUZZ_RUNS_SCALE (a positive number, default 1) scales every
 * run count. Every failure message carries `FUZZ_SEED=<seed>` so a red run can be replayed exactly.
 */

/** The default seed: any fixed integer; changing it changes every generated case. */
export const DEFAULT_FUZZ_SEED = 20_260_308;

/** FUZZ_SEED, or the default seed. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_SEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_FUZZ_SEED;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(raw)}`);
  // fast-check seeds are 32-bit integers
  return n | 0;
}

/** `runs` scaled by FUZZ_RUNS_SCALE (at least 1). */
export function fuzzRuns(runs: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_RUNS_SCALE;
  const scale = raw === undefined || raw.trim() === '' ? 1 : Number(raw);
  if (!(scale > 0)) throw new Error(`FUZZ_RUNS_SCALE must be a positive number, got ${JSON.stringify(raw)}`);
  return Math.max(1, Math.round(runs * scale));
}

/** The replay hint every fuzz failure message starts with. */
export function replayHint(seed: number): string {
  return `FUZZ_SEED=${seed}`;
}
