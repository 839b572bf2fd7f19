import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, createS3, createTopics, withAdmin, type KafkaClients } from '@ami/shared/clients';
import { loadConfig, type AmiConfig } from '@ami/shared/config';
import { partitionForKey } from '@ami/shared/partitioner';
import { NO_FAULTS, Simulation, type MessageSink } from '../src/index.ts';
import { openKafkaSink, uploadTopology, type KafkaSinkOptions } from '../src/kafka.ts';
import { consumeAll } from './kafka-support.ts';

interface Produced {
  readonly key: string;
  readonly value: string;
}

/** Forwards to a sink and remembers what it was given, in order. */
class RecordingSink implements MessageSink {
  readonly reads: Produced[] = [];
  readonly events: Produced[] = [];
  constructor(private readonly inner: MessageSink) {}
  read(key: string, value: string): void {
    this.reads.push({ key, value });
    this.inner.read(key, value);
  }
  event(key: string, value: string): void {
    this.events.push({ key, value });
    this.inner.event(key, value);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe.each<NonNullable<KafkaSinkOptions['acks']>>(['all', 'leader'])('kafka mode with acks %s', (acks) => {
  let config: AmiConfig;
  let kafka: KafkaClients;
  const suffix = `${acks}-${Date.now().toString(36)}`;
  const readsTopic = `it.sim.reads.${suffix}`;
  const eventsTopic = `it.sim.events.${suffix}`;
  const PARTITIONS = 3;

  beforeAll(async () => {
    config = loadConfig({ ...process.env, ...inject('infraEnv') });
    kafka = createKafka(config, { component: 'sim-it' });
    await withAdmin(kafka, (admin) =>
      createTopics(
        admin,
        [readsTopic, eventsTopic].map((topic) => ({
          topic,
          numPartitions: PARTITIONS,
          replicationFactor: 1,
        })),
      ),
    );
  });

  afterAll(async () => {
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [readsTopic, eventsTopic] })).catch(
      () => undefined,
    );
  });

  it('produces every read and event keyed by meter_id, on the Java client’s partition, in order per meter', async () => {
    // Small batches, several in flight: a meter's reads span many batches and produce calls.
    const sink = new RecordingSink(
      await openKafkaSink(config, { readsTopic, eventsTopic, acks, batchSize: 3_000, maxInFlight: 4 }),
    );
    const sim = new Simulation(
      {
        seed: 5,
        meters: 150,
        days: 1,
        startDate: '2026-06-01',
        timeZone: config.connection.timeZone,
        faults: { ...NO_FAULTS, outage: 0.3, tamper: 0.05 },
      },
      sink,
    );
    const summary = await sim.run();
    await sink.close();
    expect(summary.reads).toBe(sink.reads.length);
    expect(sink.events.length).toBeGreaterThan(0);

    const reads = await consumeAll(kafka, readsTopic, sink.reads.length);
    const events = await consumeAll(kafka, eventsTopic, sink.events.length);
    expect(reads.length).toBe(sink.reads.length);
    expect(events.length).toBe(sink.events.length);

    for (const [produced, consumed] of [
      [sink.reads, reads],
      [sink.events, events],
    ] as const) {
      const perKey = (list: readonly Produced[]): Map<string, string[]> => {
        const m = new Map<string, string[]>();
        for (const x of list) m.set(x.key, [...(m.get(x.key) ?? []), x.value]);
        return m;
      };
      expect(perKey(consumed)).toEqual(perKey(produced));
      for (const c of consumed) {
        expect(JSON.parse(c.value)).toMatchObject({ meter_id: c.key });
        expect(c.partition).toBe(partitionForKey(c.key, PARTITIONS));
      }
    }
  });
});

describe('topology upload', () => {
  it('writes the version and points current.json at it', async () => {
    const config = loadConfig({ ...process.env, ...inject('infraEnv') });
    const sim = new Simulation(
      {
        seed: 9,
        meters: 40,
        days: 1,
        startDate: '2026-06-01',
        timeZone: config.connection.timeZone,
        faults: NO_FAULTS,
      },
      {
        read: () => undefined,
        event: () => undefined,
        flush: () => Promise.resolve(),
        close: () => Promise.resolve(),
      },
    );
    // A private prefix: the shared bucket's reference/topology/current.json belongs to the platform.
    const prefix = `it-sim-${Date.now().toString(36)}/reference/topology`;
    const version = await uploadTopology(
      config,
      sim.fleet,
      { seed: 9, meters: 40, startDate: '2026-06-01' },
      prefix,
    );
    const s3 = createS3(config);
    try {
      const get = async (Key: string): Promise<string> =>
        (
          await s3.send(new GetObjectCommand({ Bucket: config.connection.s3Bucket, Key }))
        ).Body?.transformToString() ?? '';
      const pointer = JSON.parse(await get(`${prefix}/current.json`)) as {
        version: string;
        key: string;
      };
      expect(pointer.version).toBe(version);
      const rows = (await get(pointer.key)).trim().split('\n');
      expect(rows).toHaveLength(40);
      expect(JSON.parse(rows[0] ?? '{}')).toMatchObject({ meter_id: 'MTR-000001' });
    } finally {
      s3.destroy();
    }
  });
});
