/**
 * `pnpm ami sim --to kafka --live …` as a long-running process on the service scaffold
 * (@ami/shared/service): the truth file and the Kafka producer are opened, the topology uploaded,
 * then the live session runs (live-session.ts) until SIGINT/SIGTERM or its last interval. Stopping
 * closes in reverse order: the run stops before its next interval, the metrics and control servers
 * close, the producer flushes what was produced and closes, the truth file closes; then the summary
 * line, exit 0. A second signal exits 1 at once, without flushing. Lines on stderr stay
 * `ami sim: …` (the scaffold's own lines included, through a command-line logger).
 */
import { createCommandLineLogger, runService } from '@ami/shared/service';
import { localDate, localDayBounds } from '@ami/shared/time';
import { openKafkaOutput, simConfigOf, summaryLine } from './cli.ts';
import { writeTopologyJsonl } from './files.ts';
import { LineWriter } from './line-writer.ts';
import { startLiveSession } from './live-session.ts';
import type { SimOptions } from './options.ts';
import { Simulation } from './simulator.ts';

/** Runs the live simulation; the process ends through the scaffold, so this never settles. */
export function runLiveSim(options: SimOptions): Promise<never> {
  runService({
    name: 'ami sim',
    stopping: 'flushing what was produced',
    logger: (config) => createCommandLineLogger('ami sim', config.runtime.logLevel),
    start: async ({ config, onClose }) => {
      const timeZone = config.connection.timeZone;
      const simConfig = simConfigOf(options, config);
      const truth = options.truth === undefined ? undefined : new LineWriter(options.truth);
      if (truth) onClose('truth file', () => truth.close());
      const { sink, prepare } = await openKafkaOutput(config, options, simConfig);
      onClose('Kafka producer (flush)', () => sink.close());
      const sim = new Simulation(simConfig, sink, truth);
      if (options.topologyOut !== undefined) writeTopologyJsonl(options.topologyOut, sim.fleet);
      await prepare(sim);
      const pacedFrom = options.pacedFrom ?? localDate(Date.now(), timeZone);
      const session = await startLiveSession(
        sim,
        sink,
        {
          pace: { pacedFromMs: localDayBounds(pacedFrom, timeZone).startMs, speedup: options.speedup },
          timeZone,
          controlPort: options.controlPort,
          metricsPort: options.metricsPort,
        },
        onClose,
      );
      return {
        finished: session.finished,
        stopped: () => process.stderr.write(summaryLine(sim.summary())),
      };
    },
  });
  return new Promise<never>(() => undefined);
}
