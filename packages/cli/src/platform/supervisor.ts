/**
 * Supervises the platform's processes for `pnpm ami up` and the end-to-end test: spawns each
 * process (`node --import tsx <entry>`), appends its output to a log file, restarts it with
 * exponential backoff when it dies on its own (giving up after `maxRestarts` within the window),
 * and stops everything in reverse start order (SIGTERM, then SIGKILL after a grace period).
 *
 * This is a development/test supervisor; in production each process runs under the operator's own
 * (systemd, Kubernetes, …) — see docs/operator-guide.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ProcessSpec {
  /** Short name, also the log file name (`<logDir>/<name>.log`). */
  readonly name: string;
  /** Entry point, absolute or relative to the repository root (run with tsx). */
  readonly entry: string;
  readonly args?: readonly string[];
  /** Environment added to the supervisor's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with every line the process writes to stdout (e.g. to pick up a bound URL). */
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
  /** Restart when the process exits on its own (default true). */
  readonly restart?: boolean;
}

export type ProcessState = 'running' | 'restarting' | 'exited' | 'failed' | 'stopped';

export interface ProcessStatus {
  readonly name: string;
  readonly state: ProcessState;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly lastExit: string | undefined;
  readonly logFile: string;
}

export interface SupervisorOptions {
  readonly cwd: string;
  readonly logDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Restarts allowed within `restartWindowMs` before the process is marked failed (default 5). */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  /** Grace period between SIGTERM and SIGKILL when stopping (default 15 s). */
  readonly stopGraceMs?: number;
  /** Notified of starts, exits and restarts (one line each). */
  readonly onEvent?: (line: string) => void;
}

interface Managed {
  readonly spec: ProcessSpec;
  readonly log: WriteStream;
  readonly logFile: string;
  child: ChildProcess | undefined;
  state: ProcessState;
  restarts: number[];
  lastExit: string | undefined;
  timer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

/** Backoff before the n-th restart (1-based): 1 s, 2 s, 4 s … capped at 30 s. */
export function restartDelayMs(n: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, n - 1));
}

/** Splits a stream into lines and calls `fn` for each complete one. */
function onLines(stream: NodeJS.ReadableStream | null, fn: ((line: string) => void) | undefined): void {
  if (!stream || !fn) return;
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) fn(line);
  });
}

export class Supervisor {
  private readonly procs: Managed[] = [];
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {
    mkdirSync(opts.logDir, { recursive: true });
  }

  /** Starts a process (kept in start order for the reverse-order stop). */
  start(spec: ProcessSpec): void {
    if (this.procs.some((p) => p.spec.name === spec.name))
      throw new Error(`process ${spec.name} already started`);
    const logFile = join(this.opts.logDir, `${spec.name}.log`);
    const managed: Managed = {
      spec,
      log: createWriteStream(logFile, { flags: 'a' }),
      logFile,
      child: undefined,
      state: 'running',
      restarts: [],
      lastExit: undefined,
      timer: undefined,
      exited: Promise.resolve(),
    };
    this.procs.push(managed);
    this.spawn(managed);
  }

  private spawn(m: Managed): void {
    const { spec } = m;
    m.log.write(`\n--- ${new Date().toISOString()} starting ${spec.entry} ${(spec.args ?? []).join(' ')}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', spec.entry, ...(spec.args ?? [])], {
      cwd: this.opts.cwd,
      env: { ...this.opts.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    m.child = child;
    m.state = 'running';
    child.stdout.pipe(m.log, { end: false });
    child.stderr.pipe(m.log, { end: false });
    onLines(child.stdout, spec.onStdoutLine);
    onLines(child.stderr, spec.onStderrLine);
    m.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        m.lastExit = signal ? `signal ${signal}` : `code ${code ?? '?'}`;
        m.log.write(`--- ${new Date().toISOString()} exited (${m.lastExit})\n`);
        m.child = undefined;
        this.afterExit(m, code);
        resolve();
      });
    });
    this.opts.onEvent?.(`${spec.name} started (pid ${child.pid ?? '?'}, log ${m.logFile})`);
  }

  private afterExit(m: Managed, code: number | null): void {
    if (this.stopping || m.state === 'stopped') {
      m.state = 'stopped';
      return;
    }
    if (m.spec.restart === false) {
      m.state = code === 0 ? 'exited' : 'failed';
      this.opts.onEvent?.(`${m.spec.name} exited (${m.lastExit ?? ''})`);
      return;
    }
    const now = Date.now();
    const windowMs = this.opts.restartWindowMs ?? 300_000;
    m.restarts = m.restarts.filter((t) => now - t < windowMs);
    if (m.restarts.length >= (this.opts.maxRestarts ?? 5)) {
      m.state = 'failed';
      this.opts.onEvent?.(
        `${m.spec.name} exited (${m.lastExit ?? ''}) ${m.restarts.length} times within ${windowMs / 1000} s; not restarting — see ${m.logFile}`,
      );
      return;
    }
    m.restarts.push(now);
    const delay = restartDelayMs(m.restarts.length);
    m.state = 'restarting';
    this.opts.onEvent?.(
      `${m.spec.name} exited (${m.lastExit ?? ''}); restarting in ${delay / 1000} s — see ${m.logFile}`,
    );
    m.timer = setTimeout(() => {
      m.timer = undefined;
      if (!this.stopping) this.spawn(m);
    }, delay);
  }

  status(): ProcessStatus[] {
    return this.procs.map((m) => ({
      name: m.spec.name,
      state: m.state,
      pid: m.child?.pid,
      restarts: m.restarts.length,
      lastExit: m.lastExit,
      logFile: m.logFile,
    }));
  }

  /** Sends a signal to one process (tests use SIGKILL to check the restart). */
  kill(name: string, signal: NodeJS.Signals): boolean {
    const m = this.procs.find((p) => p.spec.name === name);
    return m?.child?.kill(signal) ?? false;
  }

  /** Stops one process without restarting it. */
  async stop(name: string): Promise<void> {
    const m = this.procs.find((p) => p.spec.name === name);
    if (m) await this.stopOne(m);
  }

  private async stopOne(m: Managed): Promise<void> {
    if (m.timer) clearTimeout(m.timer);
    m.timer = undefined;
    const child = m.child;
    m.state = 'stopped';
    if (!child) return;
    child.kill('SIGTERM');
    const grace = this.opts.stopGraceMs ?? 15_000;
    let killTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      m.exited,
      new Promise<void>((resolve) => {
        killTimer = setTimeout(() => {
          this.opts.onEvent?.(`${m.spec.name} did not stop within ${grace / 1000} s; SIGKILL`);
          child.kill('SIGKILL');
          resolve();
        }, grace);
      }),
    ]);
    clearTimeout(killTimer);
    await m.exited;
  }

  /** Stops every process, last started first. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const m of [...this.procs].reverse()) await this.stopOne(m);
    await Promise.all(this.procs.map((m) => new Promise<void>((resolve) => m.log.end(() => resolve()))));
  }
}
