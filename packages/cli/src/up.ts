/**
 * `pnpm ami up`: the whole platform on local infrastructure with a simulated fleet (SPEC 7).
 *
 *  1. provisions/starts Kafka, Redis and MinIO (@ami/infra);
 *  2. writes the fleet's topology and makes one development API key per role;
 *  3. starts the speed layer, the archiver, the batch worker (with its schedulers) and the API under
 *     a supervisor (platform/supervisor.ts: logs per process, restart with backoff) and waits until
 *     each is ready;
 *  4. starts the simulator live: the history days as fast as Kafka takes them, then today at
 *     `--speedup` × real time until it reaches the wall clock, then in real time;
 *  5. once the archiver has stored the history, enqueues its backfill, so authoritative (batch) and
 *     provisional (speed) data both exist within the first minutes;
 *  6. prints the URLs and keys, then one status line; Ctrl-C stops everything it started
 *     (the infrastructure too, unless it was already running or --keep-infra).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureInfra, infraDown, localServicesNotRunning } from '@ami/infra';
import { createKafka, createRedis } from '@ami/shared/clients';
import { ConfigError, loadConfig, readSettings, type AmiConfig } from '@ami/shared/config';
import { speedLayerSettings } from '@ami/speed-layer';
import { addLocalDays, isValidLocalDate, localDate } from '@ami/shared/time';
import { generateDevKeys } from '@ami/serving-layer';
import { loadArchiverSettings, loadBatchJobSettings, loadBatchMetricsSettings } from '@ami/batch-layer';
import { BatchJobs, type JobProgressView } from '@ami/batch-layer/commands';
import { buildCalendar, buildFleet, topologyJsonl, FAULT_KINDS } from '@ami/simulator';
import { behindTarget, endOffsets } from './platform/offsets.ts';
import {
  PLATFORM_ENTRIES,
  platformProcesses,
  readinessUrl,
  waitForHttp,
  type PlatformPorts,
} from './platform/processes.ts';
import {
  statusLine,
  unpublishedGapDays,
  type CatalogViewSummary,
  type PlatformSnapshot,
} from './platform/status.ts';
import { upSettings } from './platform/settings.ts';
import { Supervisor } from './platform/supervisor.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export const UP_HELP = `usage: pnpm ami up [options]

Starts the whole platform on 127.0.0.1 with a simulated fleet: Kafka, Redis and MinIO (installed on
first use), the speed layer, the archiver, a batch worker with its schedulers, the API with its
dashboard, and the simulator streaming live. History days are backfilled through the batch layer so
authoritative and provisional data both exist within minutes. Prints the URLs and development API
keys, then a status line. Ctrl-C stops everything it started.

  --meters N          fleet size (default 10000)
  --history-days D    days before today to simulate and backfill (default 2, 0–14)
  --speedup X         pace of today's catch-up, × real time (default 60; then real time)
  --faults LIST       all (default), none, or a comma-separated list of fault kinds
  --seed S            simulator seed (default 1)
  --no-sim            start the platform without the simulator
  --keep-infra        leave Kafka/Redis/MinIO running on exit (default: stop them if up started them)
  --help              this text

Ports: API_PORT (8080), AMI_SPEED_METRICS_PORT (9464), AMI_ARCHIVER_METRICS_PORT (9465),
AMI_BATCH_METRICS_PORT (9466), AMI_SIM_METRICS_PORT (9467). Logs: <AMI_CACHE_DIR>/up/logs/.`;

export class UpUsageError extends Error {}

export interface UpOptions {
  readonly meters: number;
  readonly historyDays: number;
  readonly speedup: number;
  readonly faults: string;
  readonly seed: number;
  readonly sim: boolean;
  readonly keepInfra: boolean;
  readonly help: boolean;
}

function intOption(flag: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw)) throw new UpUsageError(`--${flag} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new UpUsageError(`--${flag} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

export function parseUpArgs(argv: readonly string[]): UpOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        meters: { type: 'string' },
        'history-days': { type: 'string' },
        speedup: { type: 'string' },
        faults: { type: 'string' },
        seed: { type: 'string' },
        'no-sim': { type: 'boolean' },
        'keep-infra': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UpUsageError(`${err instanceof Error ? err.message : String(err)} (see pnpm ami up --help)`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const speedupRaw = str('speedup');
  const speedup = speedupRaw === undefined ? 60 : Number(speedupRaw);
  if (!Number.isFinite(speedup) || speedup < 1 || speedup > 100_000)
    throw new UpUsageError(`--speedup must be a number between 1 and 100000, got "${speedupRaw ?? ''}"`);
  const faults = str('faults') ?? 'all';
  if (faults !== 'all' && faults !== 'none') {
    for (const k of faults.split(',')) {
      if (!(FAULT_KINDS as readonly string[]).includes(k.trim()))
        throw new UpUsageError(
          `--faults takes all, none or a list of ${FAULT_KINDS.join(', ')}; unknown "${k}"`,
        );
    }
  }
  return {
    meters: intOption('meters', str('meters'), 10_000, 1, 1_000_000),
    historyDays: intOption('history-days', str('history-days'), 2, 0, 14),
    speedup,
    faults,
    seed: intOption('seed', str('seed'), 1, 0, 4_294_967_295),
    sim: values['no-sim'] !== true,
    keepInfra: values['keep-infra'] === true,
    help: values.help === true,
  };
}

/** A port the platform binds: from the process's own setting; 0 ("any free port") is refused here. */
function fixedPort(name: string, value: number): number {
  if (value === 0) throw new UpUsageError(`${name}=0 is not supported by ami up (it must know the port)`);
  return value;
}

