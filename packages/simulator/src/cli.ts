/**
 * `pnpm ami sim …`: the meter-fleet simulator's command line (SPEC 8). Returns the exit code:
 * 0 done, 2 bad arguments (one line on stderr), 1 failure.
 */
import { loadConfig } from '@ami/shared/config';
import { localDate, localDayBounds } from '@ami/shared/time';
import { faultTableMarkdown } from './faults.ts';
import { FilesSink, writeTopologyFile, writeTopologyJsonl } from './files.ts';
import { LineWriter } from './line-writer.ts';
import { UsageError, parseSimArgs, type SimOptions } from './options.ts';
import type { MessageSink } from './sink.ts';
import { Simulation, type SimSummary } from './simulator.ts';

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
  --producer P        kafka mode: wire (default, the simulator's bulk producer) or kafkajs
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
    const summary = await runSim(options);
    process.stderr.write(
      `ami sim: ${summary.reads} reads (${summary.intervalReads} interval, ${summary.dailyReads} daily), ${summary.events} events\n`,
    );
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

/** Runs a simulation as the options say. */
export async function runSim(options: SimOptions): Promise<SimSummary> {
  const config = loadConfig();
  const timeZone = config.connection.timeZone;
  const simConfig = {
    seed: options.seed,
    meters: options.meters,
    days: options.days,
    startDate: options.start ?? defaultStartDate(options.to, timeZone),
    timeZone,
    faults: options.faults,
    // Kafka output goes to a running platform: keep future_timestamp copies in its future.
    ...(options.to === 'files' ? {} : { now: Date.now }),
  };
  const truth = options.truth === undefined ? undefined : new LineWriter(options.truth);
  let sink: MessageSink;
  let prepare: (sim: Simulation) => Promise<void>;
  if (options.to === 'files') {
    const dir = options.out ?? '.';
    sink = new FilesSink(dir);
    prepare = (sim) => {
      writeTopologyFile(dir, sim.fleet);
      return Promise.resolve();
    };
  } else {
    const kafka = await import('./kafka.ts');
    const { createKafka, ensureTopics, platformTopics } = await import('@ami/shared/clients');
    const headend = new Set([config.topics.reads, config.topics.events]);
    await ensureTopics(
      createKafka(config, { component: 'simulator' }),
      platformTopics(config).filter((t) => headend.has(t.topic)),
    );
    sink = await kafka.openKafkaSink(config, {
      rate: options.rate,
      progress: !options.live,
      producer: options.producer,
      sendPartialBatches: options.live,
    });
    prepare = async (sim) => {
      const version = await kafka.uploadTopology(config, sim.fleet, simConfig);
      process.stderr.write(`ami sim: topology version ${version} uploaded\n`);
    };
  }
  const sim = new Simulation(simConfig, sink, truth);
  try {
    if (options.topologyOut !== undefined) writeTopologyJsonl(options.topologyOut, sim.fleet);
    await prepare(sim);
    if (options.live) {
      const { runLiveSession } = await import('./live-session.ts');
      const pacedFrom = options.pacedFrom ?? localDate(Date.now(), timeZone);
      return await runLiveSession(sim, sink, {
        pace: { pacedFromMs: localDayBounds(pacedFrom, timeZone).startMs, speedup: options.speedup },
        timeZone,
        controlPort: options.controlPort,
        metricsPort: options.metricsPort,
      });
    }
    return await sim.run();
  } finally {
    await sink.close();
    truth?.close();
  }
}
