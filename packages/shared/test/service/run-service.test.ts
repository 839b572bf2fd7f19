/**
 * The service scaffold in real child processes (fixtures/service-child.ts run with
 * `node --import tsx`), sent real signals: reverse close order, exit codes, the grace deadline,
 * the second signal, failures during start and the work ending on its own.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = 'packages/shared/test/service/fixtures/service-child.ts';

interface Child {
  /** Resolves once the child printed `line` on stdout. */
  readonly printed: (line: string) => Promise<void>;
  readonly kill: (signal: NodeJS.Signals) => void;
  readonly exited: Promise<{ code: number | null; signal: string | null; ms: number }>;
  readonly stdout: () => string[];
  readonly stderr: () => string;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  const lines = () => out.split('\n').filter((l) => l !== '');
  proc.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    for (const w of waiters.filter((w) => lines().includes(w.line))) w.resolve();
  });
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  let signalledAt = Date.now();
  const exited = new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - signalledAt })),
  );
  return {
    printed: (line) =>
      new Promise<void>((resolve, reject) => {
        if (lines().includes(line)) return resolve();
        waiters.push({ line, resolve });
        void exited.then(() => reject(new Error(`child exited before printing "${line}":\n${out}\n${err}`)));
      }),
    kill: (signal) => {
      signalledAt = Date.now();
      proc.kill(signal);
    },
    exited,
    stdout: lines,
    stderr: () => err,
  };
}

/** The pino JSON lines of the child's stderr. */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('runService (a real child process)', () => {
  it('on SIGTERM closes every step in reverse order of registration, then exits 0', async () => {
    const child = startChild({ CHILD_STEPS: 'first:0,second:200,third:0' });
    await child.printed('ready');
    child.kill('SIGTERM');
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(child.stdout()).toEqual([
      'ready',
      'close third',
      'closed third',
      'close second',
      'closed second',
      'close first',
      'closed first',
      'stopped',
    ]);
    expect(logLines(child.stderr())).toContainEqual(
      expect.objectContaining({
        service: 'service-child',
        signal: 'SIGTERM',
        msg: 'stopping: finishing the fixture work',
      }),
    );
  }, 30_000);

  it('handles SIGINT the same way', async () => {
    const child = startChild({ CHILD_STEPS: 'only:0' });
    await child.printed('ready');
    child.kill('SIGINT');
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(child.stdout()).toEqual(['ready', 'close only', 'closed only', 'stopped']);
  }, 30_000);

  it('exits 1 when the grace period (AMI_SHUTDOWN_GRACE_S) passes during a close step', async () => {
    const child = startChild({ CHILD_STEPS: 'first:0,stuck:hang', AMI_SHUTDOWN_GRACE_S: '1' });
    await child.printed('ready');
    child.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.ms).toBeGreaterThanOrEqual(900);
    expect(exit.ms).toBeLessThan(5000);
    expect(child.stdout()).toEqual(['ready', 'close stuck']);
    expect(logLines(child.stderr())).toContainEqual(
      expect.objectContaining({
        step: 'stuck',
        graceS: 1,
        msg: 'shutdown grace period passed: exiting with code 1',
      }),
    );
  }, 30_000);

  it('a step that overruns its own deadline is abandoned; the next steps still close; exit 1', async () => {
    const child = startChild({ CHILD_STEPS: 'first:0,stuck:hang@300' });
    await child.printed('ready');
    child.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.ms).toBeLessThan(5000);
    expect(child.stdout()).toEqual(['ready', 'close stuck', 'close first', 'closed first']);
    expect(logLines(child.stderr())).toContainEqual(
      expect.objectContaining({
        step: 'stuck',
        timeoutMs: 300,
        msg: 'close step did not finish in time; going on',
      }),
    );
  }, 30_000);

  it('a second signal exits 1 at once, without waiting for the running step', async () => {
    const child = startChild({ CHILD_STEPS: 'first:0,slow:20000' });
    await child.printed('ready');
    child.kill('SIGTERM');
    await child.printed('close slow');
    child.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.ms).toBeLessThan(5000);
    expect(child.stdout()).toEqual(['ready', 'close slow']);
    expect(logLines(child.stderr())).toContainEqual(
      expect.objectContaining({ signal: 'SIGTERM', msg: 'second signal: exiting at once with code 1' }),
    );
  }, 30_000);

  it('a failing close step is logged, the other steps still close, and the exit code is 1', async () => {
    const child = startChild({ CHILD_STEPS: 'first:0,broken:fail' });
    await child.printed('ready');
    child.kill('SIGTERM');
    expect(await child.exited).toMatchObject({ code: 1, signal: null });
    expect(child.stdout()).toEqual(['ready', 'close broken', 'close first', 'closed first']);
    expect(logLines(child.stderr())).toContainEqual(
      expect.objectContaining({ step: 'broken', msg: 'close step failed; going on' }),
    );
  }, 30_000);

  it('an error during start is printed on stderr and exits 1 without closing', async () => {
    const child = startChild({ CHILD_STEPS: 'first:0', CHILD_START: 'fail' });
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(child.stderr()).toContain('service-child: Error: the fixture could not start');
    expect(child.stdout()).toEqual([]);
  }, 30_000);

  it('an invalid configuration prints the ConfigError naming every bad variable and exits 1', async () => {
    const child = startChild({ AMI_SHUTDOWN_GRACE_S: 'soon', LOG_LEVEL: 'loud' });
    expect(await child.exited).toMatchObject({ code: 1, signal: null });
    expect(child.stderr()).toContain('service-child: invalid configuration (2 problems):');
    expect(child.stderr()).toContain('AMI_SHUTDOWN_GRACE_S="soon": must be a number');
    expect(child.stderr()).toContain('LOG_LEVEL="loud": must be one of');
  }, 30_000);

  it('work that ends on its own closes the same way and exits 0 (1 when it failed)', async () => {
    const done = startChild({ CHILD_STEPS: 'first:0,second:0', CHILD_FINISH_MS: '100' });
    expect(await done.exited).toMatchObject({ code: 0, signal: null });
    expect(done.stdout()).toEqual([
      'ready',
      'close second',
      'closed second',
      'close first',
      'closed first',
      'stopped',
    ]);

    const failed = startChild({ CHILD_STEPS: 'first:0', CHILD_FINISH_MS: '100', CHILD_FINISH: 'fail' });
    expect(await failed.exited).toMatchObject({ code: 1, signal: null });
    expect(failed.stdout()).toEqual(['ready', 'close first', 'closed first']);
    expect(logLines(failed.stderr())).toContainEqual(expect.objectContaining({ msg: 'failed: closing' }));
  }, 30_000);

  it('work that ends because a signal stopped it: every close step still runs before the exit', async () => {
    // Regression: the work's end started a second stop while the signal's was still closing; that
    // one found no step left and exited 0 at once — the live simulator's producer never flushed.
    const child = startChild({ CHILD_STEPS: 'producer:300,first:0', CHILD_FINISH: 'on-close' });
    await child.printed('ready');
    child.kill('SIGTERM');
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(child.stdout()).toEqual([
      'ready',
      'close work',
      'close first',
      'closed first',
      'close producer',
      'closed producer',
      'stopped',
    ]);
  }, 30_000);
});
