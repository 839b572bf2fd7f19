/**
 * A local three-master Redis Cluster (no replicas), for the scale-out test and for trying the
 * platform in cluster mode (REDIS_CLUSTER_NODES): three Debian redis-server processes with
 * `--cluster-enabled yes` on 127.0.0.1, ports AMI_REDIS_CLUSTER_PORT and the next two (each port +
 * 10000 is its cluster bus), each with its data dir and nodes.conf under <cache>/redis-cluster/<port>,
 * a log and a pid file like the other local services, joined once with
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`.
 *
 * - `redisClusterUp()` is idempotent: starts the nodes that do not run, creates the cluster only
 *   when no node has joined one yet, and waits until every node reports cluster_state:ok.
 * - `redisClusterDown({ reset })` stops exactly the processes it started (pid file + /proc check);
 *   `reset` also deletes the cluster's data (nodes.conf and AOF), so the next `up` creates it anew.
 * - `redisClusterStatus()` reports each node and the cluster state, changing nothing.
 * - `runRedisClusterCli(argv)` is `pnpm ami infra cluster up|down|status|env`.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadConfig, type Env } from '@ami/shared/config';
import { InfraError, UsageError, errorMessage } from './errors.ts';
import { shellQuote } from './env.ts';
import { withLock } from './lock.ts';
import { rotateLog } from './logs.ts';
import { infraPaths, sourceFiles, type InfraPaths } from './paths.ts';
import { pidFileState, removePidFile, spawnDetached, stopProcess, writePidFile } from './process.ts';
import { redisArgs, requireRedisServer } from './redis.ts';
import { isPortOpen, waitUntilHealthy, type InfraContext } from './service.ts';
import { findExecutable, runLogged } from './tools.ts';

/** Masters of the local cluster (Redis Cluster needs at least three). */
export const CLUSTER_SIZE = 3;
/** Redis Cluster's bus port is the client port + 10000. */
export const CLUSTER_BUS_OFFSET = 10_000;
export const CLUSTER_HOST = '127.0.0.1';

const LOCK_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;
/** How long a restarted cluster may take to agree again before `up` gives up. */
const CONVERGE_TIMEOUT_MS = 60_000;

export function redisClusterPorts(firstPort: number): number[] {
  return Array.from({ length: CLUSTER_SIZE }, (_, i) => firstPort + i);
}

/** The REDIS_CLUSTER_NODES value of the local cluster: `127.0.0.1:7001,127.0.0.1:7002,…`. */
export function redisClusterNodesValue(ports: readonly number[]): string {
  return ports.map((p) => `${CLUSTER_HOST}:${p}`).join(',');
}

/** Parses CLUSTER INFO (`field:value` lines) into a record. */
export function parseClusterInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** ok: every slot served, the node knows the others; fresh: the node has joined no cluster yet. */
export type NodeClusterView = 'ok' | 'fresh' | 'forming';

export function nodeClusterView(
  info: Readonly<Record<string, string>>,
  size = CLUSTER_SIZE,
): NodeClusterView {
  const known = Number(info.cluster_known_nodes ?? '0');
  const assigned = Number(info.cluster_slots_assigned ?? '0');
  if (info.cluster_state === 'ok' && known >= size && assigned === 16_384) return 'ok';
  if (known <= 1 && assigned === 0) return 'fresh';
  return 'forming';
}

