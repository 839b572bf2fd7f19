// Process management against throwaway `sleep` processes (no services involved).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parsePid,
  pidFileState,
  readPidFile,
  spawnDetached,
  stopProcess,
  writePidFile,
} from '../local/process.ts';
import { isAlive } from '../local/procfs.ts';

const dir = mkdtempSync(join(tmpdir(), 'ami-infra-process-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function sleeper(seconds: string): Promise<number> {
  const pid = await spawnDetached({ command: 'sleep', args: [seconds], cwd: dir }, join(dir, 'sleep.log'));
  started.push(pid);
  return pid;
}

describe('parsePid', () => {
  it('accepts a positive integer with whitespace only', () => {
    expect(parsePid('1234\n')).toBe(1234);
    expect(parsePid(' 7 ')).toBe(7);
    expect(parsePid('0')).toBeNull();
    expect(parsePid('12a')).toBeNull();
    expect(parsePid('')).toBeNull();
  });
});

describe('pid files and stopping', () => {
  it('recognises our process only while its argv carries the markers', async () => {
    const pid = await sleeper('301');
    const file = join(dir, 'a.pid');
    writePidFile(file, pid);
    expect(readPidFile(file)).toBe(pid);
    expect(readFileSync(file, 'utf8')).toBe(`${pid}\n`);
    expect(pidFileState(file, ['301'])).toEqual({ kind: 'ours', pid });
    // Same pid, other markers: what a recycled pid looks like.
    expect(pidFileState(file, ['302'])).toEqual({ kind: 'stale', pid });
    expect(pidFileState(join(dir, 'missing.pid'), ['301'])).toEqual({ kind: 'none' });
  });

  it('does not signal a process whose argv does not match', async () => {
    const pid = await sleeper('303');
    expect(await stopProcess(pid, ['not-this-one'], 1_000)).toBe('not-ours');
    expect(isAlive(pid)).toBe(true);
  });

  it('stops a matching process with SIGTERM', async () => {
    const pid = await sleeper('304');
    expect(await stopProcess(pid, ['304'], 5_000)).toBe('terminated');
    expect(isAlive(pid)).toBe(false);
  });

  it('falls back to SIGKILL when SIGTERM is ignored', async () => {
    const pid = await spawnDetached(
      { command: 'sh', args: ['-c', 'trap "" TERM; while :; do sleep 0.05; done', 'ignores-term'], cwd: dir },
      join(dir, 'trap.log'),
    );
    started.push(pid);
    await new Promise((r) => setTimeout(r, 200)); // let the shell install its trap
    expect(await stopProcess(pid, ['ignores-term'], 300)).toBe('killed');
    expect(isAlive(pid)).toBe(false);
  });

  it('reports a missing command as a clear error', async () => {
    await expect(
      spawnDetached({ command: join(dir, 'no-such-binary'), args: [], cwd: dir }, join(dir, 'x.log')),
    ).rejects.toThrow(/could not start .*no-such-binary/);
  });
});
