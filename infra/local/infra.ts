/**
 * The programmatic API behind `pnpm ami infra …` and the integration tests' global setup:
 * bring the three services up (install, start, wait for health, create topics and bucket),
 * stop what we started, report status. External services (KAFKA_BROKERS, REDIS_URL, S3_ENDPOINT
 * set) are only checked and provisioned, never started or stopped.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { loadConfig, type Env } from '@ami/shared/config';
import { InfraError, errorMessage } from './errors.ts';
import { EXTERNAL_VARIABLE, infraEnvFromConfig, isExternal, type InfraEnv } from './env.ts';
import { kafkaService } from './kafka.ts';
import { withLock } from './lock.ts';
import { rotateLog } from './logs.ts';
import { minioService } from './minio.ts';
import { infraPaths, logFileOf, pidFileOf, SERVICE_NAMES, type ServiceName } from './paths.ts';
import { pidFileState, removePidFile, spawnDetached, stopProcess, writePidFile } from './process.ts';
import { redisService } from './redis.ts';
import {
  isPortOpen,
  waitUntilHealthy,
  waitUntilReachable,
  type InfraContext,
  type LocalService,
} from './service.ts';

export type { InfraEnv } from './env.ts';

const SERVICES: Readonly<Record<ServiceName, LocalService>> = {
  kafka: kafkaService,
  redis: redisService,
  minio: minioService,
};

/** Variables that move each local service to other ports (named in port-conflict errors). */
const PORT_VARIABLES: Readonly<Record<ServiceName, string>> = {
  kafka: 'AMI_KAFKA_PORT / AMI_KAFKA_CONTROLLER_PORT',
  redis: 'AMI_REDIS_PORT',
  minio: 'AMI_MINIO_PORT / AMI_MINIO_CONSOLE_PORT',
};

const LOCK_TIMEOUT_MS = 30 * 60_000;
const EXTERNAL_TIMEOUT_MS = 20_000;

/**
 * healthy: our process runs and passes its health check; running: our process runs but is not
 * healthy (starting, or broken); external: not managed here (its variable is set); stopped: no
 * process of ours.
 */
export type ServiceState = 'healthy' | 'running' | 'external' | 'stopped';

export interface ServiceStatus {
  readonly service: ServiceName;
  readonly state: ServiceState;
  /** Pid of the process we started, when it runs. */
  readonly pid: number | null;
  /** Where clients connect (broker list or URL). */
  readonly address: string;
  /** Local: passes its health check; external: answers. */
  readonly reachable: boolean;
  /** The service's log file (null for external services). */
  readonly logFile: string | null;
  /** One line of extra information (topics, bucket, why it is stopped …). */
  readonly detail: string;
}

export interface InfraOptions {
  /** Progress lines ("kafka: started (pid 123)"); silent when omitted. */
  readonly log?: (line: string) => void;
  /**
   * The environment the configuration comes from (default process.env): another AMI_CACHE_DIR and
   * port settings give a second, private instance (private-instance.ts).
   */
  readonly env?: Env;
}

export interface InfraDownOptions extends InfraOptions {
  /** Stop only these services (default: all three). */
  readonly services?: readonly ServiceName[];
}

export interface InfraUpResult {
  readonly env: InfraEnv;
  readonly services: readonly ServiceStatus[];
}

export type StopResult =
  | { readonly service: ServiceName; readonly outcome: 'stopped' | 'killed'; readonly pid: number }
  | { readonly service: ServiceName; readonly outcome: 'not-running' | 'external'; readonly pid: null }
  /** The pid file named a process that is gone or not ours: the file was removed, nothing was signalled. */
  | { readonly service: ServiceName; readonly outcome: 'stale-pid-file'; readonly pid: number };

interface Setup {
  readonly ctx: InfraContext;
  readonly external: Readonly<Record<ServiceName, boolean>>;
}

function setup(opts: InfraOptions, env: Env = process.env): Setup {
  const config = loadConfig(env);
  const localEnv = infraEnvFromConfig(
    loadConfig({ ...env, KAFKA_BROKERS: undefined, REDIS_URL: undefined, S3_ENDPOINT: undefined }),
  );
  const paths = infraPaths(config.runtime.cacheDir);
  const external = Object.fromEntries(SERVICE_NAMES.map((s) => [s, isExternal(s, env, localEnv)])) as Record<
    ServiceName,
    boolean
  >;
  return { ctx: { config, paths, log: opts.log ?? (() => undefined) }, external };
}

function scoped(ctx: InfraContext, service: ServiceName): InfraContext {
  return { ...ctx, log: (line) => ctx.log(`${service}: ${line}`) };
}

