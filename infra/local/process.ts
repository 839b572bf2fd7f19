/**
 * Processes the infra scripts start: spawned detached (they outlive the command that started
 * them) with output appended to a log file, recorded in a pid file, and stopped only after
 * /proc/<pid>/cmdline shows that the pid is still the process we started (pids get recycled).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './errors.ts';
import { cmdlineMatches, isAlive, procCmdline } from './procfs.ts';

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** Starts `spec` in its own session with stdout and stderr appended to `logFile`; returns its pid. */
export async function spawnDetached(spec: LaunchSpec, logFile: string): Promise<number> {
  mkdirSync(dirname(logFile), { recursive: true });
  mkdirSync(spec.cwd, { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new InfraError(`could not start ${spec.command}: ${err.message}`)));
      child.once('spawn', () => {
        if (child.pid === undefined) reject(new InfraError(`could not start ${spec.command}: no pid`));
        else resolve(child.pid);
      });
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

export function parsePid(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return null;
  const pid = Number(t);
  return pid > 0 ? pid : null;
}

export function readPidFile(file: string): number | null {
  try {
    return parsePid(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export function writePidFile(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

export type PidFileState =
  | { readonly kind: 'none' }
  | { readonly kind: 'ours'; readonly pid: number }
  /** The pid file names a process that is gone or is something else now. */
  | { readonly kind: 'stale'; readonly pid: number };

/** What the pid file says, checked against /proc: only `ours` may be signalled. */
export function pidFileState(file: string, markers: readonly string[]): PidFileState {
  const pid = readPidFile(file);
  if (pid === null) return { kind: 'none' };
  return isOurs(pid, markers) ? { kind: 'ours', pid } : { kind: 'stale', pid };
}

function isOurs(pid: number, markers: readonly string[]): boolean {
  if (!isAlive(pid)) return false;
  const argv = procCmdline(pid);
  return argv !== null && cmdlineMatches(argv, markers);
}

export type StopOutcome = 'terminated' | 'killed' | 'not-ours';

/**
 * SIGTERM, then SIGKILL when the process is still alive after `graceMs`. The cmdline is checked
 * again right before each signal.
 */
export async function stopProcess(
  pid: number,
  markers: readonly string[],
  graceMs: number,
): Promise<StopOutcome> {
  if (!isOurs(pid, markers)) return 'not-ours';
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  if (!isOurs(pid, markers)) return 'terminated';
  signal(pid, 'SIGKILL');
  if (await waitForExit(pid, 10_000)) return 'killed';
  throw new InfraError(`process ${pid} did not exit even after SIGKILL`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}
