import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Partitioners, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, createS3 } from '@ami/shared/clients';
import { loadConfig, type AmiConfig } from '@ami/shared/config';
import { NO_FAULTS, Simulation, type MessageSink } from '../src/index.ts';
import { openKafkaSink, uploadTopology, type ProducerKind } from '../src/kafka.ts';
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

describe.each<ProducerKind>(['wire', 'kafkajs'])('kafka mode with the %s producer', (producer) => {
  let config: AmiConfig;
  let kafka: Kafka;
  const suffix = `${producer}-${Date.now().toString(36)}`;
  const readsTopic = `it.sim.reads.${suffix}`;
  const eventsTopic = `it.sim.events.${suffix}`;
  const PARTITIONS = 3;

  beforeAll(async () => {
    config = loadConfig({ ...process.env, ...inject('infraEnv') });
    kafka = createKafka(config, { component: 'sim-it' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [readsTopic, eventsTopic].map((topic) => ({
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [readsTopic, eventsTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('produces every read and event keyed by meter_id, on the default partitioner’s partition, in order per meter', async () => {
    const sink = new RecordingSink(
      await openKafkaSink(config, { readsTopic, eventsTopic, producer, batchSize: 3_000 }),
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

    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
      partitionId: i,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    for (const [produced, consumed, topic] of [
      [sink.reads, reads, readsTopic],
      [sink.events, events, eventsTopic],
    ] as const) {
      const perKey = (list: readonly Produced[]): Map<string, string[]> => {
        const m = new Map<string, string[]>();
        for (const x of list) m.set(x.key, [...(m.get(x.key) ?? []), x.value]);
        return m;
      };
      expect(perKey(consumed)).toEqual(perKey(produced));
      for (const c of consumed) {
        expect(JSON.parse(c.value)).toMatchObject({ meter_id: c.key });
        expect(c.partition).toBe(
          partitioner({ topic, partitionMetadata, message: { key: c.key, value: c.value } }),
        );
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
