/**
 * Handles on what the chaos tests break:
 *  - `PrivateInfra`: the chaos project's own Kafka, Redis and MinIO (test/chaos/global-setup.ts):
 *    stop one (SIGTERM, as `infra down` does), SIGKILL one, wipe Redis's data, start what is stopped;
 *  - `PlatformProcesses`: the platform's processes as `pnpm ami up` runs them, each under its own
 *    Supervisor (restart with back-off when it dies), so one can be SIGKILLed (the supervisor brings
 *    it back) or stopped and started again (the operator's replay procedure);
 *  - `until` / `runCli`: polling without timed assertions, and the `ami` command line as a child process.
 */
import { spawn } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { loadConfig } from '@ami/shared/config';
import { infraDown, infraPaths, infraUp, type ServiceName } from '@ami/infra';
import {
  isAlive,
  isPortOpen,
  kafkaService,
  minioService,
  pidFileOf,
  pidFileState,
  redisService,
} from '@ami/infra/instances';
import {
  platformProcesses,
  readinessUrl,
  waitForHttp,
  type PlatformPorts,
  type PlatformProcess,
  type PlatformProcessOptions,
} from '@ami/cli/platform';
import { Supervisor, type ProcessSpec } from '@ami/cli/platform';
import { until as poll } from '../../support/poll.ts';

/**
 * `until` with the chaos suite's defaults: an error counts as "not yet" (a service may be down on
 * purpose), polled every 500 ms; the timeout error names `what`, the last error and `state()`.
 */
export function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
  state?: () => Promise<string> | string,
): Promise<T> {
  return poll(what, fn, timeoutMs, { everyMs, retryErrors: true, ...(state ? { state } : {}) });
}

export class PrivateInfra {
  private readonly paths;

  constructor(readonly env: Readonly<Record<string, string>>) {
    const dir = env.AMI_CACHE_DIR;
    if (dir === undefined) throw new Error('the chaos env has no AMI_CACHE_DIR');
    this.paths = infraPaths(dir);
  }

  /** Stops one service the way `pnpm ami infra down` does (SIGTERM, SIGKILL after a grace period). */
  async stop(service: ServiceName): Promise<void> {
    const [r] = await infraDown({ env: this.env, services: [service] });
    if (r?.outcome !== 'stopped' && r?.outcome !== 'killed')
      throw new Error(`${service} was not running (${r?.outcome ?? 'no result'})`);
  }

  /**
   * SIGKILLs one service (after checking the pid file names our process) and waits until it is gone
   * and its ports are closed: a child it forked (Redis's background save or AOF rewrite) inherits
   * the listening socket and keeps the port open until it finishes, and `infraUp` refuses a port
   * that something else holds.
   */
  async kill(service: ServiceName): Promise<void> {
    const ctx = { config: loadConfig(this.env), paths: this.paths, log: () => undefined };
    const definition = { kafka: kafkaService, redis: redisService, minio: minioService }[service];
    const state = pidFileState(pidFileOf(this.paths, service), definition.markers(ctx));
    if (state.kind !== 'ours') throw new Error(`${service}: no process of ours to kill (${state.kind})`);
    process.kill(state.pid, 'SIGKILL');
    await until(
      `${service} (pid ${state.pid}) to exit`,
      () => Promise.resolve(isAlive(state.pid) ? undefined : true),
      30_000,
      100,
    );
    const ports = definition.ports(ctx);
    await until(
      `${service}'s ports ${ports.join(', ')} to close`,
      async () => ((await Promise.all(ports.map((p) => isPortOpen(p)))).some(Boolean) ? undefined : true),
      60_000,
      100,
    );
  }

  /** Deletes Redis's data (AOF and RDB) — run while Redis is stopped: it comes back empty. */
  wipeRedisData(): void {
    rmSync(this.paths.redisDataDir, { recursive: true, force: true });
  }

