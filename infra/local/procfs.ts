/**
 * Reading /proc: is a pid alive (zombies count as dead), what is its command line, when did it
 * start. Parsing is pure and tested; the readers return null when the process does not exist.
 */
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), T, X (dead) … */
  readonly state: string;
  /** Start time in clock ticks after boot: with the pid, it identifies one process for good. */
  readonly startTime: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state); starttime is field 22.
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isFinite(startTime)) return null;
  return { state, startTime };
}

/** Splits /proc/<pid>/cmdline (NUL-separated, NUL-terminated) into argv. */
export function parseCmdline(raw: string): string[] {
  const parts = raw.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** True when every marker is one of the arguments: how we recognise a process we started. */
export function cmdlineMatches(argv: readonly string[], markers: readonly string[]): boolean {
  return markers.length > 0 && markers.every((m) => argv.includes(m));
}

function readProc(pid: number, file: string): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

export function procStat(pid: number): ProcStat | null {
  const text = readProc(pid, 'stat');
  return text === null ? null : parseProcStat(text);
}

export function procCmdline(pid: number): string[] | null {
  const raw = readProc(pid, 'cmdline');
  return raw === null ? null : parseCmdline(raw);
}

/** Alive = exists and is neither a zombie nor dead (an unreaped zombie still answers kill(pid, 0)). */
export function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}
