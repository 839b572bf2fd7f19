/**
 * The restatement relay against real MinIO, Redis and Kafka: two versions of a day published with
 * CatalogPublisher give exactly the expected notices (read back from a unique topic); a second run
 * produces nothing; a crash between produce and cursor write re-sends (at-least-once), never loses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKafka,
  createRedis,
  createS3,
  ensureTopics,
  openDuckDB,
  S3ObjectCache,
  topicMessageCount,
  withAdmin,
  type DuckDBInstance,
  type KafkaClients,
  type KafkaProducer,
} from '@ami/shared/clients';
import { validateRestatementNotice, type RestatementNotice } from '@ami/shared/contracts';
import { localDayBounds } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { readTopic } from '../../../../test/support/kafka.ts';
import { CatalogPublisher } from '../../src/catalog/publisher.ts';
import { RelayCursor, restatementCursorKey } from '../../src/restatements/cursor.ts';
import { createRelayProducer, RestatementRelay } from '../../src/restatements/relay.ts';
import { deletePrefix } from '../catalog/support.ts';
import { writeGrid15m, writeIntervalsValidated, writeMeterMonthly, type IntervalRow } from './view-files.ts';

const TZ = 'Europe/Stockholm';
const DATE = '2025-03-10';
const Q = 900_000;

function topicSize(kafka: KafkaClients, topic: string): Promise<number> {
  return withAdmin(kafka, (admin) => topicMessageCount(admin, topic));
}

/** The first `expected` messages of `topic`, read from the beginning by a group of its own, validated. */
async function readNotices(
  kafka: KafkaClients,
  topic: string,
  expected: number,
): Promise<{ key: string; value: RestatementNotice }[]> {
  const records = await readTopic(kafka, topic, expected, { maxRecords: 100 });
  return records.map((r) => {
    const checked = validateRestatementNotice(JSON.parse(r.value?.toString() ?? 'null'));
    if (!checked.ok) throw new Error(`invalid notice on the topic: ${checked.detail}`);
    return { key: r.key?.toString() ?? '', value: checked.value };
  });
}

