/** Where simulated messages and truth lines go (files, Kafka, a counter for benchmarks). */

export interface MessageSink {
  /** Queues a read message (key = meter_id). Synchronous: the simulator calls it in its hot loop. */
  read(key: string, value: string): void;
  /** Queues an event message (key = meter_id). */
  event(key: string, value: string): void;
  /** Called after each simulated interval: writes what is queued, may wait for back-pressure. */
  flush(): Promise<void>;
  /** Writes everything left and releases resources. */
  close(): Promise<void>;
}

/** Receives truth lines (JSON text without the newline). */
export interface TruthSink {
  line(json: string): void;
}

/** Counts messages and bytes without keeping them (generation-only benchmark). */
export class CountingSink implements MessageSink {
  reads = 0;
  events = 0;
  bytes = 0;
  read(_key: string, value: string): void {
    this.reads++;
    this.bytes += value.length;
  }
  event(_key: string, value: string): void {
    this.events++;
    this.bytes += value.length;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
