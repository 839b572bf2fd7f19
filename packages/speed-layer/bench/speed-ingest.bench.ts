/**
 * `pnpm ami bench speed-ingest [--quick]`: sustained ingest of one speed-layer process at
 * saturation vs the raw consume rate of the SAME topic by a plain kafkajs consumer that only
 * counts messages (the bound), in one run. The topic is pre-filled by the simulator (full:
 * 10,000 meters × 6 days ≈ 5.8 M reads; quick: 2,000 × 3 days), then consumed from the beginning
 * by a fresh group each. The speed layer counts as done when its committed offsets reach the end
 * of every partition (its effects are in Redis by then). Topic and Redis keys are removed after.
 */
import { createKafka, createRedis } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { writeBenchResult } from '@ami/shared/bench';
import { loadValidationConfig } from '@ami/shared/contracts';
import { loadDomainConfig } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { addLocalDays, localDate } from '@ami/shared/time';
import { NO_FAULTS, Simulation } from '@ami/simulator';
import { openKafkaSink } from '@ami/simulator/kafka';
import { loadSpeedLayerSettings } from '../src/config.ts';
import { SpeedConsumer } from '../src/consumer/speed-consumer.ts';

const quick = process.argv.includes('--quick');
const METERS = quick ? 2_000 : 10_000;
const DAYS = quick ? 3 : 6;
const PARTITIONS = 6;
const run = `${process.pid}-${Date.now().toString(36)}`;
const topic = `ami.bench.speed.${run}`;
const base = loadConfig();
const config = { ...base, topics: { ...base.topics, reads: topic } };
const kafka = createKafka(config, { component: 'bench-speed' });

async function prefill(): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const tz = config.connection.timeZone;
  const sink = await openKafkaSink(config, { readsTopic: topic, eventsTopic: topic });
  const sim = new Simulation(
    {
      seed: 3,
      meters: METERS,
      days: DAYS,
      startDate: addLocalDays(localDate(Date.now(), tz), -DAYS),
      timeZone: tz,
      faults: NO_FAULTS,
    },
    sink,
  );
  const summary = await sim.run();
  await sink.close();
  return summary.reads;
}

async function topicEnd(): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return new Map(offsets.map((o) => [o.partition, o.high]));
}

async function plainConsume(total: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-plain-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (t0 === 0) t0 = performance.now();
        seen += batch.messages.length;
        if (seen >= total) resolve();
        await Promise.resolve();
      },
    });
  });
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return seen / seconds;
}

async function speedConsume(
  total: number,
  end: Map<number, string>,
): Promise<{ rate: number; valid: number }> {
  const settings = {
    ...loadSpeedLayerSettings(),
    groupId: `bench-speed-${run}`,
    keyPrefix: `bench-rv-${run}`,
    fromBeginning: true,
  };
  const redis = createRedis(config, { connectionName: 'bench-speed' });
  const consumer = new SpeedConsumer({
    kafka,
    redis,
    config,
    settings,
    validation: loadValidationConfig(),
    eventCodes: loadDomainConfig().eventCodes,
    logger: createLogger('bench-speed', { level: 'warn' }),
  });
  const admin = kafka.admin();
  await admin.connect();
  const t0 = performance.now();
  await consumer.start();
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const [committed] = await admin.fetchOffsets({ groupId: settings.groupId, topics: [topic] });
    if ((committed?.partitions ?? []).every((p) => p.offset === end.get(p.partition))) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  await consumer.stop();
  await admin.disconnect();
  const valid = consumer.stats.readsValid;
  for (let p = 0; p < PARTITIONS; p++) {
    const keys = await redis.keys(`{${settings.keyPrefix}:${p}}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  }
  redis.disconnect();
  return { rate: total / seconds, valid };
}

async function main(): Promise<void> {
  try {
    const reads = await prefill();
    const end = await topicEnd();
    const total = [...end.values()].reduce((s, h) => s + Number(h), 0);
    if (total !== reads) throw new Error(`topic holds ${total} messages, simulator sent ${reads}`);
    const raw = await plainConsume(total);
    const speed = await speedConsume(total, end);
    if (speed.valid !== total) throw new Error(`speed layer validated ${speed.valid} of ${total} reads`);
    writeBenchResult('speed-ingest', {
      reads_per_s: Math.round(speed.rate),
      raw_consume_reads_per_s: Math.round(raw),
      ratio_to_raw: Number((speed.rate / raw).toFixed(3)),
      reads: total,
      meters: METERS,
      days: DAYS,
      partitions: PARTITIONS,
      quick,
    });
  } finally {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