describe('restatement relay on MinIO + Redis + Kafka', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const redis = createRedis(config, { connectionName: 'relay-it' });
  const kafka = createKafka(config, { component: 'relay-it' });
  const root = `it/${uniqueName('relay')}/`;
  const work = mkdtempSync(join(tmpdir(), 'ami-relay-it-'));
  const cursorPrefix = uniqueName('relay-cursor');
  let db: DuckDBInstance;
  let producer: KafkaProducer;

  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
    producer = createRelayProducer(kafka);
  });
  afterAll(async () => {
    await producer.close();
    await deletePrefix(s3, bucket, root);
    await redis.del(restatementCursorKey(cursorPrefix));
    redis.disconnect();
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const { startMs } = localDayBounds(DATE, TZ);
  const rows = (sp2Wh: number): IntervalRow[] =>
    [1, 2, 3].flatMap((m) =>
      [0, 1].map((slot) => ({
        meterId: `MTR-${m}`,
        servicePointId: `SP-${m}`,
        startMs: startMs + slot * Q,
        wh: m === 2 && slot === 1 ? sp2Wh : 100 * m,
        quality: 'A' as const,
        originalWh: m === 2 && slot === 1 ? sp2Wh : 100 * m,
      })),
    );

  async function publishVersion(publisher: CatalogPublisher, name: string, sp2Wh: number, cause: string) {
    const dir = join(work, name);
    const iv = await writeIntervalsValidated(db, join(dir, 'iv.parquet'), rows(sp2Wh));
    const grid = await writeGrid15m(db, join(dir, 'grid.parquet'), [
      { level: 'transformer', entityId: 'T1', startMs, wh: 600 },
      { level: 'transformer', entityId: 'T1', startMs: startMs + Q, wh: 400 + sp2Wh },
    ]);
    const monthly = await writeMeterMonthly(db, join(dir, 'mm.parquet'), [
      { meterId: 'MTR-1', servicePointId: 'SP-1', wh: 200 },
      { meterId: 'MTR-2', servicePointId: 'SP-2', wh: 200 + sp2Wh },
      { meterId: 'MTR-3', servicePointId: 'SP-3', wh: 600 },
    ]);
    return publisher.publish(
      [
        { view: 'intervals_validated', partition: `date=${DATE}`, files: [iv] },
        { view: 'grid_15m', partition: `date=${DATE}`, files: [grid] },
        { view: 'meter_monthly', partition: 'month=2025-03', files: [monthly] },
      ],
      { cause },
    );
  }

  it('produces one notice per restated (view, date), once, and re-sends after a crash', async () => {
    const prefix = `${root}catalog/`;
    const publisher = new CatalogPublisher({ s3, bucket, prefix, timeZone: TZ, retentionMs: 86_400_000 });
    const topic = uniqueName('it.restatements');
    await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const cursor = new RelayCursor(redis, cursorPrefix);
    const cache = new S3ObjectCache({ s3, bucket, dir: join(work, 'cache') });
    let crash = false;
    const relay = new RestatementRelay({
      s3,
      bucket,
      catalogPrefix: prefix,
      cache,
      db,
      cursor,
      producer,
      topic,
      afterProduce: () => {
        if (crash) throw new Error('simulated crash after produce');
      },
    });

    const v1 = await publishVersion(publisher, 'v1', 200, 'nightly');
    const v2 = await publishVersion(publisher, 'v2', 250, 'edit');
    expect([v1.version, v2.version]).toEqual(['v1', 'v2']);

    const first = await relay.relayOnce();
    expect(first).toMatchObject({ snapshots: 2, cursor: 2, unverifiable: 0, more: false });
    const v2At = (await publisher.current()).snapshot?.committedAt ?? '';
    const expected = (view: RestatementNotice['view']): RestatementNotice => ({
      view,
      local_date: DATE,
      old_version: 'v1',
      new_version: 'v2',
      affected_service_point_ids: ['SP-2'],
      affected_service_point_count: 1,
      cause: 'edit',
      published_at: v2At,
    });
    const want = [expected('grid_15m'), expected('intervals_validated'), expected('meter_monthly')];
    expect(first.notices).toEqual(want);
    expect(await topicSize(kafka, topic)).toBe(3);
    const read = await readNotices(kafka, topic, 3);
    expect(read).toEqual(want.map((n) => ({ key: `${n.view}/${n.local_date}`, value: n })));

    // Nothing new: nothing produced, the cursor stays.
    const second = await relay.relayOnce();
    expect(second).toMatchObject({ snapshots: 0, notices: [], cursor: 2 });
    expect(await topicSize(kafka, topic)).toBe(3);

    // A third version; the relay "crashes" after producing, before writing the cursor.
    const v3 = await publishVersion(publisher, 'v3', 300, 'late_data');
    expect(v3.version).toBe('v3');
    crash = true;
    await expect(relay.relayOnce()).rejects.toThrow('simulated crash');
    expect(await cursor.get()).toBe(2);
    expect(await topicSize(kafka, topic)).toBe(6);

    // Restarted: the same notices again (at-least-once), then the cursor moves.
    crash = false;
    const again = await relay.relayOnce();
    expect(again).toMatchObject({ snapshots: 1, cursor: 3 });
    expect(
      again.notices.map((n) => [n.view, n.old_version, n.new_version, n.cause, n.affected_service_point_ids]),
    ).toEqual([
      ['grid_15m', 'v2', 'v3', 'late_data', ['SP-2']],
      ['intervals_validated', 'v2', 'v3', 'late_data', ['SP-2']],
      ['meter_monthly', 'v2', 'v3', 'late_data', ['SP-2']],
    ]);
    expect(await topicSize(kafka, topic)).toBe(9);
    const all = await readNotices(kafka, topic, 9);
    expect(all.slice(3, 6)).toEqual(all.slice(6, 9));
    expect((await relay.relayOnce()).notices).toEqual([]);
  });
});
