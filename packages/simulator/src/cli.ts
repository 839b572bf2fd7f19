/**
 * `pnpm ami sim …`: the meter-fleet simulator's command line (SPEC 8). Returns the exit code:
 * 0 done, 2 bad arguments (one line on stderr), 1 failure.
 */
import { loadConfig, type AmiConfig } from '@ami/shared/config';
import { localDate } from '@ami/shared/time';
import { faultTableMarkdown } from './faults.ts';
import { FilesSink, writeTopologyFile, writeTopologyJsonl } from './files.ts';
import { LineWriter } from './line-writer.ts';
import { UsageError, parseSimArgs, type SimOptions } from './options.ts';
import type { MessageSink } from './sink.ts';
import { Simulation, type SimConfig, type SimSummary } from './simulator.ts';

export const SIM_HELP = `usage: pnpm ami sim --to kafka|files [options]
       pnpm ami sim outage [--transformer TX-00001] [--minutes M] --control URL

Simulates a fleet of smart meters, deterministically from --seed.

  --meters N          meters in the fleet (default 1000)
  --days D            local days to simulate (default 1; with --live: until stopped)
  --start YYYY-MM-DD  first local day in AMI_TIMEZONE (default: today)
  --seed S            seed, 0–4294967295 (default 1)
  --to kafka|files    produce to the Kafka topics, or write files
  --out DIR           files mode: DIR/reads.jsonl, DIR/events.jsonl, DIR/topology.jsonl
  --truth FILE        write the ground truth (JSONL: per meter and interval, plus one line per fault)
  --rate R            kafka mode: target reads/s (default: as fast as possible)
  --topology-out FILE write the fleet's topology JSONL to FILE first (for AMI_TOPOLOGY_FILE)
  --faults all|LIST   switch faults on at their default rates (all, or a comma-separated list of kinds)
  <fault flag> R      set one fault's rate (0–1), see the table
  --help              this text

Live mode (kafka): feeds a running platform; never produces a message before its timestamp.
  --live              pace the simulation on a simulated clock that never passes the wall clock
  --paced-from DATE   days before this local day are history, produced as fast as Kafka takes
                      (default: today in AMI_TIMEZONE)
  --speedup N         from the paced-from day on, the clock runs N × the wall clock until it has
                      caught up, then in real time (number ≥ 1, default 1)
  --control-port P    control server on 127.0.0.1:P (0 = any free port; its URL goes to stderr):
                      POST /faults/outage {"transformer_id"?, "minutes"?}, GET /status
  --metrics-port P    Prometheus /metrics on 127.0.0.1:P (0 = any free port)
  SIGINT/SIGTERM stop it cleanly (flush, close the producer, exit 0).

  pnpm ami sim outage --control URL [--transformer TX-…] [--minutes M] takes a transformer of the
  running live simulation down now (last gasps, no reads, restores after M simulated minutes, default 30).

Faults (off unless asked for):
${faultTableMarkdown()}
`;

/** Runs the simulator CLI; never throws. */
export async function runSimCli(argv: string[]): Promise<number> {
  if (argv[0] === 'outage') return (await import('./outage-cli.ts')).runOutageCli(argv.slice(1));
  let options: SimOptions;
  try {
    options = parseSimArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ami sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(SIM_HELP);
    return 0;
  }
  try {
    process.stderr.write(summaryLine(await runSim(options)));
    return 0;
  } catch (err) {
    process.stderr.write(`ami sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/**
 * Files are test fixtures: without --start they begin on a fixed date, so the same command gives
 * the same bytes on any day (2026-03-28, so the default two days include the spring DST change).
 * Kafka mode feeds the live platform: without --start it begins today.
 */
export const DEFAULT_FILES_START = '2026-03-28';

function defaultStartDate(to: SimOptions['to'], timeZone: string): string {
  return to === 'files' ? DEFAULT_FILES_START : localDate(Date.now(), timeZone);
}

/**
 * Runs a simulation as the options say. Live mode runs as a service (live-service.ts): it never
 * returns, the process ends through the scaffold (exit 0 after a clean stop).
 */
export async function runSim(options: SimOptions): Promise<SimSummary> {
  if (options.live) return (await import('./live-service.ts')).runLiveSim(options);
  const config = loadConfig();
  const simConfig = simConfigOf(options, config);
  const truth = options.truth === undefined ? undefined : new LineWriter(options.truth);
  const { sink, prepare } =
    options.to === 'files'
      ? filesOutput(options.out ?? '.')
      : await openKafkaOutput(config, options, simConfig);
  const sim = new Simulation(simConfig, sink, truth);
  try {
    if (options.topologyOut !== undefined) writeTopologyJsonl(options.topologyOut, sim.fleet);
    await prepare(sim);
    return await sim.run();
  } finally {
    await sink.close();
    truth?.close();
  }
}

/** The line that ends a run on stderr. */
export function summaryLine(summary: SimSummary): string {
  return `ami sim: ${summary.reads} reads (${summary.intervalReads} interval, ${summary.dailyReads} daily), ${summary.events} events\n`;
}

/** The simulation's configuration from the options and the platform configuration. */
export function simConfigOf(options: SimOptions, config: AmiConfig): SimConfig {
  const timeZone = config.connection.timeZone;
  return {
    seed: options.seed,
    meters: options.meters,
    days: options.days,
    startDate: options.start ?? defaultStartDate(options.to, timeZone),
    timeZone,
    faults: options.faults,
    // Kafka output goes to a running platform: keep future_timestamp copies in its future.
    ...(options.to === 'files' ? {} : { now: Date.now }),
  };
}

/** Where the messages go, and what is written before the first one. */
export interface SimOutput {
  readonly sink: MessageSink;
  readonly prepare: (sim: Simulation) => Promise<void>;
}

function filesOutput(dir: string): SimOutput {
  return {
    sink: new FilesSink(dir),
    prepare: (sim) => {
      writeTopologyFile(dir, sim.fleet);
      return Promise.resolve();
    },
  };
}

/** Creates the head-end topics and opens the producer; `prepare` uploads the fleet's topology. */
export async function openKafkaOutput(
  config: AmiConfig,
  options: SimOptions,
  simConfig: SimConfig,
): Promise<SimOutput> {
  const kafka = await import('./kafka.ts');
  const { createKafka, ensureTopics, platformTopics } = await import('@ami/shared/clients');
  const headend = new Set([config.topics.reads, config.topics.events]);
  await ensureTopics(
    createKafka(config, { component: 'simulator' }),
    platformTopics(config).filter((t) => headend.has(t.topic)),
  );
  const sink = await kafka.openKafkaSink(config, {
    rate: options.rate,
    progress: !options.live,
    sendPartialBatches: options.live,
  });
  return {
    sink,
    prepare: async (sim) => {
      const version = await kafka.uploadTopology(config, sim.fleet, simConfig);
      process.stderr.write(`ami sim: topology version ${version} uploaded\n`);
    },
  };
}
