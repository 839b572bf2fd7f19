/**
 * Bench bound: produce → consume latency of a topic seen by a plain consumer (own group, reads
 * nothing but the record timestamp), run in a child process of its own so it shares no event loop
 * with the consumer being measured. It uses the speed layer's client the way the speed layer does
 * (@platformatic/kafka through `createKafka`: `openStream` + `pumpBatches`, the same
 * maxBytesPerPartition and records per round). `startPlainLatency` starts it and resolves once it
 * has joined its group; `stop()` returns the delays (consume time − Kafka record timestamp, ms) of
 * every message seen, in arrival order.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKafka, openStream, pumpBatches } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { loadSpeedLayerSettings } from '../../src/config.ts';

interface PlainLatencyInput {
  readonly config: AmiConfig;
  readonly topic: string;
  readonly groupId: string;
}

type ChildMessage = { kind: 'ready' } | { kind: 'seen'; n: number } | { kind: 'done'; delays: Float64Array };

export interface PlainLatency {
  /** Messages seen so far (updated about every 200 ms). */
  seen(): number;
  /** Idempotent: a second call returns the same delays. */
  stop(): Promise<Float64Array>;
}

export async function startPlainLatency(input: PlainLatencyInput): Promise<PlainLatency> {
  const child = fork(fileURLToPath(import.meta.url), ['--plain-latency-child'], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seen = 0;
  let deliver: ((d: Float64Array) => void) | undefined;
  const done = new Promise<Float64Array>((resolve) => (deliver = resolve));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'seen') seen = m.n;
      else deliver?.(m.delays);
    });
    child.once('exit', (code) => reject(new Error(`plain-latency consumer exited (${code})`)));
    child.send(input);
  });
  let stopped: Promise<Float64Array> | undefined;
  return {
    seen: () => seen,
    stop: () =>
      (stopped ??= (async () => {
        child.send('stop');
        const delays = await done;
        child.disconnect();
        return delays;
      })()),
  };
}

async function runChild(input: PlainLatencyInput): Promise<void> {
  const settings = loadSpeedLayerSettings();
  const kafka = createKafka(input.config, { component: 'bench-plain-latency' });
  const consumer = kafka.consumer({
    groupId: input.groupId,
    maxBytesPerPartition: settings.maxBytesPerPartition,
  });
  const delays: number[] = [];
  const stop = new AbortController();
  const stream = await openStream(consumer, { topics: [input.topic], fallback: 'earliest' });
  const pumping = pumpBatches(
    stream,
    async (batches) => {
      const now = Date.now();
      for (const b of batches) for (const r of b.records) delays.push(now - Number(r.timestamp));
      await Promise.resolve();
    },
    { maxRecords: settings.maxRecordsPerBatch, signal: stop.signal },
  ).catch((err: unknown) => {
    // the delays seen so far are still reported on stop
    process.stderr.write(
      `plain-latency consumer failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  });
  const ticker = setInterval(() => process.send?.({ kind: 'seen', n: delays.length }), 200);
  process.once('message', () => {
    clearInterval(ticker);
    stop.abort();
    void (async () => {
      await pumping;
      await stream.close().catch(() => undefined);
      await consumer.close().catch(() => undefined);
      process.send?.({ kind: 'done', delays: Float64Array.from(delays) });
    })();
  });
  process.send?.({ kind: 'ready' });
}

if (process.argv.includes('--plain-latency-child')) {
  process.once('message', (input: PlainLatencyInput) => void runChild(input));
}