/** Connection settings of the configured services (local defaults unless overridden). */
export function infraEnv(): InfraEnv {
  return infraEnvFromConfig(loadConfig());
}

/** `infra up`: see ensureInfra; also returns each service's status. */
export async function infraUp(opts: InfraOptions = {}): Promise<InfraUpResult> {
  const { ctx, external } = setup(opts, opts.env);
  mkdirSync(ctx.paths.runDir, { recursive: true });
  mkdirSync(ctx.paths.logsDir, { recursive: true });
  const services = await withLock(
    ctx.paths.lockFile,
    { timeoutMs: LOCK_TIMEOUT_MS, log: ctx.log, purpose: 'infra up' },
    async () => {
      const results = await Promise.allSettled(
        SERVICE_NAMES.map((name) => upService(SERVICES[name], scoped(ctx, name), external[name])),
      );
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
      if (failures.length > 0) throw new InfraError(failures.join('\n'));
      return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    },
  );
  return { env: infraEnvFromConfig(ctx.config), services };
}

/**
 * Installs (first time), starts and health-checks Kafka, Redis and MinIO, creates the topics and
 * the bucket, and returns the connection settings. Idempotent and safe to call concurrently
 * (a lock file serialises callers); fast when everything already runs.
 */
export async function ensureInfra(opts: InfraOptions = {}): Promise<InfraEnv> {
  return (await infraUp(opts)).env;
}

async function upService(s: LocalService, ctx: InfraContext, external: boolean): Promise<ServiceStatus> {
  const address = s.address(ctx);
  if (external) {
    if (!(await waitUntilReachable(() => s.isReachable(ctx), EXTERNAL_TIMEOUT_MS))) {
      throw new InfraError(
        `${s.name}: external endpoint ${address} (from ${EXTERNAL_VARIABLE[s.name]}) is not reachable ` +
          `after ${EXTERNAL_TIMEOUT_MS / 1000} s`,
      );
    }
    const detail = await s.provision(ctx);
    ctx.log(`external at ${address}: ${detail}`);
    return { service: s.name, state: 'external', pid: null, address, reachable: true, logFile: null, detail };
  }
  const pidFile = pidFileOf(ctx.paths, s.name);
  const logFile = logFileOf(ctx.paths, s.name);
  const markers = s.markers(ctx);
  const current = pidFileState(pidFile, markers);
  let pid: number;
  if (current.kind === 'ours') {
    pid = current.pid;
    if (!(await s.isHealthy(ctx))) {
      ctx.log(`already started (pid ${pid}) but not healthy yet: waiting`);
      await waitUntilHealthy(() => s.isHealthy(ctx), {
        service: s.name,
        timeoutMs: s.startTimeoutMs,
        pid,
        logFile,
      });
    }
    ctx.log(`already running (pid ${pid})`);
  } else {
    if (current.kind === 'stale') {
      removePidFile(pidFile);
      ctx.log(`removed stale pid file (pid ${current.pid} is not our ${s.name} any more)`);
    }
    pid = await start(s, ctx, pidFile, logFile);
  }
  const detail = await s.provision(ctx);
  return { service: s.name, state: 'healthy', pid, address, reachable: true, logFile, detail };
}

