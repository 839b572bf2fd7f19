/**
 * Batch-layer integration fixtures: a simulated fleet produced to real Kafka topics, archived by the
 * real Archiver into MinIO, and day builders wired to real S3, DuckDB and the catalog — the same
 * path the platform runs, so the rebuild tests check what production would publish.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  committedOffsets,
  createKafka,
  createTopics as createKafkaTopics,
  openDuckDB,
  S3ObjectCache,
  sendMessages,
  topicOffsets,
  withAdmin,
  type DuckDBInstance,
  type KafkaClients,
  type RedisClient,
} from '@ami/shared/clients';
import type { S3Client } from '@aws-sdk/client-s3';
import { CatalogReader } from '@ami/shared/catalog';
import type { AmiConfig } from '@ami/shared/config';
import { loadValidationConfig, type TopologyRow } from '@ami/shared/contracts';
import { DEFAULT_TOU_CALENDAR, defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { NO_FAULTS, Simulation, topologyRow, type FaultRates, type MessageSink } from '@ami/simulator';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { Archiver, loadArchiverSettings } from '../../src/archiver/index.ts';
import { CatalogPublisher } from '../../src/catalog/publisher.ts';
import { createDayBuilder, type DayBuilderDeps } from '../../src/rebuild/day-builder.ts';
import type { DayBuilder } from '../../src/rebuild/types.ts';
import { DEFAULT_VEE_PARAMS, type VeeParams } from '../../src/vee/params.ts';

export const TZ = 'Europe/Stockholm';
export const PARTITIONS = 3;

export interface Msg {
  readonly key: string;
  readonly value: string;
}

export interface SimulatedFleet {
  readonly reads: Msg[];
  readonly events: Msg[];
  readonly topology: TopologyRow[];
  readonly truthLines: string[];
}

export async function simulateFleet(opts: {
  meters: number;
  days: number;
  startDate: string;
  seed: number;
  faults?: Partial<FaultRates>;
}): Promise<SimulatedFleet> {
  const reads: Msg[] = [];
  const events: Msg[] = [];
  const truthLines: string[] = [];
  const sink: MessageSink = {
    read: (key, value) => void reads.push({ key, value }),
    event: (key, value) => void events.push({ key, value }),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const sim = new Simulation(
    {
      seed: opts.seed,
      meters: opts.meters,
      days: opts.days,
      startDate: opts.startDate,
      timeZone: TZ,
      faults: { ...NO_FAULTS, ...opts.faults },
    },
    sink,
    { line: (json) => void truthLines.push(json) },
  );
  await sim.run();
  const topology = sim.fleet.meters.map((m) => topologyRow(m, sim.fleet.validFrom));
  return { reads, events, topology, truthLines };
}

export interface BatchScenario {
  readonly id: string;
  readonly overrides: Record<string, string>;
  readonly config: AmiConfig;
}

export function batchScenario(name: string): BatchScenario {
  const id = uniqueName(name);
  const overrides = {
    AMI_TOPIC_READS: `${id}.reads`,
    AMI_TOPIC_EVENTS: `${id}.events`,
    AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
    AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
    AMI_HEADEND_PARTITIONS: String(PARTITIONS),
    AMI_ARCHIVER_GROUP_ID: `${id}-group`,
    AMI_ARCHIVER_S3_PREFIX: `it/${id}/`,
    AMI_ARCHIVER_DIRTY_KEY_PREFIX: id,
    AMI_ARCHIVER_FLUSH_AGE_S: '1',
    AMI_ARCHIVER_METRICS_PORT: '0',
    AMI_CATALOG_PREFIX: `it/${id}/`,
    AMI_TIMEZONE: TZ,
    LOG_LEVEL: 'warn',
  };
  return { id, overrides, config: integrationConfig(overrides) };
}

/** The scenario's head-end topics (PARTITIONS each) and their dead-letter topics (1 each). */
export async function createTopics(kafka: KafkaClients, config: AmiConfig): Promise<void> {
  const t = config.topics;
  await withAdmin(kafka, (admin) =>
    createKafkaTopics(
      admin,
      [t.reads, t.events, t.readsDlq, t.eventsDlq].map((topic) => ({
        topic,
        numPartitions: topic === t.reads || topic === t.events ? PARTITIONS : 1,
        replicationFactor: 1,
      })),
    ),
  );
}

