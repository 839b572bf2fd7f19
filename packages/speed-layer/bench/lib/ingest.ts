/**
 * Bench phase (a): sustained ingest of one speed-layer consumer at saturation vs the raw consume
 * rate of the SAME topic by a plain consumer that only counts messages (the bound), in one run.
 * The plain consumer uses the speed layer's client the way the speed layer does (@platformatic/kafka
 * through `createKafka`: `openStream` + `pumpBatches`, the same maxBytesPerPartition and records per
 * round), so the bound is the ceiling of that client, not of another one. The topic is pre-filled
 * by the simulator, then consumed from the beginning by a fresh group each. The speed layer counts
 * as done when its committed offsets reach the end of every partition (its effects are in Redis by
 * then). Topic and Redis keys are removed after.
 */
import {
  committedOffsets,
  createRedis,
  openStream,
  pumpBatches,
  withAdmin,
  type KafkaClients,
} from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { loadValidationConfig } from '@ami/shared/contracts';
import { loadDomainConfig } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { addLocalDays, localDate } from '@ami/shared/time';
import { NO_FAULTS, Simulation } from '@ami/simulator';
import { openKafkaSink } from '@ami/simulator';
import { loadSpeedLayerSettings } from '../../src/config.ts';
import { SpeedConsumer } from '../../src/consumer/speed-consumer.ts';
import { perRead, redisServerStats } from './redis-stats.ts';
import { createBenchTopic, deleteBenchTopic, deleteKeys, topicEnd } from './topics.ts';

export interface IngestFigures {
  readonly readsPerS: number;
  readonly rawConsumeReadsPerS: number;
  readonly reads: number;
  /** Redis server CPU (user + sys) per read while the speed layer ingested, µs. */
  readonly redisCpuUsPerRead: number;
  /** Redis commands per read while the speed layer ingested (script-internal ones included). */
  readonly redisCommandsPerRead: number;
}

async function prefill(config: AmiConfig, topic: string, meters: number, days: number): Promise<number> {
  const tz = config.connection.timeZone;
  const sink = await openKafkaSink(config, { readsTopic: topic, eventsTopic: topic });
  const sim = new Simulation(
    {
      seed: 3,
      meters,
      days,
      startDate: addLocalDays(localDate(Date.now(), tz), -days),
      timeZone: tz,
      faults: NO_FAULTS,
    },
    sink,
  );
  const summary = await sim.run();
  await sink.close();
  return summary.reads;
}

/**
 * Reads the whole topic in a fresh group and only counts the records; reads/s from the first
 * round to the last record. Consumer settings and records per round are the speed layer's.
 */
async function plainConsume(kafka: KafkaClients, topic: string, run: string, total: number): Promise<number> {
  const settings = loadSpeedLayerSettings();
  const consumer = kafka.consumer({
    groupId: `bench-plain-${run}`,
    maxBytesPerPartition: settings.maxBytesPerPartition,
  });
  const done = new AbortController();
  let seen = 0;
  let t0 = 0;
  let t1 = 0;
  try {
    const stream = await openStream(consumer, { topics: [topic], fallback: 'earliest' });
    try {
      await pumpBatches(
        stream,
        async (batches) => {
          if (t0 === 0) t0 = performance.now();
          for (const b of batches) seen += b.records.length;
          if (seen >= total) {
            t1 = performance.now();
            done.abort();
          }
          await Promise.resolve();
        },
        { maxRecords: settings.maxRecordsPerBatch, signal: done.signal },
      );
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close();
  }
  if (seen < total) throw new Error(`plain consumer saw ${seen} of ${total} messages`);
  return seen / ((t1 - t0) / 1000);
}

async function speedConsume(
  kafka: KafkaClients,
  config: AmiConfig,
  run: string,
  total: number,
  end: Map<number, bigint>,
): Promise<{ readsPerS: number; redisCpuUsPerRead: number; redisCommandsPerRead: number }> {
  const topic = config.topics.reads;
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
  const before = await redisServerStats(redis);
  const t0 = performance.now();
  await consumer.start();
  const seconds = await withAdmin(kafka, async (admin) => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      const committed = await committedOffsets(admin, settings.groupId, topic);
      const caughtUp = [...committed].every(
        ([p, offset]) => (end.get(p) ?? 0n) === 0n || offset === end.get(p),
      );
      if (caughtUp) return (performance.now() - t0) / 1000;
    }
  });
  await consumer.stop();
  const after = await redisServerStats(redis);
  if (consumer.stats.readsValid !== total) {
    throw new Error(`speed layer validated ${consumer.stats.readsValid} of ${total} reads`);
  }
  await deleteKeys(redis, settings.keyPrefix);
  redis.disconnect();
  const { cpuUsPerRead, commandsPerRead } = perRead(before, after, total);
  return {
    readsPerS: total / seconds,
    redisCpuUsPerRead: cpuUsPerRead,
    redisCommandsPerRead: commandsPerRead,
  };
}

export async function measureIngest(
  kafka: KafkaClients,
  base: AmiConfig,
  opts: { meters: number; days: number; partitions: number },
): Promise<IngestFigures> {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const topic = `ami.bench.speed.${run}`;
  const config = { ...base, topics: { ...base.topics, reads: topic } };
  await createBenchTopic(kafka, topic, opts.partitions);
  try {
    const reads = await prefill(config, topic, opts.meters, opts.days);
    const end = await topicEnd(kafka, topic);
    const total = [...end.values()].reduce((s, h) => s + Number(h), 0);
    if (total !== reads) throw new Error(`topic holds ${total} messages, simulator sent ${reads}`);
    const raw = await plainConsume(kafka, topic, run, total);
    const speed = await speedConsume(kafka, config, run, total, end);
    return { ...speed, rawConsumeReadsPerS: raw, reads: total };
  } finally {
    await deleteBenchTopic(kafka, topic);
  }
}
