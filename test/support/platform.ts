/**
 * Test support for running the whole platform (the processes `pnpm ami up` starts, through the same
 * supervisor) on the shared local infrastructure, isolated from other tests: every topic, consumer
 * group, Redis key prefix, S3 prefix and BullMQ queue carries the run's id, every port is free.
 */
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Environment that gives one platform its own topics, groups, keys, prefixes and queue. */
export function isolatedPlatformEnv(id: string, partitions = 3): Record<string, string> {
  return {
    AMI_TOPIC_READS: `${id}.reads`,
    AMI_TOPIC_EVENTS: `${id}.events`,
    AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
    AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
    AMI_TOPIC_ALERTS_GRID: `${id}.alerts.grid`,
    AMI_TOPIC_ALERTS_EVENTS: `${id}.alerts.events`,
    AMI_TOPIC_RESTATEMENTS: `${id}.restatements`,
    AMI_HEADEND_PARTITIONS: String(partitions),
    AMI_SPEED_GROUP_ID: `${id}-speed`,
    AMI_SPEED_KEY_PREFIX: `${id}.rv`,
    AMI_ALERT_KEY_PREFIX: `${id}.al`,
    AMI_ARCHIVER_GROUP_ID: `${id}-archiver`,
    AMI_ARCHIVER_S3_PREFIX: `it/${id}/`,
    AMI_ARCHIVER_DIRTY_KEY_PREFIX: `${id}.batch`,
    AMI_CATALOG_PREFIX: `it/${id}/`,
    AMI_EDITS_PREFIX: `it/${id}/`,
    AMI_RECONCILIATION_PREFIX: `it/${id}/`,
    AMI_RESTATEMENT_CURSOR_PREFIX: `${id}.batch`,
    AMI_BATCH_QUEUE: `${id}-batch`,
    AMI_BATCH_KEY_PREFIX: `${id}-bull`,
  };
}

/** Topics an isolated platform needs, with their partition counts. */
export function platformTopics(env: Record<string, string>): { topic: string; numPartitions: number }[] {
  const partitions = Number(env.AMI_HEADEND_PARTITIONS ?? '3');
  return [
    { topic: env.AMI_TOPIC_READS!, numPartitions: partitions },
    { topic: env.AMI_TOPIC_EVENTS!, numPartitions: partitions },
    { topic: env.AMI_TOPIC_READS_DLQ!, numPartitions: 1 },
    { topic: env.AMI_TOPIC_EVENTS_DLQ!, numPartitions: 1 },
    { topic: env.AMI_TOPIC_ALERTS_GRID!, numPartitions: 1 },
    { topic: env.AMI_TOPIC_ALERTS_EVENTS!, numPartitions: 1 },
    { topic: env.AMI_TOPIC_RESTATEMENTS!, numPartitions: 1 },
  ];
}
