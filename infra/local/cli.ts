/**
 * `pnpm ami infra up|down|status|logs|env`: argument parsing (pure) and the command runner.
 * Exit codes: 0 success, 1 failure (message on stderr), 2 bad arguments (one line on stderr).
 */
import { ConfigError } from '@ami/shared/config';
import { InfraError, UsageError, errorMessage } from './errors.ts';
import { EXTERNAL_VARIABLE, renderExports } from './env.ts';
import {
  infraDown,
  infraEnv,
  infraLogFiles,
  infraStatus,
  infraUp,
  localServicesNotRunning,
  type ServiceStatus,
  type StopResult,
} from './infra.ts';
import { readLogTail } from './logs.ts';
import { runRedisClusterCli } from './redis-cluster.ts';
import { SERVICE_NAMES, type ServiceName } from './paths.ts';

export type InfraCommand =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'up' }
  | { readonly kind: 'down' }
  | { readonly kind: 'status'; readonly json: boolean }
  | { readonly kind: 'logs'; readonly services: readonly ServiceName[]; readonly lines: number }
  | { readonly kind: 'env' };

export const DEFAULT_LOG_LINES = 50;

const SUBCOMMANDS = ['up', 'down', 'status', 'logs', 'env'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

export const INFRA_HELP = `Usage: pnpm ami infra <command> [options]

Local Kafka (KRaft), Redis 7 and MinIO on 127.0.0.1, without Docker. Installed on first use and
cached in AMI_CACHE_DIR (default ~/.cache/ami-platform). A service whose variable is set
(KAFKA_BROKERS, REDIS_URL, S3_ENDPOINT) is external: checked and provisioned, never started.

Commands:
  up       install (first time), start, wait until healthy, create topics and bucket
  down     stop the processes \`up\` started (and nothing else)
  status   state, pid and address of each service
  logs     last lines of the service logs
  env      print the connection settings as \`export NAME=value\` lines
  cluster  a local three-master Redis Cluster: cluster up|down|status|env (see cluster --help)

Run \`pnpm ami infra <command> --help\` for a command's options.`;

const HELP: Readonly<Record<Subcommand, string>> = {
  up: `Usage: pnpm ami infra up

Installs what is missing (Kafka jars via mvn, MinIO via go install, redis-server via apt-get),
starts Kafka, Redis and MinIO bound to 127.0.0.1, waits until each is healthy and creates the
Kafka topics and the S3 bucket. Idempotent: when everything runs it only checks (1–2 s).`,
  down: `Usage: pnpm ami infra down

Stops the processes \`infra up\` started from this cache dir (SIGTERM, then SIGKILL after a
timeout), after checking each pid file against /proc. Data stays; delete the cache dir to reset.`,
  status: `Usage: pnpm ami infra status [--json]

Shows each service as healthy, running (not healthy), external or stopped, with pid and address.
Exit code 0 when every service is healthy or a reachable external one, 1 otherwise.

Options:
  --json   print the status as JSON`,
  logs: `Usage: pnpm ami infra logs [kafka|redis|minio] [-n N]

Prints the last lines of the service logs (all services when none is named).

Options:
  -n, --lines N   lines per log (default ${DEFAULT_LOG_LINES})`,
  env: `Usage: pnpm ami infra env

Prints the connection settings as \`export NAME=value\` lines (values single-quoted for the
shell), so other tools can connect: eval "$(pnpm -s ami infra env)"`,
};

function isSubcommand(s: string): s is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(s);
}

function isService(s: string): s is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(s);
}

function parseLines(raw: string | undefined): number {
  if (raw === undefined) throw new UsageError('infra logs: -n needs a number of lines');
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100_000) {
    throw new UsageError(`infra logs: -n expects a whole number from 1 to 100000, got "${raw}"`);
  }
  return Number(raw);
}

/** Parses the arguments after `infra`; throws UsageError (one line) when they are wrong. */
export function parseInfraArgs(argv: readonly string[]): InfraCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    throw new UsageError(`infra: missing command (${SUBCOMMANDS.join(', ')}); see \`pnpm ami infra --help\``);
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: INFRA_HELP };
  if (!isSubcommand(sub)) {
    throw new UsageError(`infra: unknown command "${sub}" (expected ${SUBCOMMANDS.join(', ')})`);
  }
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: HELP[sub] };
  switch (sub) {
    case 'up':
    case 'down':
    case 'env':
      if (rest.length > 0) throw new UsageError(`infra ${sub}: unexpected argument "${rest[0]}"`);
      return { kind: sub };
    case 'status': {
      let json = false;
      for (const a of rest) {
        if (a === '--json') json = true;
        else throw new UsageError(`infra status: unexpected argument "${a}"`);
      }
      return { kind: 'status', json };
    }
    case 'logs':
      return parseLogsArgs(rest);
  }
}

