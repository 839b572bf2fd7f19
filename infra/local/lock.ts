/**
 * An exclusive lock file around `up` and `down`, so that a test run and a person (or two test
 * runs) never install or start the same service twice. The file records the holder's pid and
 * start time; a lock whose holder is gone (crash, Ctrl-C, SIGKILL) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './errors.ts';
import { isAlive, procStat } from './procfs.ts';

export interface LockHolder {
  readonly pid: number;
  readonly startTime: number;
  readonly purpose: string;
}

export function parseLockHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.startTime === 'number' && typeof v.purpose === 'string') {
      return { pid: v.pid, startTime: v.startTime, purpose: v.purpose };
    }
  } catch {
    // not JSON (yet): treated as held until it is old enough to be garbage
  }
  return null;
}

function holderIsAlive(h: LockHolder): boolean {
  return isAlive(h.pid) && procStat(h.pid)?.startTime === h.startTime;
}

export interface LockOptions {
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
  /** What we are doing, shown to whoever waits for us. */
  readonly purpose: string;
}

/** Runs `fn` while holding `lockFile`; waits for another holder, takes over a dead one's lock. */
export async function withLock<T>(lockFile: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const me: LockHolder = {
    pid: process.pid,
    startTime: procStat(process.pid)?.startTime ?? 0,
    purpose: opts.purpose,
  };
  const mine = JSON.stringify(me);
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  let lastNotice = 0;
  for (;;) {
    try {
      writeFileSync(lockFile, mine, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = readText(lockFile);
    if (text === null) continue; // released meanwhile
    const holder = parseLockHolder(text);
    const stale = holder === null ? ageMs(lockFile) > 10_000 : !holderIsAlive(holder);
    if (stale) {
      // Remove it only if it is still the stale content we judged (another waiter may have won).
      if (readText(lockFile) === text) rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new InfraError(
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${lockFile}` +
          (holder ? ` (held by pid ${holder.pid}: ${holder.purpose})` : ''),
      );
    }
    if (Date.now() - lastNotice > 15_000) {
      lastNotice = Date.now();
      opts.log(
        `waiting for another infra command to finish (${holder ? `pid ${holder.pid}: ${holder.purpose}` : lockFile})`,
      );
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    if (readText(lockFile) === mine) rmSync(lockFile, { force: true });
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