  /**
   * Copies Redis's data files as they are now, Redis running (an AOF cut mid-write loads up to its
   * last complete command, `aof-load-truncated yes`): a state Redis can be brought back to later.
   */
  copyRedisData(to: string): void {
    rmSync(to, { recursive: true, force: true });
    cpSync(this.paths.redisDataDir, to, { recursive: true });
  }

  /** Replaces Redis's data by an earlier copy — run while Redis is stopped. */
  restoreRedisData(from: string): void {
    this.wipeRedisData();
    cpSync(from, this.paths.redisDataDir, { recursive: true });
  }

  /** Starts every stopped service and waits until all are healthy (`pnpm ami infra up`). */
  async start(): Promise<void> {
    await infraUp({ env: this.env });
  }
}

export class PlatformProcesses {
  private readonly supervisors = new Map<PlatformProcess, Supervisor>();
  private readonly specs: ReadonlyMap<PlatformProcess, ProcessSpec>;
  readonly events: string[] = [];

  constructor(
    private readonly opts: {
      readonly cwd: string;
      readonly logDir: string;
      readonly env: NodeJS.ProcessEnv;
      readonly platform: PlatformProcessOptions;
    },
  ) {
    this.specs = new Map(platformProcesses(opts.platform).map((s) => [s.name, s]));
  }

  get ports(): PlatformPorts {
    return this.opts.platform.ports;
  }

  /** Starts a process under a new supervisor and waits until it answers its readiness probe. */
  async start(name: PlatformProcess): Promise<void> {
    if (this.supervisors.has(name)) throw new Error(`${name} is running`);
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`no spec for ${name}`);
    const supervisor = new Supervisor({
      cwd: this.opts.cwd,
      logDir: this.opts.logDir,
      env: this.opts.env,
      stopGraceMs: 20_000,
      // Faults come in a row: never give up restarting during a run.
      maxRestarts: 1000,
      onEvent: (line) => this.events.push(`${new Date().toISOString()} ${line}`),
    });
    this.supervisors.set(name, supervisor);
    supervisor.start(spec);
    await this.ready(name);
  }

  /** Waits until the process answers its readiness probe (after a start or a restart). */
  async ready(name: PlatformProcess, timeoutMs = 180_000): Promise<void> {
    await waitForHttp(readinessUrl(name, this.ports), {
      timeoutMs,
      hint: `log ${this.opts.logDir}/${name}.log`,
    });
  }

  /** Stops a process gracefully (SIGTERM); it stays stopped until `start`. */
  async stop(name: PlatformProcess): Promise<void> {
    const s = this.supervisors.get(name);
    this.supervisors.delete(name);
    await s?.stopAll();
  }

  /** Sends a signal to a running process; its supervisor restarts it when it exits. */
  kill(name: PlatformProcess, signal: NodeJS.Signals): number {
    const status = this.status(name);
    if (status.pid === undefined || !this.supervisors.get(name)?.kill(name, signal))
      throw new Error(`${name} is not running (${status.state})`);
    return status.pid;
  }

  status(name: PlatformProcess) {
    const s = this.supervisors.get(name)?.status()[0];
    if (s === undefined) throw new Error(`${name} was never started`);
    return s;
  }

  /** Waits until the supervisor restarted the process after `restartsBefore` and it is ready again. */
  async restarted(name: PlatformProcess, restartsBefore: number): Promise<void> {
    await until(
      `${name} to be restarted by its supervisor`,
      () =>
        Promise.resolve(
          this.status(name).restarts > restartsBefore && this.status(name).state === 'running'
            ? true
            : undefined,
        ),
      60_000,
      200,
    );
    await this.ready(name);
  }

  async stopAll(): Promise<void> {
    for (const name of [...this.supervisors.keys()].reverse()) await this.stop(name);
  }
}

/** Runs `pnpm ami <args>` (node + tsx, as scripts/bootstrap.mjs does) with `env`; returns its output. */
export async function runCli(
  cwd: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  return { code, stdout, stderr };
}
