/**
 * The live command-line session (`pnpm ami sim --to kafka --live`): a LiveRun with its control
 * server (`--control-port`), its /metrics server (`--metrics-port`) and progress lines on stderr
 * with the simulated clock. Started inside the service scaffold (cli.ts `runLiveSim`): each part
 * registers its close step, the run's own last, so that on SIGINT/SIGTERM the run stops before its
 * next interval, then the servers close (and the caller's producer flushes and closes).
 */
import { startMetricsServer } from '@ami/shared/metrics';
import type { ServiceContext } from '@ami/shared/service';
import { formatIsoOffset } from '@ami/shared/time';
import { startControlServer } from './control.ts';
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

export interface LiveSession {
  /** Settles when the run reaches its last interval or is stopped. */
  readonly finished: Promise<SimSummary>;
}

const say = (line: string): void => {
  process.stderr.write(`ami sim: ${line}\n`);
};

/** Starts running `sim` live; `onClose` receives the close steps (the run's own registered last). */
export async function startLiveSession(
  sim: Simulation,
  sink: MessageSink,
  options: LiveSessionOptions,
  onClose: ServiceContext['onClose'],
): Promise<LiveSession> {
  const tz = options.timeZone;
  const live = new LiveRun(sim, sink, {
    pace: options.pace,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  say(
    `live: paced from ${formatIsoOffset(options.pace.pacedFromMs, tz)} at ×${options.pace.speedup} ` +
      `until caught up with the wall clock; ${Number.isFinite(sim.calendar.days) ? `${sim.calendar.days} days` : 'until stopped'}`,
  );
  const timer = startProgressLines(live, tz, options.progressEveryMs ?? 5000);
  onClose('progress lines', () => clearInterval(timer));
  if (options.controlPort !== undefined) {
    const control = await startControlServer(live, options.controlPort, tz);
    onClose('control server', () => control.close());
    say(`control ${control.url}`);
  }
  if (options.metricsPort !== undefined) {
    const metrics = await startMetricsServer(
      liveMetricsRegistry(() => live.status()),
      options.metricsPort,
    );
    onClose('metrics server', () => metrics.close());
    say(`metrics http://127.0.0.1:${metrics.port}/metrics`);
  }
  const finished = live.run();
  // Closed first: the run stops before its next interval (what was produced stays).
  onClose('live run', async () => {
    live.stop();
    await finished;
  });
  return { finished };
}

/** A progress line every `everyMs`: simulated clock, lag, rate and counts. */
function startProgressLines(live: LiveRun, tz: string, everyMs: number): NodeJS.Timeout {
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
  }, everyMs);
  timer.unref();
  return timer;
}
