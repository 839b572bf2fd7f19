/**
 * Retention and backpressure against the real services:
 *  - the retention sweep drops a day the batch covers and, under the hard cap, a day it does not
 *    (counted as uncovered), moves the fence's retainFrom so a late read cannot recreate a dropped
 *    day, and leaves the retained days untouched;
 *  - a consumer whose Redis connection is cut mid-run (a TCP proxy in front of the real Redis is
 *    closed, then reopened) pauses, rewinds and finishes with the realtime view exactly equal to
 *    the simulator truth.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createTopics, sendMessages, withAdmin } from '@ami/shared/clients';
import { buildTopologyIndex, loadValidationConfig } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { localDayBounds } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { SpeedConsumer, loadSpeedLayerSettings } from '../src/index.ts';
import { PartitionWatermarks } from '../src/watermark.ts';
import { applyChunk, readFence } from '../src/realtime-view/apply.ts';
import { readMeterDay } from '../src/realtime-view/read-view.ts';
import { planReadBatch, type InboundMessage } from '../src/consumer/plan-reads.ts';
import { sweepRetention } from '../src/retention/sweep.ts';
import { expectedFromTruth, realtimeViewOf, runSimulation, type SimRun } from '../src/testing/sim-truth.ts';

const PARTITIONS = 6;
const TZ = 'Europe/Stockholm';

function byPartition(run: SimRun): Map<number, InboundMessage[]> {
  const out = new Map<number, InboundMessage[]>();
  for (const m of run.reads) {
    const p = partitionOfMeter(m.key, PARTITIONS);
    const list = out.get(p) ?? [];
    list.push({ offset: BigInt(list.length), key: Buffer.from(m.key), value: Buffer.from(m.value) });
    out.set(p, list);
  }
  return out;
}

/** A TCP proxy to Redis that the test can cut (every connection dropped, no new ones) and restore. */
async function redisProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    cut: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        if (server) server.close(() => resolve());
        else resolve();
      }),
    restore: listen,
  };
}

