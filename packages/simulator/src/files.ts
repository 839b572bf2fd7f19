/** Files mode: DIR/reads.jsonl, DIR/events.jsonl and DIR/topology.jsonl, in produce order. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Writes DIR/topology.jsonl. */
export function writeTopologyFile(dir: string, fleet: Fleet): void {
  writeFileSync(join(dir, 'topology.jsonl'), topologyJsonl(fleet));
}

/**
 * Writes the topology JSONL to `path` (`--topology-out`) through a temporary file and a rename, so a
 * process that reads it (AMI_TOPOLOGY_FILE) never sees half of it.
 */
export function writeTopologyJsonl(path: string, fleet: Fleet): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, topologyJsonl(fleet));
  renameSync(tmp, path);
}