interface NodePaths {
  readonly port: number;
  readonly dataDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export interface RedisClusterPaths {
  readonly root: string;
  readonly lockFile: string;
  readonly createLog: string;
  readonly nodes: readonly NodePaths[];
}

export function redisClusterPaths(paths: InfraPaths, ports: readonly number[]): RedisClusterPaths {
  const root = join(paths.cacheDir, 'redis-cluster');
  return {
    root,
    lockFile: join(paths.runDir, 'redis-cluster.lock'),
    createLog: join(paths.logsDir, 'redis-cluster-create.log'),
    nodes: ports.map((port) => ({
      port,
      dataDir: join(root, String(port)),
      pidFile: join(paths.runDir, `redis-cluster-${port}.pid`),
      logFile: join(paths.logsDir, `redis-cluster-${port}.log`),
    })),
  };
}

/** redis-server arguments of one cluster node (the local Redis's, plus cluster mode). */
export function clusterNodeArgs(node: NodePaths, confFile: string = sourceFiles.redisConf): string[] {
  return [
    ...redisArgs({
      confFile,
      port: node.port,
      dataDir: node.dataDir,
      pidFile: node.pidFile,
      logFile: node.logFile,
    }),
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    '5000',
  ];
}

/** The arguments that identify a node's process in /proc/<pid>/cmdline. */
function markersOf(node: NodePaths): string[] {
  return ['--cluster-enabled', node.dataDir];
}

/** One short-lived connection to a node; null when it does not answer. */
async function withNode<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T | null> {
  const client = new Redis({
    host: CLUSTER_HOST,
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'ami-infra-cluster',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

async function pingNode(port: number): Promise<boolean> {
  return (await withNode(port, async (c) => (await c.ping()) === 'PONG')) === true;
}

async function clusterInfo(port: number): Promise<Record<string, string> | null> {
  return withNode(port, async (c) => parseClusterInfo(String(await c.cluster('INFO'))));
}

export interface RedisClusterOptions {
  /** Progress lines; silent when omitted. */
  readonly log?: (line: string) => void;
  /** Environment (AMI_CACHE_DIR, AMI_REDIS_CLUSTER_PORT); default process.env. */
  readonly env?: Env;
}

interface Setup {
  readonly ctx: InfraContext;
  readonly cluster: RedisClusterPaths;
  readonly ports: readonly number[];
}

function setup(opts: RedisClusterOptions): Setup {
  const config = loadConfig(opts.env ?? process.env);
  const paths = infraPaths(config.runtime.cacheDir);
  const ports = redisClusterPorts(config.ports.redisClusterPort);
  const log = opts.log ?? (() => undefined);
  return {
    ctx: { config, paths, log: (line) => log(`redis-cluster: ${line}`) },
    cluster: redisClusterPaths(paths, ports),
    ports,
  };
}

export interface RedisClusterNodeStatus {
  readonly port: number;
  /** healthy: our process answers PING; running: ours, not answering; stopped: no process of ours. */
  readonly state: 'healthy' | 'running' | 'stopped';
  readonly pid: number | null;
  readonly logFile: string;
  /** This node's view: ok, fresh (joined no cluster), forming, or null when it does not answer. */
  readonly cluster: NodeClusterView | null;
}

export interface RedisClusterStatus {
  /** ok when every node runs and reports the whole cluster ok. */
  readonly state: 'ok' | 'not-ok' | 'stopped';
  readonly nodes: readonly RedisClusterNodeStatus[];
  /** The REDIS_CLUSTER_NODES value that points the platform at this cluster. */
  readonly nodesEnv: string;
}

async function nodeStatus(node: NodePaths): Promise<RedisClusterNodeStatus> {
  const current = pidFileState(node.pidFile, markersOf(node));
  if (current.kind !== 'ours')
    return { port: node.port, state: 'stopped', pid: null, logFile: node.logFile, cluster: null };
  const info = await clusterInfo(node.port);
  return {
    port: node.port,
    state: info === null ? 'running' : 'healthy',
    pid: current.pid,
    logFile: node.logFile,
    cluster: info === null ? null : nodeClusterView(info),
  };
}

function summarise(nodes: readonly RedisClusterNodeStatus[], ports: readonly number[]): RedisClusterStatus {
  const state = nodes.every((n) => n.state === 'stopped')
    ? 'stopped'
    : nodes.every((n) => n.cluster === 'ok')
      ? 'ok'
      : 'not-ok';
  return { state, nodes, nodesEnv: redisClusterNodesValue(ports) };
}

/** Each node's process and the cluster state (no lock, changes nothing). */
export async function redisClusterStatus(opts: RedisClusterOptions = {}): Promise<RedisClusterStatus> {
  const { cluster, ports } = setup(opts);
  return summarise(await Promise.all(cluster.nodes.map(nodeStatus)), ports);
}

async function startNode(ctx: InfraContext, bin: string, node: NodePaths): Promise<void> {
  const current = pidFileState(node.pidFile, markersOf(node));
  if (current.kind === 'ours') {
    await waitUntilHealthy(() => pingNode(node.port), {
      service: 'redis',
      timeoutMs: START_TIMEOUT_MS,
      pid: current.pid,
      logFile: node.logFile,
    });
    ctx.log(`node ${node.port} already running (pid ${current.pid})`);
    return;
  }
  if (current.kind === 'stale') removePidFile(node.pidFile);
  const busy: number[] = [];
  for (const port of [node.port, node.port + CLUSTER_BUS_OFFSET]) if (await isPortOpen(port)) busy.push(port);
  if (busy.length > 0) {
    throw new InfraError(
      `redis-cluster: port ${busy.join(' and ')} on ${CLUSTER_HOST} is in use by a process this cache dir ` +
        'did not start; stop it or move the local cluster with AMI_REDIS_CLUSTER_PORT',
    );
  }
  mkdirSync(node.dataDir, { recursive: true });
  const spec = { command: bin, args: clusterNodeArgs(node), cwd: node.dataDir };
  rotateLog(node.logFile);
  mkdirSync(ctx.paths.logsDir, { recursive: true });
  appendFileSync(
    node.logFile,
    `\n=== ${new Date().toISOString()} ami infra cluster up: ${spec.command} ${spec.args.join(' ')}\n`,
  );
  const pid = await spawnDetached(spec, node.logFile);
  writePidFile(node.pidFile, pid);
  try {
    await waitUntilHealthy(() => pingNode(node.port), {
      service: 'redis',
      timeoutMs: START_TIMEOUT_MS,
      pid,
      logFile: node.logFile,
    });
  } catch (err) {
    await stopProcess(pid, markersOf(node), STOP_GRACE_MS).catch(() => undefined);
    removePidFile(node.pidFile);
    throw err;
  }
  ctx.log(`node ${node.port} started (pid ${pid})`);
}

async function views(ports: readonly number[]): Promise<(NodeClusterView | null)[]> {
  return Promise.all(
    ports.map(async (p) => {
      const info = await clusterInfo(p);
      return info === null ? null : nodeClusterView(info);
    }),
  );
}

async function createCluster(ctx: InfraContext, cluster: RedisClusterPaths, ports: readonly number[]) {
  const cli = findExecutable('redis-cli');
  if (cli === null) {
    throw new InfraError(
      '`redis-cli` is not on PATH (Debian package redis-tools, installed with redis-server)',
    );
  }
  ctx.log(`creating the cluster of ${redisClusterNodesValue(ports)}`);
  await runLogged(
    cli,
    [
      '--cluster',
      'create',
      ...ports.map((p) => `${CLUSTER_HOST}:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { logFile: cluster.createLog, what: 'redis-cli --cluster create' },
  );
}

/**
 * Starts the three nodes (installing redis-server first if needed), creates the cluster when no
 * node has joined one, waits for cluster_state:ok everywhere; returns the status. Idempotent.
 */
export async function redisClusterUp(opts: RedisClusterOptions = {}): Promise<RedisClusterStatus> {
  const { ctx, cluster, ports } = setup(opts);
  mkdirSync(ctx.paths.runDir, { recursive: true });
  await withLock(
    cluster.lockFile,
    { timeoutMs: LOCK_TIMEOUT_MS, log: ctx.log, purpose: 'infra cluster up' },
    async () => {
      const bin = await requireRedisServer(ctx);
      await Promise.all(cluster.nodes.map((n) => startNode(ctx, bin, n)));
      let now = await views(ports);
      if (now.every((v) => v === 'fresh')) {
        await createCluster(ctx, cluster, ports);
        now = await views(ports);
      }
      const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
      while (!now.every((v) => v === 'ok')) {
        if (Date.now() > deadline) {
          throw new InfraError(
            `redis-cluster: the nodes do not agree on one healthy cluster after ${CONVERGE_TIMEOUT_MS / 1000} s ` +
              `(${ports.map((p, i) => `${p}: ${now[i] ?? 'no answer'}`).join(', ')}); ` +
              'start it from nothing with `pnpm ami infra cluster down --reset` and `… cluster up`',
          );
        }
        await sleep(250);
        now = await views(ports);
      }
      ctx.log(`cluster ok: REDIS_CLUSTER_NODES=${redisClusterNodesValue(ports)}`);
    },
  );
  return redisClusterStatus(opts);
}

export interface RedisClusterStopResult {
  readonly port: number;
  readonly outcome: 'stopped' | 'killed' | 'not-running' | 'stale-pid-file';
  readonly pid: number | null;
}

/** Stops the nodes this cache dir started; `reset` also deletes the cluster's data. */
export async function redisClusterDown(
  opts: RedisClusterOptions & { readonly reset?: boolean } = {},
): Promise<RedisClusterStopResult[]> {
  const { ctx, cluster } = setup(opts);
  mkdirSync(ctx.paths.runDir, { recursive: true });
  return withLock(
    cluster.lockFile,
    { timeoutMs: LOCK_TIMEOUT_MS, log: ctx.log, purpose: 'infra cluster down' },
    async () => {
      const results = await Promise.all(
        cluster.nodes.map(async (node): Promise<RedisClusterStopResult> => {
          const current = pidFileState(node.pidFile, markersOf(node));
          if (current.kind === 'none') return { port: node.port, outcome: 'not-running', pid: null };
          removePidFile(node.pidFile);
          if (current.kind === 'stale')
            return { port: node.port, outcome: 'stale-pid-file', pid: current.pid };
          const outcome = await stopProcess(current.pid, markersOf(node), STOP_GRACE_MS);
          ctx.log(`node ${node.port} ${outcome === 'not-ours' ? 'was gone' : outcome} (pid ${current.pid})`);
          return {
            port: node.port,
            outcome:
              outcome === 'killed' ? 'killed' : outcome === 'terminated' ? 'stopped' : 'stale-pid-file',
            pid: current.pid,
          };
        }),
      );
      if (opts.reset) {
        rmSync(cluster.root, { recursive: true, force: true });
        ctx.log(`deleted ${cluster.root}`);
      }
      return results;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// `pnpm ami infra cluster …`

export const REDIS_CLUSTER_HELP = `Usage: pnpm ami infra cluster <up|down|status|env> [options]

A local three-master Redis Cluster (Debian's redis-server, no replicas) on 127.0.0.1, ports
AMI_REDIS_CLUSTER_PORT (default 7001) and the next two; data under AMI_CACHE_DIR/redis-cluster.
Point the platform at it with REDIS_CLUSTER_NODES (see \`env\`).

Commands:
  up              start the nodes, create the cluster the first time, wait until it is ok
  down [--reset]  stop the nodes \`up\` started; --reset also deletes the cluster's data
  status [--json] each node's state and the cluster state (exit 1 unless ok)
  env             print export REDIS_CLUSTER_NODES='…'`;

export type RedisClusterCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'up' }
  | { readonly kind: 'down'; readonly reset: boolean }
  | { readonly kind: 'status'; readonly json: boolean }
  | { readonly kind: 'env' };

/** Parses the arguments after `infra cluster`; throws UsageError when they are wrong. */
export function parseRedisClusterArgs(argv: readonly string[]): RedisClusterCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help'))
    return { kind: 'help' };
  const only = (allowed: readonly string[]) => {
    const bad = rest.find((a) => !allowed.includes(a));
    if (bad !== undefined) throw new UsageError(`infra cluster ${sub}: unexpected argument "${bad}"`);
  };
  switch (sub) {
    case 'up':
    case 'env':
      only([]);
      return { kind: sub };
    case 'down':
      only(['--reset']);
      return { kind: 'down', reset: rest.includes('--reset') };
    case 'status':
      only(['--json']);
      return { kind: 'status', json: rest.includes('--json') };
    default:
      throw new UsageError(`infra cluster: unknown command "${sub}" (expected up, down, status, env)`);
  }
}

export function formatRedisClusterStatus(s: RedisClusterStatus): string {
  const rows = s.nodes.map(
    (n) =>
      `${`${CLUSTER_HOST}:${n.port}`.padEnd(16)}  ${n.state.padEnd(8)}  ${String(n.pid ?? '-').padEnd(8)}  ${n.cluster ?? '-'}`,
  );
  return [
    `${'NODE'.padEnd(16)}  ${'STATE'.padEnd(8)}  ${'PID'.padEnd(8)}  CLUSTER`,
    ...rows,
    `cluster: ${s.state}; REDIS_CLUSTER_NODES=${s.nodesEnv}`,
  ].join('\n');
}

/** Runs `pnpm ami infra cluster <argv…>`; resolves to the exit code. */
export async function runRedisClusterCli(
  argv: readonly string[],
  io: { readonly out: (text: string) => void; readonly err: (text: string) => void },
): Promise<number> {
  let command: RedisClusterCommand;
  try {
    command = parseRedisClusterArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`ami ${err.message}\n`);
    return 2;
  }
  const log = (line: string) => io.err(`[infra] ${line}\n`);
  try {
    switch (command.kind) {
      case 'help':
        io.out(`${REDIS_CLUSTER_HELP}\n`);
        return 0;
      case 'up':
        io.out(`${formatRedisClusterStatus(await redisClusterUp({ log }))}\n`);
        return 0;
      case 'down':
        for (const r of await redisClusterDown({ log, reset: command.reset }))
          io.out(`${CLUSTER_HOST}:${r.port}: ${r.outcome}${r.pid === null ? '' : ` (pid ${r.pid})`}\n`);
        return 0;
      case 'status': {
        const s = await redisClusterStatus();
        io.out(command.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatRedisClusterStatus(s)}\n`);
        return s.state === 'ok' ? 0 : 1;
      }
      case 'env': {
        const s = await redisClusterStatus();
        io.out(`export REDIS_CLUSTER_NODES=${shellQuote(s.nodesEnv)}\n`);
        if (s.state !== 'ok')
          io.err('note: the local cluster is not ok; start it with `pnpm ami infra cluster up`\n');
        return 0;
      }
    }
  } catch (err) {
    io.err(`ami infra cluster ${argv[0] ?? ''} failed: ${errorMessage(err)}\n`);
    return 1;
  }
}