describe('speed layer resilience (real Kafka + Redis)', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'speed-resilience-it' });
  const prefixes: string[] = [];

  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`{${prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
    redis.disconnect();
  });

  it('retention sweep: drops covered and hard-capped days, counts the uncovered one, blocks late writes', async () => {
    const prefix = uniqueName('rvret')
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(-32);
    prefixes.push(prefix);
    const run = await runSimulation({ meters: 12, days: 4, startDate: '2026-03-09', seed: 5, faults: {} });
    expect(run.dates).toEqual(['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12']);
    const topology = buildTopologyIndex(run.topology);
    const nowMs = Date.now();
    const watermarks = new PartitionWatermarks({ allowedLatenessMs: 600_000, idleTimeoutMs: 60_000 });
    const parts = byPartition(run);
    const plan = (p: number, messages: InboundMessage[]) =>
      planReadBatch(messages, {
        topic: 'reads',
        partition: p,
        keyPrefix: prefix,
        timeZone: TZ,
        nowMs,
        validation: { nowMs, timeZone: TZ },
        topology,
        retentionDays: 7,
        maxMessagesPerChunk: 500,
        watermarks,
      });
    for (const [p, messages] of parts)
      for (const c of plan(p, messages).chunks) await applyChunk(redis, prefix, c);
    const meter = run.topology[0]!.meter_id;
    const keptBefore = await readMeterDay(redis, prefix, PARTITIONS, meter, '2026-03-11');
    expect(keptBefore.dailyWh).not.toBe(0);

    // The batch has published the 9th; the cap keeps 1 day before the partition watermark's day
    // (the 12th, minus lateness), so the 10th goes although the batch has not covered it.
    const sweep = () =>
      sweepRetention({
        redis,
        keyPrefix: prefix,
        partitionCount: PARTITIONS,
        policy: { graceMs: 0, hardCapDays: 1, timeZone: TZ },
        batchWatermark: () => Promise.resolve(localDayBounds('2026-03-09', TZ).endMs),
        allowedLatenessMs: 600_000,
        nowMs,
      });
    const r = await sweep();
    expect(r.droppedDays).toBe(2 * PARTITIONS);
    expect(r.droppedUncoveredDays).toBe(PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      expect((await readFence(redis, prefix, p)).retainFrom).toBe('2026-03-11');
      expect(await redis.keys(`{${prefix}:${p}}:*:2026-03-09`)).toEqual([]);
      expect(await redis.keys(`{${prefix}:${p}}:*:2026-03-10`)).toEqual([]);
      expect((await redis.hkeys(`{${prefix}:${p}}:days`)).sort()).toEqual(['2026-03-11', '2026-03-12']);
    }
    expect(await readMeterDay(redis, prefix, PARTITIONS, meter, '2026-03-11')).toEqual(keptBefore);
    const again = await sweep();
    expect(again.droppedDays).toBe(0);

    // A late correction of a dropped day, at new offsets: expired, nothing recreated.
    const p = partitionOfMeter(meter, PARTITIONS);
    const lateRead = run.reads.find((m) => m.key === meter && m.value.includes('"2026-03-10T12:00:00'));
    expect(lateRead).toBeDefined();
    const next = parts.get(p)!.length;
    const late = plan(p, [
      { offset: BigInt(next), key: Buffer.from(meter), value: Buffer.from(lateRead!.value) },
    ]);
    const res = await applyChunk(redis, prefix, late.chunks[0]!);
    expect(res).toMatchObject({ expired: 1, inserted: 0, replaced: 0 });
    expect(await redis.keys(`{${prefix}:${p}}:m:${meter}:2026-03-10`)).toEqual([]);
  });

  it('Redis cut mid-run: the consumer pauses, retries, and the view still equals the truth', async () => {
    const id = uniqueName('speed-cut');
    const redisUrl = new URL(integrationConfig().connection.redisUrl);
    const proxy = await redisProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    const overrides = {
      AMI_TOPIC_READS: `${id}.reads`,
      AMI_TOPIC_EVENTS: `${id}.events`,
      AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
      AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
      AMI_SPEED_GROUP_ID: `${id}-group`,
      AMI_SPEED_KEY_PREFIX: id.replace(/[^A-Za-z0-9._-]/g, '').slice(-32),
      AMI_SPEED_CHUNK_MESSAGES: '50',
      AMI_SPEED_FETCH_MAX_BYTES_PER_PARTITION: '8192',
      AMI_SPEED_PAUSE_MS: '200',
    };
    const config = integrationConfig(overrides);
    const settings = loadSpeedLayerSettings(overrides);
    prefixes.push(settings.keyPrefix);
    const run = await runSimulation({
      meters: 20,
      days: 1,
      startDate: '2026-03-10',
      seed: 17,
      faults: { duplicate: 0.02, correction: 0.02 },
    });
    const kafka = createKafka(config);
    await withAdmin(kafka, (admin) =>
      createTopics(
        admin,
        [config.topics.reads, config.topics.events, config.topics.readsDlq, config.topics.eventsDlq].map(
          (topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 }),
        ),
      ),
    );
    // The first half is applied before the cut, the second half arrives while Redis is cut: the cut
    // always lands mid-run, however fast the consumer is.
    const half = Math.floor(run.reads.length / 2);
    const producer = kafka.producer();
    await sendMessages(producer, config.topics.reads, run.reads.slice(0, half));

    const viaProxy = {
      ...config,
      connection: { ...config.connection, redisUrl: `redis://127.0.0.1:${proxy.port}` },
    };
    const proxied = createRedis(viaProxy, {
      connectionName: 'speed-behind-proxy',
      overrides: { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 100 },
    });
    const redisErrors: string[] = [];
    proxied.on('error', (err: Error) => redisErrors.push(err.message));
    const consumer = new SpeedConsumer({
      kafka,
      redis: proxied,
      config,
      settings,
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      topology: buildTopologyIndex(run.topology),
      logger: createLogger('speed-cut-it', { level: 'error' }),
    });
    const running = consumer.start();
    const total = run.reads.length;
    const applied = async () => {
      let n = 0;
      for (let p = 0; p < PARTITIONS; p++) n += (await readFence(redis, settings.keyPrefix, p)).offset + 1;
      return n;
    };
    const waitFor = async (what: string, cond: () => Promise<boolean>) => {
      const t0 = Date.now();
      while (!(await cond())) {
        if (Date.now() - t0 > 90_000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor('the first half', async () => (await applied()) === half);
    await proxy.cut();
    const atCut = await applied();
    await sendMessages(producer, config.topics.reads, run.reads.slice(half));
    await producer.close();
    await new Promise((r) => setTimeout(r, 2_000));
    await proxy.restore();
    await waitFor('the whole topic', async () => (await applied()) === total);
    await consumer.stop();
    await running;
    proxied.disconnect();
    await proxy.cut();

    process.stderr.write(`[speed-layer] redis cut at ${atCut}/${total}: ${JSON.stringify(consumer.stats)}\n`);
    expect(atCut).toBeLessThan(total);
    expect(consumer.stats.pauses).toBeGreaterThan(0);
    expect(redisErrors.length).toBeGreaterThan(0);
    const view = await realtimeViewOf(redis, settings.keyPrefix, PARTITIONS, run);
    const expected = expectedFromTruth(run);
    expect(view.intervals).toEqual(expected.intervals);
    expect(view.grid).toEqual(expected.grid);
  });
});
