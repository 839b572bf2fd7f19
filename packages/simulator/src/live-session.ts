/**
 * The live command-line session (`pnpm ami sim --to kafka --live`): a LiveRun with its control
 * server (`--control-port`), its /metrics server (`--metrics-port`), progress lines on stderr with
 * the simulated clock, and a clean stop on SIGINT/SIGTERM (the run returns; the caller flushes and
 * closes the producer). A second signal exits at once with code 1.
 */
import { startMetricsServer } from '@ami/shared/metrics';
import { formatIsoOffset } from '@ami/shared/time';
import { startControlServer, type ControlServer } from './control.ts';
import { LiveRun } from './live.ts';
import { liveMetricsRegistry } from './live-metrics.ts';
import type { PaceConfig, WallClock } from './pacing.ts';
import type { MessageSink } from './sink.ts';
import type { SimSummary, Simulation } from './simulator.ts';

export interface LiveSessionOptions {
  readonly pace: PaceConfig;
  readonly timeZone: string;
  readonly controlPort?: number | undefined;
  readonly metricsPort?: number | undefined;
  /** Progress line period (default 5 s). */
  readonly progressEveryMs?: number;
  readonly clock?: WallClock;
}

const say = (line: string): void => {
  process.stderr.write(`ami sim: ${line}\n`);
};

/** Runs `sim` live until stopped by a signal or its last interval. */
export async function runLiveSession(
  sim: Simulation,
  sink: MessageSink,
  options: LiveSessionOptions,
): Promise<SimSummary> {
  const tz = options.timeZone;
  const live = new LiveRun(sim, sink, {
    pace: options.pace,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const closers: (() => Promise<void>)[] = [];
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      say(`${signal} again: exiting without flushing`);
      process.exit(1);
    }
    signalled = true;
    say(`${signal}: stopping (flushing what was produced)`);
    live.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let lastReads = 0;
  let lastAt = Date.now();
  const timer = setInterval(() => {
    const s = live.status();
    const now = Date.now();
    const rate = Math.round(((s.reads - lastReads) * 1000) / Math.max(1, now - lastAt));
    lastReads = s.reads;
    lastAt = now;
    say(
      `clock ${formatIsoOffset(Math.floor(s.simClockMs), tz)} (${s.paced ? 'paced' : 'history'}, ` +
        `lag ${Math.round(s.lagMs / 1000)} s), ${rate} reads/s, ${s.reads} reads, ${s.events} events`,
    );
  }, options.progressEveryMs ?? 5000);
  timer.unref();
  try {
    say(
      `live: paced from ${formatIsoOffset(options.pace.pacedFromMs, tz)} at ×${options.pace.speedup} ` +
        `until caught up with the wall clock; ${Number.isFinite(sim.calendar.days) ? `${sim.calendar.days} days` : 'until stopped'}`,
    );
    if (options.controlPort !== undefined) {
      const control: ControlServer = await startControlServer(live, options.controlPort, tz);
      closers.push(() => control.close());
      say(`control ${control.url}`);
    }
    if (options.metricsPort !== undefined) {
      const metrics = await startMetricsServer(
        liveMetricsRegistry(() => live.status()),
        options.metricsPort,
      );
      closers.push(() => metrics.close());
      say(`metrics http://127.0.0.1:${metrics.port}/metrics`);
    }
    if (!live.isStopped) return await live.run();
    return sim.summary();
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const close of closers.reverse()) await close();
  }
}
