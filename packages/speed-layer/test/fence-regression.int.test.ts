/**
 * Redis loses writes while the speed layer keeps running (it restarts from an older AOF, fails over
 * to a lagging replica, or comes back empty): the realtime view and its fences go back in time, the
 * committed Kafka offsets do not. The consumer must notice on its next apply (write.lua refuses a
 * chunk when the stored fence is below the one the consumer last saw) and re-apply from the stored
 * fence — without it the reads between the two fences are never applied again (a hole).
 *
 * Real Kafka and Redis; the loss is made by putting back, under the test's own key prefix, a DUMP of
 * every realtime-view key taken earlier (or by deleting them all).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  createKafka,
  createRedis,
  createTopics,
  scanKeys,
  sendMessages,
  withAdmin,
} from '@ami/shared/clients';
import { buildTopologyIndex, loadValidationConfig } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { SpeedConsumer, loadSpeedLayerSettings } from '../src/index.ts';
import { readFence } from '../src/realtime-view/apply.ts';
import { expectedFromTruth, realtimeViewOf, runSimulation } from '../src/testing/sim-truth.ts';

const PARTITIONS = 3;

describe('speed layer: Redis loses writes while the consumer runs', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'speed-fence-regression-it' });
  const prefixes: string[] = [];

  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys: string[] = [];
      for await (const batch of scanKeys(redis, `{${prefix}:*`)) keys.push(...batch);
      for (const k of new Set(keys)) await redis.del(k);
    }
    redis.disconnect();
  });

  it.each([
    ['restored to an older state', 'older'],
    ['emptied', 'empty'],
  ] as const)(
    'Redis %s: the consumer rewinds to the stored fence and the view equals the truth',
    async (_, loss) => {
      const id = uniqueName(`speed-regress-${loss}`);
      const overrides = {
        AMI_TOPIC_READS: `${id}.reads`,
        AMI_TOPIC_EVENTS: `${id}.events`,
        AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
        AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
        AMI_SPEED_GROUP_ID: `${id}-group`,
        AMI_SPEED_KEY_PREFIX: id.replace(/[^A-Za-z0-9._-]/g, '').slice(-32),
        AMI_SPEED_CHUNK_MESSAGES: '100',
      };
      const config = integrationConfig(overrides);
      const settings = loadSpeedLayerSettings(overrides);
      prefixes.push(settings.keyPrefix);
      const run = await runSimulation({
        meters: 20,
        days: 1,
        startDate: '2026-03-10',
        seed: 23,
        faults: { duplicate: 0.02, correction: 0.02 },
      });
      const kafka = createKafka(config);
      await withAdmin(kafka, (admin) =>
        createTopics(
          admin,
          [config.topics.reads, config.topics.events, config.topics.readsDlq, config.topics.eventsDlq].map(
            (topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 }),
          ),
        ),
      );
      const producer = kafka.producer();
      let produced = 0;
      const produceUpTo = async (n: number) => {
        await sendMessages(producer, config.topics.reads, run.reads.slice(produced, n));
        produced = n;
      };
      const applied = async () => {
        let n = 0;
        for (let p = 0; p < PARTITIONS; p++) n += (await readFence(redis, settings.keyPrefix, p)).offset + 1;
        return n;
      };
      const waitForApplied = async (n: number) => {
        const t0 = Date.now();
        while ((await applied()) !== n) {
          if (Date.now() - t0 > 90_000)
            throw new Error(`timed out waiting for ${n} applied reads (${await applied()})`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const viewKeys = async () => {
        const keys: string[] = [];
        for await (const batch of scanKeys(redis, `{${settings.keyPrefix}:*`)) keys.push(...batch);
        return [...new Set(keys)];
      };

      const consumer = new SpeedConsumer({
        kafka,
        redis: createRedis(config, { connectionName: 'speed-fence-regression-consumer' }),
        config,
        settings,
        validation: loadValidationConfig({}),
        eventCodes: defaultEventCodeTable,
        topology: buildTopologyIndex(run.topology),
        logger: createLogger('speed-fence-regression-it', { level: 'error' }),
      });
      const running = consumer.start();
      const total = run.reads.length;

      // 1. A first part is applied; its state is kept (what Redis will come back with).
      await produceUpTo(Math.floor(total * 0.3));
      await waitForApplied(produced);
      const saved = new Map<string, Buffer>();
      if (loss === 'older') for (const k of await viewKeys()) saved.set(k, await redis.dumpBuffer(k));
      // 2. More is applied and committed…
      await produceUpTo(Math.floor(total * 0.6));
      await waitForApplied(produced);
      // 3. …and lost: Redis goes back to step 1 (or to nothing); the consumer keeps running.
      for (const k of await viewKeys()) await redis.del(k);
      for (const [k, v] of saved) await redis.restore(k, 0, v);
      // 4. The rest arrives; the consumer must re-apply what was lost before it.
      await produceUpTo(total);
      await waitForApplied(total);
      await consumer.stop();
      await running;
      await producer.close();

      const view = await realtimeViewOf(redis, settings.keyPrefix, PARTITIONS, run);
      const expected = expectedFromTruth(run);
      const lost = [...expected.intervals.keys()].filter(
        (k) => view.intervals.get(k) !== expected.intervals.get(k),
      );
      expect(lost.slice(0, 5), `${lost.length} interval(s) differ from the truth`).toEqual([]);
      expect(view.intervals).toEqual(expected.intervals);
      expect(view.daily).toEqual(expected.daily);
      expect(view.grid).toEqual(expected.grid);
      expect(consumer.stats.rewinds).toBeGreaterThan(0);
    },
  );
});