async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolveFree, reject) => {
    const srv = createServer();
    srv.once('error', () =>
      reject(
        new UpUsageError(
          `port ${port} (${what}) is in use — is another \`pnpm ami up\` running? Set a different port in the environment.`,
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolveFree()));
  });
}

function simArgs(o: UpOptions, firstDay: string, today: string, metricsPort: number): string[] {
  const args = [
    '--to',
    'kafka',
    '--live',
    '--meters',
    String(o.meters),
    '--seed',
    String(o.seed),
    '--start',
    firstDay,
    '--paced-from',
    today,
    '--speedup',
    String(o.speedup),
    '--control-port',
    '0',
    '--metrics-port',
    String(metricsPort),
  ];
  if (o.faults !== 'none') args.push('--faults', o.faults);
  return args;
}

interface SimStatus {
  readonly sim_clock: string;
  readonly reads: number;
  readonly events: number;
  readonly lag_s: number;
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T | null> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return (await res.json()) as T;
  } catch {
    return null;
  }
}

/**
 * `pnpm ami up`, top to bottom: check the arguments and ports, start the infrastructure, write the
 * fleet's topology and the dev keys, start the platform under one supervisor (then the simulator),
 * print the banner, follow the history backfill and print the status line until Ctrl-C.
 */
export async function runUp(argv: string[]): Promise<number> {
  const args = await checkArgsAndPorts(argv);
  if (typeof args === 'number') return args;
  const { o, ports, simMetricsPort } = args;

  const t0 = Date.now();
  const infra = await startInfra();
  const files = writeDevFiles(o, ports.api, infra.config);
  const supervisor = new Supervisor({
    cwd: REPO_ROOT,
    logDir: join(files.stateDir, 'logs'),
    env: infra.env,
    onEvent: (line) => say(line),
  });
  const stop = platformStopper(supervisor, o.keepInfra, infra.startedInfra);
  const stopped = stopOnSignal(stop);

  if (!(await startPlatform(supervisor, ports, files))) return stop(1);
  const controlUrl = o.sim ? startSimulator(supervisor, o, files, simMetricsPort) : () => undefined;
  process.stdout.write(
    banner({ o, ports, simMetricsPort, files, elapsedMs: Date.now() - t0, processEnv: process.env }),
  );

  const monitor =
    o.sim && o.historyDays > 0
      ? historyBackfill(infra.config, files.firstDay, files.today, () => simClockMs(controlUrl()), say)
      : undefined;
  const timer = startStatusLine({ ports, files, config: infra.config, supervisor, controlUrl, monitor });
  const code = await stopped;
  clearInterval(timer);
  await monitor?.close();
  return code;
}