async function start(s: LocalService, ctx: InfraContext, pidFile: string, logFile: string): Promise<number> {
  const busy: number[] = [];
  for (const port of s.ports(ctx)) if (await isPortOpen(port)) busy.push(port);
  if (busy.length > 0) {
    throw new InfraError(
      `${s.name}: ${busy.length === 1 ? 'port' : 'ports'} ${busy.join(', ')} on 127.0.0.1 ${busy.length === 1 ? 'is' : 'are'} ` +
        `already in use by a process this cache dir did not start; ` +
        `stop it, move the local ${s.name} with ${PORT_VARIABLES[s.name]}, ` +
        `or use it as an external service by setting ${EXTERNAL_VARIABLE[s.name]}`,
    );
  }
  const spec = await s.prepare(ctx);
  rotateLog(logFile);
  appendFileSync(
    logFile,
    `\n=== ${new Date().toISOString()} ami infra up: ${spec.command} ${spec.args.join(' ')}\n`,
  );
  const began = Date.now();
  const pid = await spawnDetached(spec, logFile);
  writePidFile(pidFile, pid);
  ctx.log(`started (pid ${pid}), waiting for it to become healthy`);
  try {
    await waitUntilHealthy(() => s.isHealthy(ctx), {
      service: s.name,
      timeoutMs: s.startTimeoutMs,
      pid,
      logFile,
    });
  } catch (err) {
    // Do not leave a half-started process behind: it would hold the ports and confuse the next `up`.
    await stopProcess(pid, s.markers(ctx), s.stopGraceMs).catch(() => undefined);
    removePidFile(pidFile);
    throw err;
  }
  ctx.log(`healthy after ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return pid;
}

/**
 * `infra down`: stops exactly the processes this cache dir's pid files name (after checking /proc);
 * `services` limits it to some of them (the others keep running; `infraUp` starts them again).
 */
export async function infraDown(opts: InfraDownOptions = {}): Promise<StopResult[]> {
  const { ctx } = setup(opts, opts.env);
  const names = SERVICE_NAMES.filter((name) => opts.services?.includes(name) ?? true);
  mkdirSync(ctx.paths.runDir, { recursive: true });
  return withLock(
    ctx.paths.lockFile,
    { timeoutMs: LOCK_TIMEOUT_MS, log: ctx.log, purpose: 'infra down' },
    () => Promise.all(names.map((name) => downService(SERVICES[name], scoped(ctx, name)))),
  );
}

async function downService(s: LocalService, ctx: InfraContext): Promise<StopResult> {
  const pidFile = pidFileOf(ctx.paths, s.name);
  const current = pidFileState(pidFile, s.markers(ctx));
  if (current.kind === 'none') return { service: s.name, outcome: 'not-running', pid: null };
  if (current.kind === 'stale') {
    removePidFile(pidFile);
    ctx.log(
      `pid file named pid ${current.pid}, which is not our ${s.name}: removed the file, signalled nothing`,
    );
    return { service: s.name, outcome: 'stale-pid-file', pid: current.pid };
  }
  ctx.log(`stopping (pid ${current.pid})`);
  const outcome = await stopProcess(current.pid, s.markers(ctx), s.stopGraceMs);
  removePidFile(pidFile);
  if (outcome === 'not-ours') return { service: s.name, outcome: 'stale-pid-file', pid: current.pid };
  ctx.log(outcome === 'killed' ? `killed (no exit within ${s.stopGraceMs / 1000} s of SIGTERM)` : 'stopped');
  return { service: s.name, outcome: outcome === 'killed' ? 'killed' : 'stopped', pid: current.pid };
}

/** `infra status`: each service's state, pid, address and health (no lock, changes nothing). */
export async function infraStatus(opts: Pick<InfraOptions, 'env'> = {}): Promise<ServiceStatus[]> {
  const { ctx, external } = setup({}, opts.env);
  return Promise.all(SERVICE_NAMES.map((name) => statusOf(SERVICES[name], ctx, external[name])));
}

async function statusOf(s: LocalService, ctx: InfraContext, external: boolean): Promise<ServiceStatus> {
  const address = s.address(ctx);
  if (external) {
    const reachable = await s.isReachable(ctx);
    const detail = `${EXTERNAL_VARIABLE[s.name]} is set; ${reachable ? 'reachable' : 'NOT reachable'}`;
    return { service: s.name, state: 'external', pid: null, address, reachable, logFile: null, detail };
  }
  const logFile = logFileOf(ctx.paths, s.name);
  const current = pidFileState(pidFileOf(ctx.paths, s.name), s.markers(ctx));
  if (current.kind === 'ours') {
    const healthy = await s.isHealthy(ctx);
    const detail = healthy ? 'passes its health check' : 'process runs but fails its health check';
    return {
      service: s.name,
      state: healthy ? 'healthy' : 'running',
      pid: current.pid,
      address,
      reachable: healthy,
      logFile,
      detail,
    };
  }
  const portBusy = (await Promise.all(s.ports(ctx).map((p) => isPortOpen(p)))).some(Boolean);
  const detail = [
    current.kind === 'stale' ? `stale pid file (pid ${current.pid} is not ours)` : 'not started',
    portBusy ? 'its port is in use by another process' : '',
  ]
    .filter((x) => x !== '')
    .join('; ');
  return { service: s.name, state: 'stopped', pid: null, address, reachable: false, logFile, detail };
}

/** Local (non-external) services whose process is not running; no network, for quick warnings. */
export function localServicesNotRunning(): ServiceName[] {
  const { ctx, external } = setup({});
  return SERVICE_NAMES.filter(
    (name) =>
      !external[name] &&
      pidFileState(pidFileOf(ctx.paths, name), SERVICES[name].markers(ctx)).kind !== 'ours',
  );
}

/** Log file of each service, for `infra logs`. */
export function infraLogFiles(): Readonly<
  Record<ServiceName, { readonly file: string; readonly external: boolean }>
> {
  const { ctx, external } = setup({});
  return Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, { file: logFileOf(ctx.paths, name), external: external[name] }]),
  ) as Record<ServiceName, { file: string; external: boolean }>;
}
