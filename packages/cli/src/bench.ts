/**
 * `pnpm ami bench [name…] [--quick] [--profile]`: runs benchmark scripts and, with no name, all
 * of them followed by bench/results/summary.md. A benchmark is a file
 * `packages/<pkg>/bench/<name>.bench.ts` that writes bench/results/<name>.json through
 * `writeBenchResult` (@ami/shared/bench). Each runs in its own process so it can be profiled
 * (`--profile` adds `node --cpu-prof`, profiles land in bench/results/profiles/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchResultsDir, repoRoot, currentCommit, machineDescription } from '@ami/shared/bench';

const HELP = `usage: pnpm ami bench [name…] [--quick] [--profile]

Runs the named benchmarks (all when none is named) and writes bench/results/<name>.json;
with no name also bench/results/summary.md. --quick runs each on small data (< 1 min).
--profile records a CPU profile of each (node --cpu-prof) in bench/results/profiles/.`;

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
  const unknown = flags.filter((f) => f !== '--quick' && f !== '--profile');
  if (unknown.length > 0) {
    process.stderr.write(`ami bench: unknown option ${unknown[0]} (see pnpm ami bench --help)\n`);
    return 2;
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
  if (names.length === 0) writeSummary();
  return failed === 0 ? 0 : 1;
}

function writeSummary(): void {
  const lines = [
    `# Benchmark summary`,
    '',
    `commit ${currentCommit()} · ${machineDescription()} · ${new Date().toISOString()}`,
    '',
  ];
  for (const f of readdirSync(benchResultsDir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const rec = JSON.parse(readFileSync(join(benchResultsDir, f), 'utf8')) as Record<string, unknown>;
    lines.push(`## ${f.replace(/\.json$/, '')}`, '', '| figure | value |', '|---|---|');
    for (const [k, v] of Object.entries(rec)) lines.push(`| ${k} | ${String(v)} |`);
    lines.push('');
  }
  writeFileSync(join(benchResultsDir, 'summary.md'), lines.join('\n'));
  process.stdout.write(`wrote ${join(benchResultsDir, 'summary.md')}\n`);
}
