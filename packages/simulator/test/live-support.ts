/** Test support for live runs: a fake wall clock and a sink that records when each message came. */
import type { MessageSink, WallClock } from '../src/index.ts';

/** A wall clock that jumps forward on sleep, calling `onTick` after each jump (hooks for tests). */
export class FakeClock implements WallClock {
  sleeps = 0;
  onTick: ((nowMs: number) => void) | undefined;
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    this.sleeps++;
    this.onTick?.(this.t);
    return Promise.resolve();
  }
}

export interface Seen {
  readonly value: string;
  /** Wall time when the simulator handed it to the sink. */
  readonly atMs: number;
}

/** Records every message with the wall time it was handed over. */
export class TimedSink implements MessageSink {
  readonly reads: Seen[] = [];
  readonly events: Seen[] = [];
  flushes = 0;
  constructor(private readonly clock: WallClock) {}
  read(_key: string, value: string): void {
    this.reads.push({ value, atMs: this.clock.now() });
  }
  event(_key: string, value: string): void {
    this.events.push({ value, atMs: this.clock.now() });
  }
  flush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface ParsedRead {
  readonly meter_id: string;
  readonly read_type: string;
  readonly interval_start: string;
  readonly read_ts: string;
}

export interface ParsedEvent {
  readonly meter_id: string;
  readonly event_code: number;
  readonly event_ts: string;
}
