import { ConfigError } from '@ami/shared/config';

export interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

export const commands: Readonly<Record<string, Command>> = {
  infra: {
    summary: 'Provision and control local Kafka, Redis and MinIO (up|down|status|logs|env)',
    run: async (argv) => (await import('@ami/infra')).runInfraCli(argv),
  },
  up: {
    summary: 'Start the whole platform with a live simulated fleet; prints URLs and keys; Ctrl-C stops it',
    run: async (argv) => (await import('./up.ts')).runUp(argv),
  },
  sim: {
    summary: 'Simulate a meter fleet: produce to Kafka or write files (+ ground truth)',
    run: async (argv) => (await import('@ami/simulator')).runSimCli(argv),
  },
  backfill: {
    summary: 'Rebuild a range of local days (BullMQ backfill job) and show its progress',
    run: async (argv) => (await import('./batch.ts')).runBatchCommand('backfill', argv),
  },
  rebuild: {
    summary: 'Rebuild and republish one local day',
    run: async (argv) => (await import('./batch.ts')).runBatchCommand('rebuild', argv),
  },
  rollback: {
    summary: 'Point a batch view back to an earlier catalog version',
    run: async (argv) => (await import('./batch.ts')).runBatchCommand('rollback', argv),
  },
  reconcile: {
    summary: 'Compare provisional and authoritative energy per transformer for a day',
    run: async (argv) => (await import('./batch.ts')).runBatchCommand('reconcile', argv),
  },
  speed: {
    summary: 'Speed-layer operations: replay Kafka into an emptied realtime view (after Redis lost its data)',
    run: async (argv) => (await import('./speed-replay.ts')).runSpeedCommand(argv),
  },
  edits: {
    summary: "Record a manual edit of an interval (rebuilds its day) or list a meter's edits",
    run: async (argv) => (await import('./edits.ts')).runEdits(argv),
  },
  config: {
    summary: 'List every setting with its default; --check validates the environment',
    run: async (argv) => (await import('./config.ts')).runConfig(argv),
  },
  bench: {
    summary: 'Run benchmarks and write bench/results/<name>.json',
    run: async (argv) => (await import('./bench.ts')).runBench(argv),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: pnpm ami <command> [options]   (or: npm run ami -- <command> [options])',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `pnpm ami <command> --help` for the options of a command.',
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`ami: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ami ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`ami ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