/** Produces `messages` to `topic` in order (keyed: the platform's partitioner places them). */
export async function produce(kafka: KafkaClients, topic: string, messages: readonly Msg[]): Promise<void> {
  const producer = kafka.producer();
  try {
    await sendMessages(producer, topic, messages);
  } finally {
    await producer.close();
  }
}

/** Per `topic:partition`: end offset and the group's committed offset (-1 = none; empty = 0). */
export async function groupOffsets(kafka: KafkaClients, topics: readonly string[], groupId: string) {
  return withAdmin(kafka, async (admin) => {
    const out = new Map<string, { end: number; committed: number }>();
    for (const topic of topics) {
      const committed = await committedOffsets(admin, groupId, topic);
      for (const o of await topicOffsets(admin, topic))
        out.set(`${topic}:${o.partition}`, {
          end: Number(o.high),
          committed: Number(committed.get(o.partition) ?? -1n),
        });
    }
    for (const o of out.values()) if (o.end === 0 && o.committed === -1) o.committed = 0;
    return out;
  });
}

export async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Produces the messages and runs the real Archiver in-process until it has committed them all. */
export async function archiveThroughKafka(
  s: BatchScenario,
  deps: { s3: S3Client; redis: RedisClient },
  fleet: Pick<SimulatedFleet, 'reads' | 'events'>,
): Promise<void> {
  const kafka = createKafka(s.config, { logger: createLogger('batch-it-kafka', { level: 'silent' }) });
  await produce(kafka, s.config.topics.reads, fleet.reads);
  await produce(kafka, s.config.topics.events, fleet.events);
  const db = await openDuckDB({ threads: 1 });
  const settings = loadArchiverSettings(s.overrides);
  const archiver = new Archiver({
    kafka,
    s3: deps.s3,
    redis: deps.redis,
    db,
    config: s.config,
    settings,
    validation: loadValidationConfig({}),
    eventCodes: defaultEventCodeTable,
    logger: createLogger('batch-it-archiver', { level: 'warn' }),
  });
  await archiver.start();
  try {
    await waitFor(
      'the archiver to commit everything',
      async () =>
        [
          ...(
            await groupOffsets(kafka, [s.config.topics.reads, s.config.topics.events], settings.groupId)
          ).values(),
        ].every((o) => o.committed === o.end),
      120_000,
    );
  } finally {
    await archiver.stop();
    db.closeSync();
  }
}

export interface TestBuilder {
  readonly builder: DayBuilder;
  readonly reader: CatalogReader;
  readonly publisher: CatalogPublisher;
  readonly db: DuckDBInstance;
  readonly cache: S3ObjectCache;
  close(): void;
}

export async function testBuilder(
  s: BatchScenario,
  s3: S3Client,
  topology: readonly TopologyRow[],
  extra: Partial<DayBuilderDeps> & { veeParams?: VeeParams } = {},
): Promise<TestBuilder> {
  const dir = mkdtempSync(join(tmpdir(), 'ami-rebuild-it-'));
  const bucket = s.config.connection.s3Bucket;
  const prefix = `it/${s.id}/`;
  const cache = new S3ObjectCache({ s3, bucket, dir: join(dir, 'cache') });
  const reader = new CatalogReader({ s3, bucket, prefix, cache, refreshMs: 0 });
  const publisher = new CatalogPublisher({ s3, bucket, prefix, timeZone: TZ, retentionMs: 86_400_000 });
  const db = await openDuckDB({ threads: 2 });
  const builder = createDayBuilder({
    s3,
    bucket,
    archivePrefix: prefix,
    cache,
    catalog: reader,
    publisher,
    db,
    timeZone: TZ,
    topology,
    eventCodes: defaultEventCodeTable,
    touCalendar: DEFAULT_TOU_CALENDAR,
    veeParams: DEFAULT_VEE_PARAMS,
    workDir: join(dir, 'work'),
    log: createLogger('rebuild-it', { level: 'warn' }),
    ...extra,
  });
  return { builder, reader, publisher, db, cache, close: () => db.closeSync() };
}
