/**
 * Kafka client factory (kafkajs). Every process builds its client here so brokers, client id,
 * retries and logging are configured one way.
 */
import { Kafka, logLevel, type ITopicConfig, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { AmiConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';

// kafkajs 2 prints a one-time notice about its default partitioner; we rely on the default
// (murmur2, same as the Java client) and say so here instead of in every log.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaClientOptions {
  /** Appended to the configured client id, e.g. `speed-layer`. */
  readonly component?: string;
  readonly logger?: Logger;
  readonly overrides?: Partial<KafkaConfig>;
}

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      if (level === logLevel.ERROR) logger.error({ kafkajs: extra }, message);
      else if (level === logLevel.WARN) logger.warn({ kafkajs: extra }, message);
      else if (level === logLevel.INFO) logger.debug({ kafkajs: extra }, message);
      else logger.trace({ kafkajs: extra }, message);
    };
}

export function createKafka(config: AmiConfig, opts: KafkaClientOptions = {}): Kafka {
  const clientId = opts.component
    ? `${config.runtime.kafkaClientId}-${opts.component}`
    : config.runtime.kafkaClientId;
  return new Kafka({
    clientId,
    brokers: [...config.connection.kafkaBrokers],
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: opts.logger ? logLevel.INFO : logLevel.WARN,
    ...(opts.logger ? { logCreator: pinoLogCreator(opts.logger) } : {}),
    ...opts.overrides,
  });
}

/** The topics of SPEC 3.1 with the partition counts the platform creates them with. */
export function platformTopics(config: AmiConfig): ITopicConfig[] {
  const t = config.topics;
  const small = Math.max(1, Math.min(3, t.headendPartitions));
  return [
    { topic: t.reads, numPartitions: t.headendPartitions },
    { topic: t.events, numPartitions: t.headendPartitions },
    { topic: t.readsDlq, numPartitions: small },
    { topic: t.eventsDlq, numPartitions: small },
    { topic: t.alertsGrid, numPartitions: small },
    { topic: t.alertsEvents, numPartitions: small },
    { topic: t.restatements, numPartitions: 1 },
  ].map((x) => ({ ...x, replicationFactor: 1 }));
}

/** Creates the missing topics among `topics` (existing ones are left as they are). */
export async function ensureTopics(kafka: Kafka, topics: readonly ITopicConfig[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
