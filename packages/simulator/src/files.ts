/** Files mode: DIR/reads.jsonl, DIR/events.jsonl and DIR/topology.jsonl, in produce order. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineWriter } from './line-writer.ts';
import type { MessageSink } from './sink.ts';
import { topologyJsonl, type Fleet } from './topology.ts';

export class FilesSink implements MessageSink {
  private readonly reads: LineWriter;
  private readonly events: LineWriter;

  constructor(dir: string) {
    this.reads = new LineWriter(join(dir, 'reads.jsonl'));
    this.events = new LineWriter(join(dir, 'events.jsonl'));
  }

  read(_key: string, value: string): void {
    this.reads.line(value);
  }

  event(_key: string, value: string): void {
    this.events.line(value);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.reads.close();
    this.events.close();
    return Promise.resolve();
  }
}

export function writeTopologyFile(dir: string, fleet: Fleet): void {
  writeFileSync(join(dir, 'topology.jsonl'), topologyJsonl(fleet));
}
