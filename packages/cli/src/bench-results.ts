/**
 * @ami/cli/bench-results — the benchmark report for harnesses that run outside `pnpm bench` (the
 * soak, `test/soak/`): read the result files of `bench/results/` and rewrite `summary.md` from them,
 * with SPEC 9's targets.
 */
export { readResults, writeSummaryFile } from './bench.ts';
