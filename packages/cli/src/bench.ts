/**
 * `pnpm ami bench [name…] [--quick] [--profile] [--summary]`: runs benchmark scripts and, with no
 * name, all of them followed by bench/results/summary.md (bench-summary.ts: SPEC 9's targets
 * against the figures, each beside its same-run bound). A benchmark is a file
 * `packages/<pkg>/bench/<name>.bench.ts` that writes bench/results/<name>.json through
 * `writeBenchResult` (@ami/shared/bench). Each runs in its own process so it can be profiled
 * (`--profile` adds `node --cpu-prof`, profiles land in bench/results/profiles/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchResultsDir, repoRoot, currentCommit, machineDescription } from '@ami/shared/bench';
import { renderSummary, type BenchRecord } from './bench-summary.ts';

const HELP = `usage: pnpm ami bench [name…] [--quick] [--profile] [--summary]

Runs the named benchmarks (all when none is named) and writes bench/results/<name>.json;
with no name also bench/results/summary.md (SPEC 9 targets: figure, same-run bound, ratio, met).
--quick runs each on small data (< 1 min) — a smoke check, not a measurement of the targets.
--profile records a CPU profile of each (node --cpu-prof) in bench/results/profiles/.
--summary only rewrites bench/results/summary.md from the result files already there.
The soak run is separate: pnpm test:soak [--minutes 30] (bench/results/soak.json).`;

export function discoverBenches(): Map<string, string> {
  const found = new Map<string, string>();
  const pkgs = join(repoRoot, 'packages');
  for (const pkg of readdirSync(pkgs)) {
    const dir = join(pkgs, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const m = /^(.+)\.bench\.ts$/.exec(f);
      if (m?.[1]) found.set(m[1], join(dir, f));
    }
  }
  return found;
}

export function runBench(argv: string[]): Promise<number> {
  return Promise.resolve(runBenchSync(argv));
}

function runBenchSync(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const flags = argv.filter((a) => a.startsWith('--'));
  const unknown = flags.filter((f) => f !== '--quick' && f !== '--profile' && f !== '--summary');
  if (unknown.length > 0) {
    process.stderr.write(`ami bench: unknown option ${unknown[0]} (see pnpm ami bench --help)\n`);
    return 2;
  }
  if (flags.includes('--summary')) {
    writeSummaryFile();
    return 0;
  }
  const benches = discoverBenches();
  const names = argv.filter((a) => !a.startsWith('--'));
  for (const n of names) {
    if (!benches.has(n)) {
      process.stderr.write(
        `ami bench: no benchmark "${n}" (available: ${[...benches.keys()].sort().join(', ')})\n`,
      );
      return 2;
    }
  }
  const selected = names.length > 0 ? names : [...benches.keys()].sort();
  const profile = flags.includes('--profile');
  const passArgs = flags.filter((f) => f === '--quick');
  let failed = 0;
  for (const name of selected) {
    const script = benches.get(name) ?? '';
    const nodeArgs = ['--import', 'tsx'];
    if (profile) {
      const dir = join(benchResultsDir, 'profiles');
      mkdirSync(dir, { recursive: true });
      nodeArgs.push(
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
      );
    }
    process.stderr.write(`\n== bench ${name} ==\n`);
    const r = spawnSync(process.execPath, [...nodeArgs, script, ...passArgs], {
      stdio: 'inherit',
      cwd: repoRoot,
    });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`bench ${name} failed (exit ${r.status ?? r.signal})\n`);
    }
  }
  if (names.length === 0) writeSummaryFile();
  return failed === 0 ? 0 : 1;
}

/** Every bench/results/*.json by name (without `.json`). */
export function readResults(dir = benchResultsDir): Map<string, BenchRecord> {
  const out = new Map<string, BenchRecord>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    out.set(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchRecord);
  }
  return out;
}

/** Writes bench/results/summary.md from every result file there (soak.json included). */
export function writeSummaryFile(): void {
  const text = renderSummary({
    commit: currentCommit(),
    machine: machineDescription(),
    at: new Date().toISOString(),
    results: readResults(),
  });
  mkdirSync(benchResultsDir, { recursive: true });
  writeFileSync(join(benchResultsDir, 'summary.md'), text + '\n');
  process.stdout.write(`wrote ${join(benchResultsDir, 'summary.md')}\n`);
}
