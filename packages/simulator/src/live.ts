/**
 * A live run: gates a Simulation on the paced clock of pacing.ts, so no read or event is produced
 * before its timestamp has come, produces held events as their time comes while it waits, and
 * takes the operator's commands between intervals (take a transformer down, status, stop).
 */
import type { MessageSink } from './sink.ts';
import type { InjectedOutage, SimSummary, Simulation, SlotGate } from './simulator.ts';
import { pacedLimitMs, systemClock, wallTimeOf, type PaceConfig, type WallClock } from './pacing.ts';

export interface LiveStatus {
  /** The simulated clock: nothing later than it has been produced. */
  readonly simClockMs: number;
  readonly wallMs: number;
  /** wallMs − simClockMs. */
  readonly lagMs: number;
  /** Reads and events handed to the sink so far. */
  readonly reads: number;
  readonly events: number;
  /** Whether the simulation has reached the paced-from day. */
  readonly paced: boolean;
}

export interface LiveRunOptions {
  readonly pace: PaceConfig;
  readonly clock?: WallClock;
  /** Longest single sleep, so stops and injected events are noticed soon (default 1000 ms). */
  readonly maxSleepMs?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class LiveRun implements SlotGate {
  private readonly pace: PaceConfig;
  private readonly clock: WallClock;
  private readonly maxSleepMs: number;
  private t0: number | undefined;
  /** Due time of the interval being waited for (or last produced). */
  private dueMs: number;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly sink: MessageSink,
    options: LiveRunOptions,
  ) {
    if (!(options.pace.speedup >= 1))
      throw new RangeError(`speedup must be ≥ 1, got ${options.pace.speedup}`);
    this.pace = options.pace;
    this.clock = options.clock ?? systemClock;
    this.maxSleepMs = options.maxSleepMs ?? 1000;
    this.dueMs = sim.calendar.startMs;
  }

  /** Runs the simulation until stopped or its last interval. */
  run(): Promise<SimSummary> {
    return this.sim.run(this);
  }

  /** Wall time at which the simulation reached the paced-from day (undefined: not yet). */
  get t0Ms(): number | undefined {
    return this.t0;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  simClockMs(now = this.clock.now()): number {
    return Math.min(pacedLimitMs(now, this.pace, this.t0), this.dueMs);
  }

  status(): LiveStatus {
    const wallMs = this.clock.now();
    const simClockMs = this.simClockMs(wallMs);
    const s = this.sim.summary();
    return {
      simClockMs,
      wallMs,
      lagMs: wallMs - simClockMs,
      reads: s.reads,
      events: s.events,
      paced: this.t0 !== undefined,
    };
  }

  /** Stops the run before its next interval (what was produced stays; held messages are dropped). */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** Takes a transformer down at the simulated now (see Simulation.injectOutage). */
  injectOutage(transformerId: string | undefined, minutes: number): InjectedOutage {
    const result = this.sim.injectOutage(transformerId, this.simClockMs(), minutes);
    this.wake();
    return result;
  }

  async until(positionMs: number, dueMs: number): Promise<boolean> {
    if (this.t0 === undefined && positionMs >= this.pace.pacedFromMs) this.t0 = this.clock.now();
    this.dueMs = dueMs;
    await yieldToEventLoop();
    for (;;) {
      if (this.stopped) return false;
      const now = this.clock.now();
      const limitMs = pacedLimitMs(now, this.pace, this.t0);
      if (this.sim.releaseDueEvents(Math.min(limitMs, dueMs)) > 0) await this.sink.flush();
      if (limitMs >= dueMs) return true;
      const wakeAt = Math.min(
        wallTimeOf(dueMs, this.pace, this.t0),
        wallTimeOf(this.sim.nextEventAtMs, this.pace, this.t0),
      );
      await this.nap(Math.min(this.maxSleepMs, Math.max(1, Math.ceil(wakeAt - now))));
    }
  }

  private async nap(ms: number): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
    await Promise.race([this.clock.sleep(ms), woken]);
    this.wakeUp = undefined;
  }

  private wake(): void {
    this.wakeUp?.();
  }
}
