/**
 * A head-end on a librdkafka producer's defaults (#17, ADR 0011): kcat produces keyed valid reads
 * (key = meter_id) without a partitioner option, so librdkafka's default `consistent_random` places
 * them by CRC-32 of the key — most of them on another partition than the Java client's murmur2
 * would. The placement is first cross-checked against `partitionForKey(…, 'crc32')`. With
 * AMI_KAFKA_PARTITIONER=crc32 the speed layer puts every read in the realtime view (read back
 * through the read contract, RealtimeView) and nothing in the DLQ; with the default murmur2 the
 * reads murmur2 places elsewhere go to the DLQ as WRONG_PARTITION with a detail that blames the
 * partitioner, not the key, and the others are in the view.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  createKafka,
  createRedis,
  createTopics,
  topicMessageCount,
  topicOffsets,
  withAdmin,
} from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { loadValidationConfig, type DlqRecord } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { partitionForKey, partitionOfMeter, type Partitioner } from '@ami/shared/partitioner';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { readTopic } from '../../../test/support/kafka.ts';
import { produceWithKcat } from '../../../test/support/kcat.ts';
import { SpeedConsumer, loadSpeedLayerSettings } from '../src/index.ts';
import { readFence } from '../src/realtime-view/apply.ts';
import { RealtimeView } from '../src/realtime-view/index.ts';
import { deleteRealtimeView, intervalReadMessage } from '../src/testing/index.ts';

const PARTITIONS = 6;
const TZ = 'Europe/Stockholm';
const DATE = '2025-03-10';
const START_MS = Date.UTC(2025, 2, 10, 9, 0);
/** A utility's own meter ids (not the simulator's MTR-…), one read each. */
const METERS = Array.from({ length: 20 }, (_, i) => `ELX${String(40_117 + i * 37).padStart(8, '0')}`);
const whOf = (i: number) => 120 + 7 * i;

