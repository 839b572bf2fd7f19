// Against the real local infrastructure (or the external services named by the environment):
// `ensureInfra` is idempotent, so calling it here after the global setup only checks.
import { HeadBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commitNext,
  committedOffsets,
  createKafka,
  createRedis,
  createS3,
  createTopics,
  openStream,
  platformTopics,
  pumpBatches,
  sendMessages,
  withAdmin,
  type KafkaRecord,
} from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { ensureInfra, infraEnv, infraStatus } from '../local/index.ts';

const config = loadConfig();
const s3 = createS3(config);
afterAll(() => s3.destroy());

describe('local infrastructure', () => {
  it('a second ensureInfra changes nothing, is quick and returns the configured settings', async () => {
    const began = Date.now();
    const env = await ensureInfra();
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(env).toEqual(infraEnv());
  });

  it('reports every service healthy (or reachable when external)', async () => {
    const statuses = await infraStatus();
    expect(statuses.map((s) => s.service)).toEqual(['kafka', 'redis', 'minio']);
    for (const s of statuses) {
      expect(['healthy', 'external']).toContain(s.state);
      expect(s.reachable).toBe(true);
    }
  });

  it('created every platform topic with its partition count', async () => {
    await withAdmin(createKafka(config, { component: 'infra-int-test' }), async (admin) => {
      const wanted = platformTopics(config);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(wanted.map((t) => t.topic)));
      const meta = await admin.metadata({ topics: wanted.map((t) => t.topic), forceUpdate: true });
      for (const t of wanted) expect(meta.topics.get(t.topic)?.partitionsCount).toBe(t.numPartitions);
    });
  });

  it('lets a consumer group read what a producer wrote and commit its offset', async () => {
    const kafka = createKafka(config, { component: 'infra-int-test' });
    const topic = `ami.infra-int-test.${Date.now()}`;
    const groupId = `${topic}.group`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId });
    const stop = new AbortController();
    try {
      await createTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
      await sendMessages(producer, topic, [{ key: 'meter-1', value: 'read-1' }]);
      const stream = await openStream(consumer, { topics: [topic], fallback: 'earliest' });
      let received: KafkaRecord | undefined;
      await pumpBatches(
        stream,
        async (batches) => {
          received = batches[0]?.records[0];
          if (received !== undefined) await commitNext(consumer, received);
          stop.abort();
        },
        { maxRecords: 100, signal: stop.signal },
      );
      await stream.close();
      expect(received?.value?.toString()).toBe('read-1');
      expect(await committedOffsets(admin, groupId, topic)).toEqual(new Map([[0, 1n]]));
    } finally {
      stop.abort();
      await consumer.close().catch(() => undefined);
      await producer.close();
      await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.close();
    }
  });

  it('runs Redis 7 with AOF on (BullMQ jobs survive restarts)', async () => {
    const redis = createRedis(config, { connectionName: 'infra-int-test' });
    try {
      const info = await redis.info('server');
      expect(Number(/redis_version:(\d+)/.exec(info)?.[1])).toBeGreaterThanOrEqual(7);
      expect(await redis.info('persistence')).toMatch(/aof_enabled:1/);
    } finally {
      redis.disconnect();
    }
  });

  it('serves the bucket over S3 with path-style addressing', async () => {
    const Bucket = config.connection.s3Bucket;
    await s3.send(new HeadBucketCommand({ Bucket }));
    const Key = `infra-int-test/${Date.now()}.txt`;
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'hello' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe('hello');
  });
});
