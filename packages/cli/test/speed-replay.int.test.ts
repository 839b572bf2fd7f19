/**
 * `pnpm ami speed replay` against the real Kafka and Redis: it refuses while the speed-layer group
 * has a member (changing nothing); the dry run changes nothing; `--execute` deletes every
 * realtime-view key of the prefix (fences included) and nothing else, and sets the group's committed
 * offsets on the reads topic (and only there, without --events) to the earliest retained ones.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  committedOffsets,
  createKafka,
  createRedis,
  createTopics,
  openStream,
  pumpBatches,
  sendMessages,
} from '@ami/shared/clients';
import { daysKey, fenceKey, gridDayKey, meterDayKey } from '@ami/speed-layer/testing';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { GroupActiveError, speedReplay } from '../src/speed-replay.ts';

describe('pnpm ami speed replay (real Kafka and Redis)', () => {
  const id = uniqueName('cli-replay');
  const prefix = id.replace(/[^A-Za-z0-9._-]/g, '').slice(-30);
  const config = integrationConfig({ AMI_TOPIC_READS: `${id}.reads`, AMI_TOPIC_EVENTS: `${id}.events` });
  const groupId = `${id}-speed`;
  const redis = createRedis(config, { connectionName: 'cli-replay-it' });
  const kafka = createKafka(config);
  const admin = kafka.admin();
  const viewKeys = [
    fenceKey(prefix, 0),
    fenceKey(prefix, 1),
    daysKey(prefix, 0),
    meterDayKey(prefix, 0, 'MTR-000001', '2026-11-17'),
    meterDayKey(prefix, 1, 'MTR-000002', '2026-11-17'),
    gridDayKey(prefix, 1, 'transformer', 'TX-00001', '2026-11-17'),
  ];
  // Keys of another prefix and of the alert engine: not the replay's business.
  const otherKeys = [fenceKey(`${prefix}x`, 0), `{${prefix}}:active`];

  afterAll(async () => {
    await redis.del(...viewKeys, ...otherKeys);
    await admin.deleteTopics({ topics: [config.topics.reads, config.topics.events] }).catch(() => undefined);
    await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    await admin.close();
    redis.disconnect();
  });

  it('refuses while the group has a member, dry-runs, then deletes the view and rewinds the reads topic', async () => {
    await createTopics(
      admin,
      [config.topics.reads, config.topics.events].map((topic) => ({ topic, numPartitions: 2 })),
    );
    const producer = kafka.producer();
    for (const topic of [config.topics.reads, config.topics.events])
      await sendMessages(
        producer,
        topic,
        Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
      );
    await producer.close();
    // Kafka's retention removed the first messages of partition 0: the replay starts after them.
    await admin.deleteRecords({
      topics: [{ name: config.topics.reads, partitions: [{ partition: 0, offset: 2n }] }],
    });
    for (const topic of [config.topics.reads, config.topics.events])
      await admin.alterConsumerGroupOffsets({
        groupId,
        topics: [
          {
            name: topic,
            partitionOffsets: [
              { partition: 0, offset: 5n },
              { partition: 1, offset: 5n },
            ],
          },
        ],
      });
    for (const k of [...viewKeys, ...otherKeys]) await redis.set(k, 'x');
    const deps = { config, groupId, keyPrefix: prefix, redis, kafka };

    // A speed layer still runs: nothing happens.
    const member = kafka.consumer({ groupId });
    const joined = new Promise<void>((resolve) => member.once('consumer:group:join', () => resolve()));
    const stream = await openStream(member, { topics: [config.topics.reads], fallback: 'latest' });
    const stop = new AbortController();
    const pumping = pumpBatches(stream, () => Promise.resolve(), { maxRecords: 100, signal: stop.signal });
    await joined;
    await expect(speedReplay(deps, { events: false, execute: true })).rejects.toBeInstanceOf(
      GroupActiveError,
    );
    stop.abort();
    await pumping;
    await stream.close();
    await member.close();
    expect(await redis.exists(...viewKeys)).toBe(viewKeys.length);

    // Dry run: the plan, no change.
    const plan = await speedReplay(deps, { events: false, execute: false });
    expect(plan).toMatchObject({ fences: 2, keys: 4, executed: false });
    expect(plan.topics).toEqual([
      {
        topic: config.topics.reads,
        partitions: [
          { partition: 0, committed: '5', earliest: '2', latest: '5' },
          { partition: 1, committed: '5', earliest: '0', latest: '5' },
        ],
      },
    ]);
    expect(await redis.exists(...viewKeys)).toBe(viewKeys.length);

    const done = await speedReplay(deps, { events: false, execute: true });
    expect(done).toMatchObject({ fences: 2, keys: 4, executed: true });
    expect(await redis.exists(...viewKeys)).toBe(0);
    expect(await redis.exists(...otherKeys)).toBe(otherKeys.length);
    const committed = async (topic: string) =>
      [...(await committedOffsets(admin, groupId, topic)).entries()].sort((a, b) => a[0] - b[0]);
    expect(await committed(config.topics.reads)).toEqual([
      [0, 2n],
      [1, 0n],
    ]);
    expect(await committed(config.topics.events)).toEqual([
      [0, 5n],
      [1, 5n],
    ]);

    // --events rewinds the events topic too.
    await speedReplay(deps, { events: true, execute: true });
    expect(await committed(config.topics.events)).toEqual([
      [0, 0n],
      [1, 0n],
    ]);
  });
});
