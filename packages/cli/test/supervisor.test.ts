/**
 * The platform supervisor with real child processes: restart with backoff then give up, stop in
 * reverse order with SIGTERM, SIGKILL after the grace period, stdout lines and env reach the caller.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restartDelayMs, Supervisor } from '../src/platform/supervisor.ts';

const root = resolve(import.meta.dirname, '../../..');
const entry = 'packages/cli/test/fixtures/child.ts';

async function until(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Supervisor', () => {
  const dirs: string[] = [];
  const sups: Supervisor[] = [];
  const make = (opts: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-sup-'));
    dirs.push(dir);
    const events: string[] = [];
    const sup = new Supervisor({
      cwd: root,
      logDir: dir,
      env: process.env,
      restartWindowMs: 60_000,
      onEvent: (l) => events.push(l),
      ...opts,
    });
    sups.push(sup);
    return { sup, events, dir };
  };
  afterEach(async () => {
    for (const s of sups.splice(0)) await s.stopAll();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('backs off exponentially, capped at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('restarts a crashing process, then marks it failed after maxRestarts', async () => {
    const { sup, events, dir } = make({ maxRestarts: 1 });
    sup.start({ name: 'crashy', entry, args: ['exit-1'] });
    await until('failed', () => sup.status()[0]?.state === 'failed');
    expect(sup.status()[0]).toMatchObject({ name: 'crashy', restarts: 1, lastExit: 'code 1' });
    expect(events.some((e) => /crashy exited \(code 1\); restarting in 1 s/.test(e))).toBe(true);
    expect(events.some((e) => /not restarting/.test(e))).toBe(true);
    const log = readFileSync(join(dir, 'crashy.log'), 'utf8');
    expect(log.match(/child exit-1/g)).toHaveLength(2);
  });

  it('passes env, reports stdout lines, restarts after SIGKILL and stops with SIGTERM in reverse order', async () => {
    const { sup, events } = make();
    const lines: string[] = [];
    sup.start({
      name: 'a',
      entry,
      args: ['run'],
      env: { CHILD_TAG: 'tag-a' },
      onStdoutLine: (l) => lines.push(l),
    });
    sup.start({ name: 'b', entry, args: ['run'] });
    await until('a to print', () => lines.length === 1);
    expect(lines[0]).toMatch(/^child run \d+ tag-a$/);
    const firstPid = sup.status()[0]?.pid;
    expect(sup.kill('a', 'SIGKILL')).toBe(true);
    await until('a restarted', () => lines.length === 2);
    expect(sup.status()[0]?.pid).not.toBe(firstPid);
    expect(sup.status()[0]).toMatchObject({ state: 'running', restarts: 1, lastExit: 'signal SIGKILL' });
    await sup.stopAll();
    expect(sup.status().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    expect(events.filter((e) => /did not stop/.test(e))).toEqual([]);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const { sup, events } = make({ stopGraceMs: 500 });
    const lines: string[] = [];
    sup.start({ name: 'stubborn', entry, args: ['ignore-term'], onStdoutLine: (l) => lines.push(l) });
    await until('start', () => lines.length === 1);
    await sup.stopAll();
    expect(lines).toContain('ignoring SIGTERM');
    expect(events.some((e) => /stubborn did not stop within 0.5 s; SIGKILL/.test(e))).toBe(true);
    expect(sup.status()[0]?.state).toBe('stopped');
  });
});