function parseLogsArgs(args: readonly string[]): InfraCommand {
  let lines = DEFAULT_LOG_LINES;
  let service: ServiceName | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-n' || a === '--lines') lines = parseLines(args[++i]);
    else if (a.startsWith('--lines=')) lines = parseLines(a.slice('--lines='.length));
    else if (/^-n\d/.test(a)) lines = parseLines(a.slice(2));
    else if (a.startsWith('-')) throw new UsageError(`infra logs: unknown option "${a}"`);
    else if (!isService(a))
      throw new UsageError(`infra logs: unknown service "${a}" (expected ${SERVICE_NAMES.join(', ')})`);
    else if (service !== undefined) throw new UsageError('infra logs: name at most one service');
    else service = a;
  }
  return { kind: 'logs', services: service ? [service] : [...SERVICE_NAMES], lines };
}

/** Fixed-width table of service statuses. */
export function formatStatusTable(statuses: readonly ServiceStatus[]): string {
  const header = ['SERVICE', 'STATE', 'PID', 'ADDRESS', 'DETAIL'];
  const rows = statuses.map((s) => [
    s.service,
    s.state,
    s.pid === null ? '-' : String(s.pid),
    s.address,
    s.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatStopResult(r: StopResult): string {
  switch (r.outcome) {
    case 'stopped':
      return `${r.service}: stopped (pid ${r.pid})`;
    case 'killed':
      return `${r.service}: killed (pid ${r.pid}) after it ignored SIGTERM`;
    case 'stale-pid-file':
      return `${r.service}: was not running (stale pid file for pid ${r.pid} removed; nothing signalled)`;
    case 'not-running':
      return `${r.service}: was not running`;
    case 'external':
      return `${r.service}: external, left alone`;
  }
}

export interface CliIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs `pnpm ami infra <argv…>` (argv = the arguments after `infra`); resolves to the exit code. */
export async function runInfraCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  if (argv[0] === 'cluster') return runRedisClusterCli(argv.slice(1), io);
  let command: InfraCommand;
  try {
    command = parseInfraArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`ami ${err.message}\n`);
    return 2;
  }
  try {
    return await execute(command, io);
  } catch (err) {
    const known = err instanceof InfraError || err instanceof ConfigError;
    io.err(`ami infra ${argv[0] ?? ''} failed: ${known ? err.message : errorMessage(err)}\n`);
    if (!known && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return 1;
  }
}

async function execute(command: InfraCommand, io: CliIO): Promise<number> {
  const progress = (line: string) => io.err(`[infra] ${line}\n`);
  switch (command.kind) {
    case 'help':
      io.out(`${command.text}\n`);
      return 0;
    case 'up': {
      const began = Date.now();
      const { services } = await infraUp({ log: progress });
      io.out(`${formatStatusTable(services)}\n`);
      progress(
        `up in ${((Date.now() - began) / 1000).toFixed(1)} s; connect with: eval "$(pnpm -s ami infra env)"`,
      );
      return 0;
    }
    case 'down': {
      for (const r of await infraDown({ log: progress })) io.out(`${formatStopResult(r)}\n`);
      return 0;
    }
    case 'status': {
      const statuses = await infraStatus();
      io.out(command.json ? `${JSON.stringify(statuses, null, 2)}\n` : `${formatStatusTable(statuses)}\n`);
      return statuses.every((s) => s.reachable) ? 0 : 1;
    }
    case 'logs': {
      const files = infraLogFiles();
      for (const name of command.services) {
        const { file, external } = files[name];
        if (external) {
          io.out(`==> ${name}: external (${EXTERNAL_VARIABLE[name]} is set), no local log <==\n`);
          continue;
        }
        const lines = readLogTail(file, command.lines);
        io.out(`==> ${name}: ${file} <==\n${lines.length > 0 ? `${lines.join('\n')}\n` : '(no log yet)\n'}`);
      }
      return 0;
    }
    case 'env': {
      io.out(renderExports(infraEnv()));
      const down = localServicesNotRunning();
      if (down.length > 0)
        io.err(`note: local ${down.join(', ')} not running; start with \`pnpm ami infra up\`\n`);
      return 0;
    }
  }
}
