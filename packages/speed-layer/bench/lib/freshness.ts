/**
 * Bench phase (b): freshness at a steady rate. The simulator produces the current day's fleet to a
 * fresh topic at `rate` reads/s (its Kafka sink paces the sends; record timestamps = send time)
 * while one speed-layer consumer applies them; for every read the consumer reports when its apply
 * call returned, i.e. when the read became visible to a reader of Redis. Freshness = visible time −
 * Kafka produce time; p50/p99 over every read after a warm-up of the first 10 %.
 * Bound, same topic and run: a plain consumer on the speed layer's client (own group, in a child
 * process, lib/plain-latency.ts) records consume time − Kafka produce time of every message →
 * boundP99Ms (what Kafka and its client add by themselves).
 */
import { createRedis, type KafkaClients } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { loadValidationConfig } from '@ami/shared/contracts';
import { loadDomainConfig } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { localDate } from '@ami/shared/time';
import { NO_FAULTS, Simulation } from '@ami/simulator';
import { openKafkaSink } from '@ami/simulator';
import { loadSpeedLayerSettings } from '../../src/config.ts';
import { SpeedConsumer } from '../../src/consumer/speed-consumer.ts';
import { startPlainLatency } from './plain-latency.ts';
import { createBenchTopic, deleteBenchTopic, deleteKeys } from './topics.ts';

export interface FreshnessFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly achievedReadsPerS: number;
  readonly samples: number;
  /** Plain Kafka produce → consume p99 of the same topic in the same run. */
  readonly boundP99Ms: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export async function measureFreshness(
  kafka: KafkaClients,
  base: AmiConfig,
  opts: { meters: number; rate: number; seconds: number; partitions: number },
): Promise<FreshnessFigures> {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const topic = `ami.bench.fresh.${run}`;
  const config = { ...base, topics: { ...base.topics, reads: topic } };
  await createBenchTopic(kafka, topic, opts.partitions);
  const settings = {
    ...loadSpeedLayerSettings(),
    groupId: `bench-fresh-${run}`,
    keyPrefix: `bench-fr-${run}`,
    fromBeginning: true,
  };
  const redis = createRedis(config, { connectionName: 'bench-fresh' });
  const delays: number[] = [];
  const consumer = new SpeedConsumer({
    kafka,
    redis,
    config,
    settings,
    validation: loadValidationConfig(),
    eventCodes: loadDomainConfig().eventCodes,
    logger: createLogger('bench-fresh', { level: 'warn' }),
    onApplied: (info) => {
      for (const ts of info.produceTsMs) if (!Number.isNaN(ts)) delays.push(info.appliedAtMs - ts);
    },
  });
  const plain = await startPlainLatency({ config, topic, groupId: `bench-fresh-plain-${run}` });
  try {
    await consumer.start(); // group joined
    await new Promise((r) => setTimeout(r, 3000)); // and fetching
    const tz = config.connection.timeZone;
    // enough simulated days for `seconds` at `rate`; the sink's pacing sets the wall-clock rate
    const days = Math.max(1, Math.ceil((opts.rate * opts.seconds) / (opts.meters * 97)));
    // small produce requests (20 ms of reads each) so the load is steady, not one burst per second
    const sink = await openKafkaSink(config, {
      readsTopic: topic,
      eventsTopic: topic,
      rate: opts.rate,
      batchSize: Math.max(100, Math.round(opts.rate / 50)),
    });
    const sim = new Simulation(
      {
        seed: 11,
        meters: opts.meters,
        days,
        startDate: localDate(Date.now() - days * 86_400_000, tz),
        timeZone: tz,
        faults: NO_FAULTS,
      },
      sink,
    );
    const t0 = performance.now();
    const summary = await sim.run();
    await sink.close();
    const sendSeconds = (performance.now() - t0) / 1000;
    const t1 = Date.now();
    while (delays.length < summary.intervalReads && Date.now() - t1 < 60_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    while (plain.seen() < summary.reads && Date.now() - t1 < 60_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await consumer.stop();
    const plainDelays = await plain.stop();
    const plainKept = plainDelays.slice(Math.floor(plainDelays.length / 10)).sort();
    const kept = delays.slice(Math.floor(delays.length / 10));
    const sorted = Float64Array.from(kept).sort();
    return {
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      achievedReadsPerS: summary.reads / sendSeconds,
      samples: kept.length,
      boundP99Ms: percentile(plainKept, 0.99),
    };
  } finally {
    await plain.stop();
    await deleteKeys(redis, settings.keyPrefix);
    redis.disconnect();
    await deleteBenchTopic(kafka, topic);
  }
}
