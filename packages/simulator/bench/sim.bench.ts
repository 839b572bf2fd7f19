/**
 * `pnpm ami bench sim [--quick]`: the simulator's throughput.
 *  - generate_reads_per_s: generation only (messages built and counted, not sent): the bound.
 *  - produce_reads_per_s: generation + produce to the local Kafka from one process into a fresh
 *    topic (deleted afterwards), best of the producer settings tried (acks × batch size ×
 *    batches in flight); every setting's figure is recorded too.
 */
import { createKafka, createTopics, topicMessageCount, withAdmin } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { writeBenchResult, type Figure } from '@ami/shared/bench';
import { CountingSink, NO_FAULTS, Simulation, type SimConfig } from '../src/index.ts';
import { openKafkaSink } from '../src/kafka.ts';

const quick = process.argv.includes('--quick');
const config = loadConfig();
const timeZone = config.connection.timeZone;
const PARTITIONS = 6;

const simConfig = (meters: number): SimConfig => ({
  seed: 1,
  meters,
  days: 1,
  startDate: '2026-06-01',
  timeZone,
  faults: NO_FAULTS,
});

async function generateOnly(meters: number): Promise<number> {
  const sink = new CountingSink();
  const t0 = performance.now();
  const s = await new Simulation(simConfig(meters), sink).run();
  return s.reads / ((performance.now() - t0) / 1000);
}

interface Setting {
  /** 'all' = idempotent producer, 'leader' = not idempotent (see KafkaSinkOptions.acks). */
  readonly acks: 'all' | 'leader';
  readonly batchSize: number;
  readonly maxInFlight: number;
}

async function produce(meters: number, setting: Setting): Promise<{ rate: number; reads: number }> {
  const kafka = createKafka(config, { component: 'sim-bench' });
  const topic = `ami.bench.sim.${process.pid}.${Date.now()}`;
  await withAdmin(kafka, (admin) =>
    createTopics(admin, [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]),
  );
  try {
    const sink = await openKafkaSink(config, { ...setting, readsTopic: topic, eventsTopic: topic });
    const t0 = performance.now();
    const summary = await new Simulation(simConfig(meters), sink).run();
    await sink.close();
    const seconds = (performance.now() - t0) / 1000;
    if (sink.sentReads !== summary.reads) throw new Error(`sent ${sink.sentReads} of ${summary.reads} reads`);
    const stored = await withAdmin(kafka, (admin) => topicMessageCount(admin, topic));
    if (stored !== summary.reads) throw new Error(`topic holds ${stored} of ${summary.reads} reads`);
    return { rate: summary.reads / seconds, reads: summary.reads };
  } finally {
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
  }
}

const genMeters = quick ? 20_000 : 100_000;
const prodMeters = quick ? 10_000 : 50_000;
const settings: Setting[] = quick
  ? [
      { acks: 'all', batchSize: 20_000, maxInFlight: 4 },
      { acks: 'leader', batchSize: 20_000, maxInFlight: 4 },
    ]
  : [
      { acks: 'all', batchSize: 20_000, maxInFlight: 4 },
      { acks: 'all', batchSize: 50_000, maxInFlight: 2 },
      { acks: 'all', batchSize: 10_000, maxInFlight: 8 },
      { acks: 'leader', batchSize: 20_000, maxInFlight: 4 },
      { acks: 'leader', batchSize: 50_000, maxInFlight: 2 },
    ];

const generate = await generateOnly(genMeters);
const figures: Record<string, Figure> = {};
let best = 0;
let bestReads = 0;
let bestSetting: Setting | undefined;
for (const s of settings) {
  const { rate, reads } = await produce(prodMeters, s);
  figures[`produce_acks_${s.acks}_b${s.batchSize}_f${s.maxInFlight}`] = Math.round(rate);
  if (rate > best) {
    best = rate;
    bestReads = reads;
    bestSetting = s;
  }
}
writeBenchResult('sim', {
  produce_reads_per_s: Math.round(best),
  generate_reads_per_s: Math.round(generate),
  produce_acks: bestSetting?.acks ?? null,
  produce_batch_size: bestSetting?.batchSize ?? null,
  produce_max_in_flight: bestSetting?.maxInFlight ?? null,
  produce_partitions: PARTITIONS,
  produce_meters: prodMeters,
  produce_reads: bestReads,
  generate_meters: genMeters,
  quick,
  ...figures,
});
