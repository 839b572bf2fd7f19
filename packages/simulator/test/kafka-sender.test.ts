/**
 * KafkaSink over PartitionedSender with a fake producer (no Kafka): what each produce call holds,
 * how many run at once per partition, the order per meter, and what a failed call stops.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SEND_BYTES, type KafkaProducer } from '@ami/shared/clients';
import { PARTITIONERS, partitionForKey, type Partitioner } from '@ami/shared/partitioner';
import { KafkaSink, PartitionedSender } from '../src/kafka.ts';

interface Sent {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly partition: number;
}

interface FakeMessage {
  readonly topic: string;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly partition: number;
}

/** Records the produce calls; each takes 0–2 ms; `fail` decides which call throws. */
class FakeProducer {
  readonly calls: Sent[][] = [];
  readonly written: Sent[] = [];
  private readonly running = new Map<string, number>();
  maxPerPartition = 0;
  maxOverall = 0;
  closed = false;

  constructor(private readonly fail: (call: readonly Sent[], index: number) => boolean = () => false) {}

  async send(options: { messages: readonly FakeMessage[] }): Promise<unknown> {
    const call = options.messages.map((m) => ({
      topic: m.topic,
      key: m.key.toString(),
      value: m.value.toString(),
      partition: m.partition,
    }));
    const index = this.calls.push(call) - 1;
    const ids = [...new Set(call.map((m) => `${m.topic}:${m.partition}`))];
    for (const id of ids) this.running.set(id, (this.running.get(id) ?? 0) + 1);
    this.maxPerPartition = Math.max(this.maxPerPartition, ...this.running.values());
    this.maxOverall = Math.max(
      this.maxOverall,
      [...this.running.values()].reduce((a, b) => a + b, 0),
    );
    await new Promise((r) => setTimeout(r, index % 3));
    for (const id of ids) this.running.set(id, (this.running.get(id) ?? 1) - 1);
    if (this.fail(call, index)) throw new Error(`call ${index} failed`);
    this.written.push(...call);
    return {};
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const PARTITIONS = 3;
const METERS = Array.from({ length: 40 }, (_, i) => `MTR-${String(i + 1).padStart(6, '0')}`);
/** Values of 4 kB: a batch of 500 holds ≈ 650 kB per partition, more than one call of 900 KiB. */
const value = (meter: string, seq: number): string => `${meter}#${seq}#`.padEnd(4_000, 'x');

function sinkOver(producer: FakeProducer, batchSize: number, partitioner?: Partitioner): KafkaSink {
  const sender = new PartitionedSender(
    producer as unknown as KafkaProducer,
    new Map([
      ['reads', PARTITIONS],
      ['events', 1],
    ]),
    partitioner,
  );
  return new KafkaSink(sender, 'reads', 'events', { batchSize, maxInFlight: 4 });
}

/** Hands `n` reads (meters in turn) to the sink, flushing every 250 as the simulation does. */
async function feed(sink: KafkaSink, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const meter = METERS[i % METERS.length] ?? '';
    sink.read(meter, value(meter, Math.floor(i / METERS.length)));
    if (i % 7 === 0) sink.event(meter, `{"meter_id":"${meter}","seq":${i}}`);
    if (i % 250 === 249) await sink.flush();
  }
}

describe('KafkaSink over PartitionedSender', () => {
  it('sends one partition per call below the size bound, one call at a time per partition, in order per meter', async () => {
    const producer = new FakeProducer();
    const sink = sinkOver(producer, 1_000);
    await feed(sink, 12_000);
    await sink.close();

    expect(sink.sentReads).toBe(12_000);
    expect(producer.closed).toBe(true);
    for (const call of producer.calls) {
      expect(new Set(call.map((m) => `${m.topic}:${m.partition}`)).size).toBe(1);
      expect(call.reduce((s, m) => s + m.key.length + m.value.length, 0)).toBeLessThanOrEqual(MAX_SEND_BYTES);
    }
    expect(producer.calls.length).toBeGreaterThan(12 * PARTITIONS);
    expect(producer.maxPerPartition).toBe(1);
    expect(producer.maxOverall).toBeGreaterThan(1);

    const reads = producer.written.filter((m) => m.topic === 'reads');
    for (const m of reads) expect(m.partition).toBe(partitionForKey(m.key, PARTITIONS));
    for (const meter of METERS) {
      const seqs = reads.filter((m) => m.key === meter).map((m) => Number(m.value.split('#')[1]));
      expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i));
    }
    const events = producer.written.filter((m) => m.topic === 'events');
    expect(events).toHaveLength(Math.ceil(12_000 / 7));
    const eventSeqs = events.map((m) => (JSON.parse(m.value) as { seq: number }).seq);
    expect(eventSeqs).toEqual([...eventSeqs].sort((a, b) => a - b));
  });

  it('places each message by the configured partitioner (AMI_KAFKA_PARTITIONER), so the speed layer finds it', async () => {
    for (const partitioner of PARTITIONERS) {
      const producer = new FakeProducer();
      const sink = sinkOver(producer, 100, partitioner);
      for (const meter of METERS) sink.read(meter, value(meter, 0));
      await sink.close();
      const reads = producer.written.filter((m) => m.topic === 'reads');
      expect(reads).toHaveLength(METERS.length);
      for (const m of reads) expect(m.partition).toBe(partitionForKey(m.key, PARTITIONS, partitioner));
    }
    // the rules really differ on these meters, so the check above tells them apart
    const differ = METERS.filter(
      (m) => partitionForKey(m, PARTITIONS, 'crc32') !== partitionForKey(m, PARTITIONS),
    );
    expect(differ.length).toBeGreaterThan(10);
  });

  it('after a failed call sends nothing more to its partition, fails the run and closes the producer', async () => {
    const failing = partitionForKey(METERS[0] ?? '', PARTITIONS);
    let failedAt = -1;
    const producer = new FakeProducer((call, index) => {
      if (failedAt < 0 && call[0]?.topic === 'reads' && call[0].partition === failing && index > 5) {
        failedAt = index;
        return true;
      }
      return false;
    });
    const sink = sinkOver(producer, 1_000);
    const run = async (): Promise<void> => {
      try {
        await feed(sink, 12_000);
      } finally {
        await sink.close();
      }
    };
    await expect(run()).rejects.toThrow(/failed/);
    expect(failedAt).toBeGreaterThan(0);
    expect(producer.closed).toBe(true);
    const later = producer.calls
      .slice(failedAt + 1)
      .filter((c) => c[0]?.topic === 'reads' && c[0].partition === failing);
    expect(later).toHaveLength(0);
  });
});
