#!/usr/bin/env node
// Dependency-free entry point behind `npm start`, `npm test`, `pnpm ami …` and `pnpm test`.
// It makes a fresh clone usable with nothing but Node and npm:
//   1. finds the pnpm version pinned in package.json#packageManager (installs it into the
//      AMI cache with npm when the machine has no matching pnpm),
//   2. runs `pnpm install --frozen-lockfile` when node_modules does not match pnpm-lock.yaml,
//   3. runs the requested target: `cli …` (the `ami` command line) or `test` (typecheck, lint, vitest).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = process.env.AMI_CACHE_DIR ?? join(homedir(), '.cache', 'ami-platform');
const quiet = process.env.AMI_BOOTSTRAP_QUIET === '1';

function log(msg) {
  if (!quiet) process.stderr.write(`[bootstrap] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function pinnedPnpm() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const m = /^pnpm@(\d+\.\d+\.\d+)/.exec(pkg.packageManager ?? '');
  if (!m) throw new Error('package.json#packageManager must pin pnpm@x.y.z');
  return m[1];
}

function pnpmCommand(version) {
  // pnpm already running us (pnpm test / pnpm ami): reuse it when the version matches.
  const ua = process.env.npm_config_user_agent ?? '';
  const execPath = process.env.npm_execpath;
  if (ua.startsWith(`pnpm/${version} `) && execPath) return [process.execPath, [execPath]];
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() === version) return ['pnpm', []];
  const prefix = join(cacheDir, 'tools', `pnpm-${version}`);
  const bin = join(prefix, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  if (!existsSync(bin)) {
    log(`installing pnpm ${version} into ${prefix} (one time)`);
    mkdirSync(prefix, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const status = run(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `pnpm@${version}`]);
    if (status !== 0 || !existsSync(bin)) throw new Error(`could not install pnpm@${version} with npm`);
  }
  return [process.execPath, [bin]];
}

function ensureDependencies() {
  const lock = join(root, 'pnpm-lock.yaml');
  const hash = createHash('sha256')
    .update(readFileSync(lock))
    .update(readFileSync(join(root, 'package.json')))
    .digest('hex');
  const stamp = join(root, 'node_modules', '.ami-install-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  const [cmd, pre] = pnpmCommand(pinnedPnpm());
  log('installing Node dependencies (pnpm install --frozen-lockfile)');
  const status = run(cmd, [...pre, 'install', '--frozen-lockfile'], {
    env: { ...process.env, npm_config_manage_package_manager_versions: 'false' },
  });
  if (status !== 0) throw new Error('pnpm install failed');
  writeFileSync(stamp, hash);
}

function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}

function main() {
  const [target, ...args] = process.argv.slice(2);
  ensureDependencies();
  if (target === 'cli') {
    process.exitCode = run(bin('tsx'), [join(root, 'packages', 'cli', 'src', 'main.ts'), ...args]);
    return;
  }
  if (target === 'test') {
    const t0 = Date.now();
    for (const [name, cmd, cmdArgs] of [
      ['typecheck', bin('tsc'), ['-p', 'tsconfig.json']],
      ['lint', bin('eslint'), ['.']],
    ]) {
      log(`${name} …`);
      const status = run(cmd, cmdArgs);
      if (status !== 0) {
        process.exitCode = status;
        log(`${name} failed`);
        return;
      }
    }
    log(`typecheck + lint took ${((Date.now() - t0) / 1000).toFixed(1)} s; running vitest`);
    process.exitCode = run(bin('vitest'), ['run', ...args]);
    return;
  }
  process.stderr.write('usage: node scripts/bootstrap.mjs cli [args…] | test [vitest args…]\n');
  process.exitCode = 2;
}

try {
  main();
} catch (err) {
  process.stderr.write(`[bootstrap] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
