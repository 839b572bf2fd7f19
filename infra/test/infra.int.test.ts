// Against the real local infrastructure (or the external services named by the environment):
// `ensureInfra` is idempotent, so calling it here after the global setup only checks.
import { HeadBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createS3, platformTopics } from '@ami/shared/clients';
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
    const admin = createKafka(config, { component: 'infra-int-test' }).admin();
    await admin.connect();
    try {
      const wanted = platformTopics(config);
      const meta = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
      for (const t of wanted) {
        expect(meta.topics.find((m) => m.name === t.topic)?.partitions.length).toBe(t.numPartitions);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('lets a consumer group read what a producer wrote and commit its offset', async () => {
    const kafka = createKafka(config, { component: 'infra-int-test' });
    const topic = `ami.infra-int-test.${Date.now()}`;
    const groupId = `${topic}.group`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId });
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'meter-1', value: 'read-1' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => Promise.resolve(resolve(message.value?.toString() ?? '')),
        });
      });
      expect(received).toBe('read-1');
      await consumer.stop(); // commits the consumed offset (autoCommit)
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
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