const reads = METERS.map((meterId, i) => ({
  key: meterId,
  value: intervalReadMessage({
    meterId,
    startMs: START_MS,
    wh: whOf(i),
    transformerId: `TX-${i % 4}`,
    feederId: 'FDR-1',
  }),
}));

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a head-end producing with librdkafka’s default partitioner (kcat)', () => {
  const base = uniqueName('kcat-head-end');
  const readsTopic = `${base}.reads`;
  const redis = createRedis(integrationConfig(), { connectionName: 'head-end-partitioner-it' });
  const prefixes: string[] = [];

  afterAll(async () => {
    for (const prefix of prefixes) await deleteRealtimeView(redis, prefix);
    redis.disconnect();
  });

  /** Config and speed-layer settings of one run over the shared reads topic, with its own DLQ and group. */
  function run(name: string, partitioner: Partitioner | undefined) {
    const id = `${base}-${name}`;
    const overrides: Record<string, string> = {
      AMI_TOPIC_READS: readsTopic,
      AMI_TOPIC_EVENTS: `${id}.events`,
      AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
      AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
      AMI_TIMEZONE: TZ,
      AMI_SPEED_GROUP_ID: `${id}-group`,
      AMI_SPEED_KEY_PREFIX: id.replace(/[^A-Za-z0-9._-]/g, '').slice(-32),
      AMI_SPEED_METRICS_PORT: '0',
      ...(partitioner === undefined ? {} : { AMI_KAFKA_PARTITIONER: partitioner }),
    };
    const config = integrationConfig(overrides);
    const settings = loadSpeedLayerSettings(overrides);
    prefixes.push(settings.keyPrefix);
    return { config, settings };
  }

  async function createRunTopics(config: AmiConfig, withReads: boolean): Promise<void> {
    const t = config.topics;
    const topics = [...(withReads ? [t.reads] : []), t.events, t.readsDlq, t.eventsDlq];
    await withAdmin(createKafka(config), (admin) =>
      createTopics(
        admin,
        topics.map((topic) => ({
          topic,
          numPartitions: topic === t.reads || topic === t.events ? PARTITIONS : 1,
          replicationFactor: 1,
        })),
      ),
    );
  }

  /** Runs the speed layer over the whole reads topic until every read is handled and applied. */
  async function consumeAll(config: AmiConfig, settings: ReturnType<typeof loadSpeedLayerSettings>) {
    const consumer = new SpeedConsumer({
      kafka: createKafka(config),
      redis,
      config,
      settings,
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      logger: createLogger('head-end-partitioner-it', { level: 'warn' }),
    });
    const running = consumer.start();
    await waitFor('every read handled', () =>
      Promise.resolve(consumer.stats.readsValid + consumer.stats.readsInvalid >= reads.length),
    );
    const ends = await withAdmin(createKafka(config), (admin) => topicOffsets(admin, readsTopic));
    await waitFor('fences at the end', async () => {
      for (const o of ends) {
        if (o.high === 0n) continue;
        if ((await readFence(redis, settings.keyPrefix, o.partition)).offset !== Number(o.high) - 1)
          return false;
      }
      return true;
    });
    await consumer.stop();
    await running;
    return consumer.stats;
  }

  /** The meter's intervals on DATE through the read contract, as [startMs, Wh]. */
  async function viewOf(config: AmiConfig, keyPrefix: string, meterId: string): Promise<[number, number][]> {
    const view = new RealtimeView({
      redis,
      keyPrefix,
      partitions: PARTITIONS,
      partitioner: config.topics.partitioner,
      timeZone: config.connection.timeZone,
    });
    return (await view.meterIntervals(meterId, [DATE])).map((iv) => [iv.startMs, iv.wh]);
  }

  /** Meters librdkafka's default placed where murmur2 would not. */
  const misplacedForMurmur2 = METERS.filter(
    (m) => partitionOfMeter(m, PARTITIONS, 'crc32') !== partitionOfMeter(m, PARTITIONS, 'murmur2'),
  );

  it('kcat (librdkafka defaults) places each keyed read by CRC-32 of its key', async () => {
    const { config } = run('produce', undefined);
    await createRunTopics(config, true);
    await produceWithKcat(config.connection.kafkaBrokers, readsTopic, reads);
    const records = await readTopic(createKafka(config), readsTopic, reads.length);
    expect(records.map((r) => String(r.key)).sort()).toEqual([...METERS].sort());
    for (const r of records) expect(r.partition).toBe(partitionForKey(String(r.key), PARTITIONS, 'crc32'));
    // the input makes the murmur2 run meaningful: most reads, but not all, are misplaced for it
    expect(misplacedForMurmur2.length).toBeGreaterThan(10);
    expect(misplacedForMurmur2.length).toBeLessThan(METERS.length);
  });

  it('with AMI_KAFKA_PARTITIONER=crc32 every read is in the realtime view and none in the DLQ', async () => {
    const { config, settings } = run('crc32', 'crc32');
    expect(config.topics.partitioner).toBe('crc32');
    await createRunTopics(config, false);
    const stats = await consumeAll(config, settings);
    expect(stats).toMatchObject({ readsValid: reads.length, readsInvalid: 0 });
    for (const [i, meterId] of METERS.entries())
      expect(await viewOf(config, settings.keyPrefix, meterId)).toEqual([[START_MS, whOf(i)]]);
    expect(
      await withAdmin(createKafka(config), (admin) => topicMessageCount(admin, config.topics.readsDlq)),
    ).toBe(0);
  });

  it('with the default murmur2 the reads it places elsewhere go to the DLQ, blaming the partitioner', async () => {
    const { config, settings } = run('murmur2', undefined);
    expect(config.topics.partitioner).toBe('murmur2');
    await createRunTopics(config, false);
    const stats = await consumeAll(config, settings);
    expect(stats).toMatchObject({
      readsValid: reads.length - misplacedForMurmur2.length,
      readsInvalid: misplacedForMurmur2.length,
    });
    const dlq = (
      await readTopic(createKafka(config), config.topics.readsDlq, misplacedForMurmur2.length)
    ).map((r) => JSON.parse(String(r.value)) as DlqRecord);
    expect(dlq.map((d) => d.key).sort()).toEqual([...misplacedForMurmur2].sort());
    for (const d of dlq) {
      const meter = d.key ?? '';
      expect(d.reason).toBe('WRONG_PARTITION');
      expect(d.source_partition).toBe(partitionOfMeter(meter, PARTITIONS, 'crc32'));
      expect(d.detail).toContain(
        `meter ${meter} belongs to partition ${partitionOfMeter(meter, PARTITIONS)} of ${PARTITIONS} under the configured partitioner murmur2 (AMI_KAFKA_PARTITIONER)`,
      );
      expect(d.detail).toContain(
        "its key is its meter_id, so the head-end's producer uses another partitioner",
      );
      expect(d.detail).toMatch(/crc32( or fnv1a)? would place it there/);
      expect(d.detail).not.toContain('is not its meter_id');
    }
    for (const [i, meterId] of METERS.entries()) {
      const expected = misplacedForMurmur2.includes(meterId) ? [] : [[START_MS, whOf(i)]];
      expect(await viewOf(config, settings.keyPrefix, meterId)).toEqual(expected);
    }
  });
});
