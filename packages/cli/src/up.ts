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
import { speedLayerSettings } from '@ami/speed-layer/config';
import { addLocalDays, isValidLocalDate, localDate } from '@ami/shared/time';
import { generateDevKeys } from '@ami/serving-layer/auth/key-store';
import { BatchJobs, type JobProgressView } from '@ami/batch-layer/jobs/client';
import { loadBatchJobSettings, loadBatchMetricsSettings } from '@ami/batch-layer/jobs/settings';
import { loadArchiverSettings } from '@ami/batch-layer/archiver/config';
import { buildCalendar, buildFleet, topologyJsonl, FAULT_KINDS } from '@ami/simulator';
import { behindTarget, endOffsets } from './platform/offsets.ts';
import {
  PLATFORM_ENTRIES,
  platformProcesses,
  readinessUrl,
  waitForHttp,
  type PlatformPorts,
} from './platform/processes.ts';
import { statusLine, type PlatformSnapshot } from './platform/status.ts';
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

export async function runUp(argv: string[]): Promise<number> {
  let o: UpOptions;
  let ports: PlatformPorts;
  let simMetricsPort: number;
  try {
    o = parseUpArgs(argv);
    if (o.help) {
      process.stdout.write(UP_HELP + '\n');
      return 0;
    }
    ports = {
      api: loadConfig().connection.apiPort,
      speedMetrics: fixedPort(
        'AMI_SPEED_METRICS_PORT',
        readSettings({ p: speedLayerSettings.metricsPort }).p,
      ),
      archiverMetrics: fixedPort('AMI_ARCHIVER_METRICS_PORT', loadArchiverSettings().metricsPort),
      batchMetrics: fixedPort('AMI_BATCH_METRICS_PORT', loadBatchMetricsSettings().port),
    };
    simMetricsPort = readSettings(upSettings).simMetricsPort;
    await assertPortFree(ports.api, 'API_PORT');
    await assertPortFree(ports.speedMetrics, 'AMI_SPEED_METRICS_PORT');
    await assertPortFree(ports.archiverMetrics, 'AMI_ARCHIVER_METRICS_PORT');
    await assertPortFree(ports.batchMetrics, 'AMI_BATCH_METRICS_PORT');
    if (o.sim) await assertPortFree(simMetricsPort, 'AMI_SIM_METRICS_PORT');
  } catch (err) {
    if (err instanceof UpUsageError || err instanceof ConfigError) {
      process.stderr.write(`ami up: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const say = (line: string) => process.stderr.write(`ami up: ${line}\n`);
  const t0 = Date.now();
  const startedInfra = localServicesNotRunning();
  const infraEnvVars = await ensureInfra({ log: (l) => say(l) });
  const env: NodeJS.ProcessEnv = { ...process.env, ...infraEnvVars };
  // The dev platform flushes the archive every minute (default 1 h) so the history is stored soon.
  env.AMI_ARCHIVER_FLUSH_AGE_S ??= '60';
  const config: AmiConfig = loadConfig(env);
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
  const keyOf = (role: string) => dev.keys.find((k) => k.role === role)?.key ?? '';
  const keysFile = join(stateDir, 'dev-keys.env');
  writeFileSync(
    keysFile,
    [
      `export AMI_API=http://127.0.0.1:${ports.api}`,
      ...dev.keys.map((k) => `export AMI_KEY_${k.role.toUpperCase()}=${k.key}`),
    ].join('\n') + '\n',
  );
  chmodSync(keysFile, 0o600);

  const supervisor = new Supervisor({
    cwd: REPO_ROOT,
    logDir: join(stateDir, 'logs'),
    env,
    onEvent: (line) => say(line),
  });
  let stopping = false;
  const stop = async (code: number): Promise<number> => {
    if (stopping) return code;
    stopping = true;
    process.stderr.write('\n');
    say('stopping the platform …');
    await supervisor.stopAll();
    if (!o.keepInfra && startedInfra.length > 0) {
      say(`stopping the infrastructure it started (${startedInfra.join(', ')})`);
      await infraDown({ log: (l) => say(l) });
    } else {
      say('infrastructure left running (`pnpm ami infra down` stops it)');
    }
    return code;
  };

  const stopped = new Promise<number>((resolveStop) => {
    const onSignal = () => void stop(0).then(resolveStop);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  try {
    const specs = platformProcesses({
      ports,
      topologyFile,
      apiKeysJson: JSON.stringify(dev.entries),
      pseudonymSecret: randomBytes(32).toString('base64url'),
    });
    for (const spec of specs) supervisor.start(spec);
    for (const spec of specs) {
      await waitForHttp(readinessUrl(spec.name, ports), {
        timeoutMs: 120_000,
        hint: `see ${join(stateDir, 'logs', `${spec.name}.log`)}`,
        alive: () => supervisor.status().find((s) => s.name === spec.name)?.state !== 'failed',
      });
      say(`${spec.name} ready`);
    }
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return stop(1);
  }

  let controlUrl: string | undefined;
  if (o.sim) {
    supervisor.start({
      name: 'simulator',
      entry: PLATFORM_ENTRIES.simulator,
      args: simArgs(o, firstDay, today, simMetricsPort),
      env: { AMI_TOPOLOGY_FILE: topologyFile },
      onStderrLine: (line) => {
        const m = /control (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) controlUrl = m[1];
      },
    });
  }

  const api = `http://127.0.0.1:${ports.api}`;
  process.stdout.write(
    [
      '',
      `AMI platform is up (${((Date.now() - t0) / 1000).toFixed(0)} s). ${o.sim ? `Streaming ${o.meters} meters from ${firstDay}.` : 'No simulator (--no-sim).'}`,
      '',
      `  Dashboard   ${api}/dashboard#key=${keyOf('dashboard')}`,
      `  API         ${api}   (OpenAPI ${api}/openapi.json, docs ${api}/docs)`,
      `  Queues      ${api}/queues   (user "operator", password = the operator key)`,
      `  Metrics     ${api}/metrics, :${ports.speedMetrics}/metrics (speed), :${ports.archiverMetrics}/metrics (archiver), :${ports.batchMetrics}/metrics (batch)${o.sim ? `, :${simMetricsPort}/metrics (simulator)` : ''}`,
      `  MinIO       http://127.0.0.1:${process.env.AMI_MINIO_PORT ?? '9000'} (console :${process.env.AMI_MINIO_CONSOLE_PORT ?? '9001'})`,
      `  Logs        ${join(stateDir, 'logs')}`,
      '',
      '  Development API keys (x-api-key header; valid until Ctrl-C):',
      ...dev.keys.map((k) => `    ${k.role.padEnd(9)} ${k.key}`),
      `  (also in ${keysFile}: \`source\` it for the curl examples of docs/user-guide/)`,
      '',
      o.sim
        ? '  Inject a transformer outage: pnpm ami sim outage --control <control URL shown in the status line>'
        : '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n',
  );

  const simStatus = async (): Promise<SimStatus | null> =>
    controlUrl ? getJson<SimStatus>(`${controlUrl}/status`) : null;
  const monitor =
    o.sim && o.historyDays > 0
      ? historyBackfill(
          config,
          firstDay,
          today,
          async () => {
            const s = await simStatus();
            return s ? Date.parse(s.sim_clock) : null;
          },
          say,
        )
      : undefined;
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const tick = async () => {
    const sim = await simStatus();
    const catalog = await getJson<{ version: string | null; watermark: string | null }>(`${api}/v1/catalog`, {
      'x-api-key': keyOf('operator'),
    });
    const alerts = await getJson<{ count: number }>(`${api}/v1/alerts?status=open&limit=1000`, {
      'x-api-key': keyOf('dashboard'),
    });
    const snap: PlatformSnapshot = {
      nowMs: Date.now(),
      processes: supervisor.status(),
      sim: sim ? { clock: sim.sim_clock, reads: sim.reads, lagS: sim.lag_s } : null,
      controlUrl: controlUrl ?? null,
      backfill: monitor?.progress() ?? null,
      watermark: catalog?.watermark ?? null,
      timeZone: config.connection.timeZone,
      version: catalog?.version ?? null,
      openAlerts: alerts ? alerts.count : null,
    };
    const line = statusLine(snap);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrinted >= 30_000) {
      process.stderr.write(`${line}\n`);
      lastPrinted = Date.now();
    }
  };
  const timer = setInterval(() => void tick(), 1000);
  const code = await stopped;
  clearInterval(timer);
  await monitor?.close();
  return code;
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
    await admin.connect();
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
      await admin.disconnect().catch(() => undefined);
      await jobs.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