function say(line: string): void {
  process.stderr.write(`ami up: ${line}\n`);
}

interface CheckedArgs {
  readonly o: UpOptions;
  readonly ports: PlatformPorts;
  readonly simMetricsPort: number;
}

/**
 * Parses the arguments, reads the ports and checks they are free. A number is the exit code when up
 * ends here: 0 after --help, 2 after a usage or configuration error (printed on stderr).
 */
async function checkArgsAndPorts(argv: string[]): Promise<CheckedArgs | number> {
  try {
    const o = parseUpArgs(argv);
    if (o.help) {
      process.stdout.write(UP_HELP + '\n');
      return 0;
    }
    const ports = platformPorts();
    const simMetricsPort = readSettings(upSettings).simMetricsPort;
    await assertPortFree(ports.api, 'API_PORT');
    await assertPortFree(ports.speedMetrics, 'AMI_SPEED_METRICS_PORT');
    await assertPortFree(ports.archiverMetrics, 'AMI_ARCHIVER_METRICS_PORT');
    await assertPortFree(ports.batchMetrics, 'AMI_BATCH_METRICS_PORT');
    if (o.sim) await assertPortFree(simMetricsPort, 'AMI_SIM_METRICS_PORT');
    return { o, ports, simMetricsPort };
  } catch (err) {
    if (err instanceof UpUsageError || err instanceof ConfigError) {
      process.stderr.write(`ami up: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The ports the platform's processes bind, from their own settings. */
function platformPorts(): PlatformPorts {
  return {
    api: loadConfig().connection.apiPort,
    speedMetrics: fixedPort('AMI_SPEED_METRICS_PORT', readSettings({ p: speedLayerSettings.metricsPort }).p),
    archiverMetrics: fixedPort('AMI_ARCHIVER_METRICS_PORT', loadArchiverSettings().metricsPort),
    batchMetrics: fixedPort('AMI_BATCH_METRICS_PORT', loadBatchMetricsSettings().port),
  };
}

interface Infra {
  /** The local services up started itself (stopped again on exit unless --keep-infra). */
  readonly startedInfra: readonly string[];
  /** The environment of the platform's processes: this one's plus the infrastructure's. */
  readonly env: NodeJS.ProcessEnv;
  readonly config: AmiConfig;
}

/** Provisions/starts Kafka, Redis and MinIO and derives the platform's environment. */
async function startInfra(): Promise<Infra> {
  const startedInfra = localServicesNotRunning();
  const infraEnvVars = await ensureInfra({ log: (l) => say(l) });
  const env: NodeJS.ProcessEnv = { ...process.env, ...infraEnvVars };
  // The dev platform flushes the archive every minute (default 1 h) so the history is stored soon.
  env.AMI_ARCHIVER_FLUSH_AGE_S ??= '60';
  return { startedInfra, env, config: loadConfig(env) };
}

type DevKeys = ReturnType<typeof generateDevKeys>;

interface DevFiles {
  /** <AMI_CACHE_DIR>/up: the topology, the keys file and the logs. */
  readonly stateDir: string;
  readonly today: string;
  /** The first simulated (history) day. */
  readonly firstDay: string;
  readonly topologyFile: string;
  readonly dev: DevKeys;
  readonly keysFile: string;
}

/** Writes the fleet's topology and one fresh development key per role (also as a `source`-able file). */
function writeDevFiles(o: UpOptions, apiPort: number, config: AmiConfig): DevFiles {
  const tz = config.connection.timeZone;
  const stateDir = join(config.runtime.cacheDir, 'up');
  mkdirSync(stateDir, { recursive: true });
  const today = localDate(Date.now(), tz);
  const firstDay = addLocalDays(today, -o.historyDays);
  if (!isValidLocalDate(firstDay)) throw new Error(`bad first day ${firstDay}`);

  // Topology: the same fleet the simulator derives from (seed, meters, first day).
  const topologyFile = join(stateDir, `topology-${o.seed}-${o.meters}-${firstDay}.jsonl`);
  writeFileSync(
    topologyFile,
    topologyJsonl(buildFleet(o.seed, o.meters, buildCalendar(firstDay, 1, tz).startMs)),
  );

  const dev = generateDevKeys();
  const keysFile = join(stateDir, 'dev-keys.env');
  writeFileSync(keysFile, devKeysEnv(dev, apiPort));
  chmodSync(keysFile, 0o600);
  return { stateDir, today, firstDay, topologyFile, dev, keysFile };
}

/** The keys file: the API's URL and one `export AMI_KEY_<ROLE>=…` per development key. */
function devKeysEnv(dev: DevKeys, apiPort: number): string {
  return (
    [
      `export AMI_API=http://127.0.0.1:${apiPort}`,
      ...dev.keys.map((k) => `export AMI_KEY_${k.role.toUpperCase()}=${k.key}`),
    ].join('\n') + '\n'
  );
}

function keyOf(dev: DevKeys, role: string): string {
  return dev.keys.find((k) => k.role === role)?.key ?? '';
}

/**
 * How up stops: every supervised process, then the infrastructure it started itself (unless
 * --keep-infra). Runs once; resolves with `code`.
 */
function platformStopper(
  supervisor: Supervisor,
  keepInfra: boolean,
  startedInfra: readonly string[],
): (code: number) => Promise<number> {
  let stopping = false;
  return async (code) => {
    if (stopping) return code;
    stopping = true;
    process.stderr.write('\n');
    say('stopping the platform …');
    await supervisor.stopAll();
    if (!keepInfra && startedInfra.length > 0) {
      say(`stopping the infrastructure it started (${startedInfra.join(', ')})`);
      await infraDown({ log: (l) => say(l) });
    } else {
      say('infrastructure left running (`pnpm ami infra down` stops it)');
    }
    return code;
  };
}

/** Stops on the first SIGINT/SIGTERM; resolves with exit code 0 once stopped. */
function stopOnSignal(stop: (code: number) => Promise<number>): Promise<number> {
  return new Promise<number>((resolveStop) => {
    const onSignal = () => void stop(0).then(resolveStop);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/**
 * Starts the speed layer, the archiver, the batch worker and the API under the supervisor and waits
 * until each is ready, in that order. False (the reason said on stderr) when one is not.
 */
async function startPlatform(
  supervisor: Supervisor,
  ports: PlatformPorts,
  files: DevFiles,
): Promise<boolean> {
  try {
    const specs = platformProcesses({
      ports,
      topologyFile: files.topologyFile,
      apiKeysJson: JSON.stringify(files.dev.entries),
      pseudonymSecret: randomBytes(32).toString('base64url'),
    });
    for (const spec of specs) supervisor.start(spec);
    for (const spec of specs) {
      await waitForHttp(readinessUrl(spec.name, ports), {
        timeoutMs: 120_000,
        hint: `see ${join(files.stateDir, 'logs', `${spec.name}.log`)}`,
        alive: () => supervisor.status().find((s) => s.name === spec.name)?.state !== 'failed',
      });
      say(`${spec.name} ready`);
    }
    return true;
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return false;
  }
}

/** Starts the simulator live; returns the URL of its control server once it printed it. */
function startSimulator(
  supervisor: Supervisor,
  o: UpOptions,
  files: DevFiles,
  simMetricsPort: number,
): () => string | undefined {
  let controlUrl: string | undefined;
  supervisor.start({
    name: 'simulator',
    entry: PLATFORM_ENTRIES.simulator,
    args: simArgs(o, files.firstDay, files.today, simMetricsPort),
    env: { AMI_TOPOLOGY_FILE: files.topologyFile },
    onStderrLine: (line) => {
      const m = /control (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) controlUrl = m[1];
    },
  });
  return () => controlUrl;
}

interface BannerFacts {
  readonly o: UpOptions;
  readonly ports: PlatformPorts;
  readonly simMetricsPort: number;
  readonly files: DevFiles;
  /** Time it took to come up. */
  readonly elapsedMs: number;
  /** Where the MinIO ports are read from (up's own environment). */
  readonly processEnv: NodeJS.ProcessEnv;
}

/** The text printed once the platform is up: URLs, development keys, what to do next. */
function banner({ o, ports, simMetricsPort, files, elapsedMs, processEnv }: BannerFacts): string {
  const api = `http://127.0.0.1:${ports.api}`;
  return (
    [
      '',
      `AMI platform is up (${(elapsedMs / 1000).toFixed(0)} s). ${o.sim ? `Streaming ${o.meters} meters from ${files.firstDay}.` : 'No simulator (--no-sim).'}`,
      '',
      `  Dashboard   ${api}/dashboard#key=${keyOf(files.dev, 'dashboard')}`,
      `  API         ${api}   (OpenAPI ${api}/openapi.json, docs ${api}/docs)`,
      `  Queues      ${api}/queues   (user "operator", password = the operator key)`,
      `  Metrics     ${api}/metrics, :${ports.speedMetrics}/metrics (speed), :${ports.archiverMetrics}/metrics (archiver), :${ports.batchMetrics}/metrics (batch)${o.sim ? `, :${simMetricsPort}/metrics (simulator)` : ''}`,
      `  MinIO       http://127.0.0.1:${processEnv.AMI_MINIO_PORT ?? '9000'} (console :${processEnv.AMI_MINIO_CONSOLE_PORT ?? '9001'})`,
      `  Logs        ${join(files.stateDir, 'logs')}`,
      '',
      '  Development API keys (x-api-key header; valid until Ctrl-C):',
      ...files.dev.keys.map((k) => `    ${k.role.padEnd(9)} ${k.key}`),
      `  (also in ${files.keysFile}: \`source\` it for the curl examples of docs/user-guide/)`,
      '',
      o.sim
        ? '  Inject a transformer outage: pnpm ami sim outage --control <control URL shown in the status line>'
        : '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n'
  );
}

async function simStatus(controlUrl: string | undefined): Promise<SimStatus | null> {
  return controlUrl ? getJson<SimStatus>(`${controlUrl}/status`) : null;
}

/** The simulated clock in ms (null: the simulator does not answer yet). */
async function simClockMs(controlUrl: string | undefined): Promise<number | null> {
  const s = await simStatus(controlUrl);
  return s ? Date.parse(s.sim_clock) : null;
}

interface StatusSources {
  readonly ports: PlatformPorts;
  readonly files: DevFiles;
  readonly config: AmiConfig;
  readonly supervisor: Supervisor;
  readonly controlUrl: () => string | undefined;
  readonly monitor: BackfillMonitor | undefined;
}

/** Gathers the status line's facts: processes, simulator, backfill, catalog and open alerts. */
async function platformSnapshot(src: StatusSources): Promise<PlatformSnapshot> {
  const api = `http://127.0.0.1:${src.ports.api}`;
  const sim = await simStatus(src.controlUrl());
  const catalog = await getJson<{
    version: string | null;
    watermark: string | null;
    views: CatalogViewSummary[];
  }>(`${api}/v1/catalog`, {
    'x-api-key': keyOf(src.files.dev, 'operator'),
  });
  const alerts = await getJson<{ total: number }>(`${api}/v1/alerts?status=open&limit=1`, {
    'x-api-key': keyOf(src.files.dev, 'dashboard'),
  });
  return {
    nowMs: Date.now(),
    processes: src.supervisor.status(),
    sim: sim ? { clock: sim.sim_clock, reads: sim.reads, lagS: sim.lag_s } : null,
    controlUrl: src.controlUrl() ?? null,
    backfill: src.monitor?.progress() ?? null,
    watermark: catalog?.watermark ?? null,
    gapDays: catalog ? unpublishedGapDays(catalog.views) : null,
    timeZone: src.config.connection.timeZone,
    version: catalog?.version ?? null,
    openAlerts: alerts ? alerts.total : null,
  };
}

/**
 * Prints the status line every second: rewritten in place on a terminal, else one line every 30 s.
 * Returns the timer (cleared on stop).
 */
function startStatusLine(src: StatusSources): NodeJS.Timeout {
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const tick = async () => {
    const line = statusLine(await platformSnapshot(src));
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrinted >= 30_000) {
      process.stderr.write(`${line}\n`);
      lastPrinted = Date.now();
    }
  };
  return setInterval(() => void tick(), 1000);
}

interface BackfillMonitor {
  progress(): PlatformSnapshot['backfill'];
  close(): Promise<void>;
}

/**
 * Waits until the simulator has produced the history days and the archiver has committed all of it,
 * then enqueues the backfill of [firstDay, today − 1] and follows its progress.
 */
function historyBackfill(
  config: AmiConfig,
  firstDay: string,
  today: string,
  simClockMs: () => Promise<number | null>,
  say: (line: string) => void,
): BackfillMonitor {
  const kafka = createKafka(config, { component: 'ami-up' });
  const admin = kafka.admin();
  const connection = createRedis(config, { forBullMQ: true, connectionName: 'ami-up' });
  const jobs = new BatchJobs({
    connection,
    settings: loadBatchJobSettings(),
    timeZone: config.connection.timeZone,
  });
  const archiverGroup = loadArchiverSettings().groupId;
  const todayStartMs = buildCalendar(today, 1, config.connection.timeZone).startMs;
  let state: 'waiting-for-history' | 'archiving' | 'running' | 'done' | 'failed' = 'waiting-for-history';
  let jobId: string | undefined;
  let view: JobProgressView | null = null;
  let closed = false;

  const loop = async () => {
    // 1. the simulated clock passed today's first intervals: the history days are produced
    //    (their last reads carry read_ts up to ~5 min after midnight).
    for (;;) {
      if (closed) return;
      const clock = await simClockMs();
      if (clock !== null && clock >= todayStartMs + 600_000) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // 2. the archiver committed everything produced so far.
    state = 'archiving';
    const target = await endOffsets(admin, [config.topics.reads, config.topics.events]);
    while (!closed && (await behindTarget(admin, archiverGroup, target)) > 0n) {
      await new Promise((r) => setTimeout(r, 2000));
    }
    if (closed) return;
    // 3. backfill the history days.
    jobId = await jobs.enqueueBackfill(firstDay, addLocalDays(today, -1));
    state = 'running';
    say(`history archived; backfill ${firstDay} … ${addLocalDays(today, -1)} enqueued (job ${jobId})`);
    while (!closed) {
      view = await jobs.getProgress(jobId);
      if (view?.state === 'completed') {
        state = 'done';
        say('history backfill done: authoritative data up to the watermark');
        return;
      }
      if (view?.state === 'failed') {
        state = 'failed';
        say(`history backfill failed: ${view.failedReason ?? 'unknown reason'} (see the batch-worker log)`);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const running = loop().catch((err: unknown) => {
    state = 'failed';
    say(`history backfill: ${err instanceof Error ? err.message : String(err)}`);
  });

  return {
    progress: () => ({
      state,
      done: view?.children?.done ?? 0,
      total: view?.children?.total ?? 0,
    }),
    close: async () => {
      closed = true;
      await running;
      await admin.close().catch(() => undefined);
      await jobs.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
