import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKafka,
  createRedis,
  createTopics,
  topicOffsets,
  withAdmin,
  type KafkaProducer,
  type RedisClient,
} from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { alertDedupKey, validateAlert, type Alert } from '@ami/shared/contracts';
import { DEFAULT_ALERT_RULES, defaultEventCodeTable } from '@ami/shared/domain';
import { formatIsoUtc, parseIsoInstant } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { AlertEngine } from '../../src/alerts/engine.ts';
import { buildTransformerRoster } from '../../src/alerts/roster.ts';
import { loadAlertEngineSettings } from '../../src/alerts/settings.ts';
import type { AlertTransition } from '../../src/alerts/store.ts';
import { partitionOfMeter } from '@ami/shared/partitioner';
import {
  TZ,
  W,
  ViewFeeder,
  drive,
  key,
  model,
  readTopics,
  simulateFeed,
  validEvents,
  type Expected,
  type Msg,
  type Feed,
} from './harness.ts';

const PARTITIONS = 4;
const DATE = '2026-03-10';
const METERS = 90;

function prefixOf(name: string): string {
  return uniqueName(name)
    .replace(/[^A-Za-z0-9._-]/g, '')
    .slice(-32);
}

/** Pairs the history's opens and clears into the model's shape. */
function reduce(history: readonly AlertTransition[]): Expected[] {
  const byId = new Map<string, Alert>();
  for (const h of history) {
    if (h.transition === 'open') expect(byId.has(h.alert.id)).toBe(false); // never opened twice
    byId.set(h.alert.id, h.alert);
  }
  return [...byId.values()]
    .map((a) => ({
      type: a.type,
      entity: a.entity_id,
      openedMs: parseIsoInstant(a.opened_at),
      clearedMs: a.cleared_at === null ? null : parseIsoInstant(a.cleared_at),
    }))
    .sort((a, b) => key(a).localeCompare(key(b)));
}

describe('alert engine against real Redis and Kafka', () => {
  const config: AmiConfig = integrationConfig({
    AMI_TOPIC_ALERTS_GRID: `${uniqueName('alerts-it')}.grid`,
    AMI_TOPIC_ALERTS_EVENTS: `${uniqueName('alerts-it')}.events`,
  });
  const redis = createRedis(config, { connectionName: 'alerts-it' });
  const prefixes: string[] = [];
  const kafka = createKafka(config);
  let producer: KafkaProducer;

  function engine(
    alertPrefix: string,
    viewPrefix: string,
    feed: Feed,
    opts: { producer?: KafkaProducer; client?: RedisClient } = {},
  ) {
    return new AlertEngine({
      redis: opts.client ?? redis,
      ...(opts.producer ? { producer: opts.producer } : {}),
      topics: config.topics,
      roster: buildTransformerRoster(feed.rows),
      eventCodes: defaultEventCodeTable,
      rules: DEFAULT_ALERT_RULES,
      settings: { ...loadAlertEngineSettings({}), keyPrefix: alertPrefix },
      viewKeyPrefix: viewPrefix,
      numPartitions: PARTITIONS,
      timeZone: TZ,
      evaluateFromMs: feed.startMs,
    });
  }

  async function run(feed: Feed, instances = 1, withProducer = false) {
    const viewPrefix = prefixOf('alv');
    const alertPrefix = prefixOf('ala');
    prefixes.push(viewPrefix, alertPrefix);
    const clients = Array.from({ length: instances }, (_, i) =>
      i === 0 ? redis : createRedis(config, { connectionName: `alerts-it-${i}` }),
    );
    const engines = clients.map((client) =>
      engine(alertPrefix, viewPrefix, feed, { client, ...(withProducer ? { producer } : {}) }),
    );
    const feeder = new ViewFeeder(redis, viewPrefix, PARTITIONS, feed.rows);
    const wm = await drive(feed, feeder, engines);
    for (const c of clients) if (c !== redis) c.disconnect();
    const lastEnd = Math.floor(wm / W) * W;
    const main = engines[0] as AlertEngine;
    return { viewPrefix, alertPrefix, main, lastEnd, history: await main.store.history(), feed };
  }

  beforeAll(async () => {
    await withAdmin(kafka, (admin) =>
      createTopics(
        admin,
        [config.topics.alertsGrid, config.topics.alertsEvents].map((topic) => ({
          topic,
          numPartitions: 2,
          replicationFactor: 1,
        })),
      ),
    );
    producer = kafka.producer();
  });

  afterAll(async () => {
    for (const prefix of prefixes) {
      const patterns = [
        `{${prefix}}:*`,
        ...Array.from({ length: PARTITIONS }, (_, p) => `{${prefix}:${p}}:*`),
      ];
      for (const pattern of patterns) {
        const keys = await redis.keys(pattern);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      }
    }
    await producer?.close();
    await withAdmin(kafka, (admin) =>
      admin
        .deleteTopics({ topics: [config.topics.alertsGrid, config.topics.alertsEvents] })
        .catch(() => undefined),
    );
    redis.disconnect();
  });

  it('a clean simulated day raises no alert', async () => {
    const feed = await simulateFeed({ seed: 7, meters: METERS, startDate: DATE, faults: {} });
    expect(feed.truth).toEqual([]);
    expect(feed.events).toEqual([]);
    const r = await run(feed);
    // Every window of the day but the last ones (behind the watermark) was evaluated.
    expect(Number(await redis.get(`{${r.alertPrefix}}:cursor`))).toBe(r.lastEnd);
    expect((r.lastEnd - feed.startMs) / W).toBeGreaterThanOrEqual(94);
    expect(r.history).toEqual([]);
    expect(await r.main.store.active()).toEqual([]);
    expect(model(feed, r.lastEnd)).toEqual([]);
  });

  it('an event repeated after its hold opens its own alert even while the watermark is behind', async () => {
    const feed = await simulateFeed({ seed: 7, meters: METERS, startDate: DATE, faults: {} });
    const alertPrefix = prefixOf('alh');
    const viewPrefix = prefixOf('alhv');
    prefixes.push(alertPrefix, viewPrefix);
    const e = engine(alertPrefix, viewPrefix, feed);
    const meter = feed.rows[0]!.meter_id;
    const at = (ms: number) => formatIsoUtc(ms);
    const event = (ms: number) => ({
      key: meter,
      atMs: ms,
      value: JSON.stringify({
        meter_id: meter,
        event_code: 2048,
        event_desc: 'cover open',
        event_ts: at(ms),
      }),
    });
    const t0 = feed.startMs + 3_600_000;
    const hold = loadAlertEngineSettings({}).eventHoldS * 1000;
    // Both events arrive before any watermark advance (events run ahead of the reads).
    const out = await e.onEvents(validEvents([event(t0), event(t0 + hold + 60_000)], t0 + 2 * hold));
    expect(out.map((x) => [x.transition, x.alert.opened_at, x.alert.cleared_at])).toEqual([
      ['open', at(t0), null],
      ['clear', at(t0), at(t0 + hold)],
      ['open', at(t0 + hold + 60_000), null],
    ]);
    // A repeat within the hold is still merged into the open alert.
    expect(await e.onEvents(validEvents([event(t0 + hold + 120_000)], t0 + 2 * hold))).toEqual([]);
  });

  it("outages of one transformer give the same alerts whatever the order of its meters' partitions", async () => {
    // Events of different meters sit on different partitions, which a consumer may process far apart
    // in time (a backlog, a replay: one partition's whole day before the next one's). Two outages of
    // one transformer a few hours apart must open and clear the same alerts either way.
    const feed = await simulateFeed({ seed: 7, meters: METERS, startDate: DATE, faults: {} });
    const byTx = new Map<string, string[]>();
    for (const r of feed.rows)
      byTx.set(r.transformer_id, [...(byTx.get(r.transformer_id) ?? []), r.meter_id]);
    const [tx, meters] = [...byTx].find(
      ([, ms]) => ms.length >= 6 && new Set(ms.map((m) => partitionOfMeter(m, PARTITIONS))).size >= 2,
    )!;
    const event = (meter: string, code: number, ms: number): Msg => ({
      key: meter,
      atMs: ms,
      value: JSON.stringify({
        meter_id: meter,
        event_code: code,
        event_desc: code === 3840 ? 'last gasp' : 'power restored',
        event_ts: formatIsoUtc(ms),
      }),
    });
    const outages = [feed.startMs + 3 * 3_600_000, feed.startMs + 6 * 3_600_000];
    const all: Msg[] = [];
    for (const t of outages)
      for (const [i, m] of meters.entries()) {
        all.push(event(m, 3840, t + i * 1_000));
        all.push(event(m, 3843, t + 3_600_000 + i * 1_000));
      }
    const timeOrder = [...all].sort((a, b) => a.atMs - b.atMs);
    const outcome = async (order: Msg[], name: string) => {
      const alertPrefix = prefixOf(name);
      prefixes.push(alertPrefix);
      const e = engine(alertPrefix, prefixOf(`${name}v`), feed);
      for (const m of order) await e.onEvents(validEvents([m], feed.endMs));
      return reduce(await e.store.history())
        .filter((a) => a.type === 'TRANSFORMER_OUTAGE' && a.entity === tx)
        .map((a) => [a.openedMs, a.clearedMs]);
    };
    const lastMs = (meters.length - 1) * 1_000;
    expect(await outcome(timeOrder, 'alo')).toEqual(outages.map((t) => [t, t + 3_600_000 + lastMs]));
    // Every order of the partitions: one alert per outage, opened within its burst (the first gasps
    // known), cleared within its restores (its meters known when the clear was decided) — never
    // merged into the other outage, never left open.
    const perms = (rest: number[]): number[][] =>
      rest.length === 0
        ? [[]]
        : rest.flatMap((x) => perms(rest.filter((y) => y !== x)).map((p) => [x, ...p]));
    for (const perm of perms([...Array(PARTITIONS).keys()])) {
      const rank = (m: Msg) => perm.indexOf(partitionOfMeter(m.key, PARTITIONS));
      const got = await outcome(
        [...timeOrder].sort((a, b) => rank(a) - rank(b)),
        `alo${perm.join('')}`,
      );
      expect(got, `partitions in the order ${perm.join(',')}`).toHaveLength(2);
      for (const [i, t] of outages.entries()) {
        const [opened, cleared] = got[i] as [number, number | null];
        expect(opened).toBeGreaterThanOrEqual(t);
        expect(opened).toBeLessThanOrEqual(t + lastMs);
        expect(cleared).toBeGreaterThanOrEqual(t + 3_600_000);
        expect(cleared).toBeLessThanOrEqual(t + 3_600_000 + lastMs);
      }
    }
  });

  describe('a simulated day with faults', () => {
    let faults: Awaited<ReturnType<typeof run>>;
    let lowTx = '';
    let highTx = '';
    let lowStart = 0;
    let highStart = 0;
    let receiptTx = '';
    let receiptStart = 0;

    beforeAll(async () => {
      const feed = await simulateFeed({
        seed: 11,
        meters: METERS,
        startDate: DATE,
        faults: { outage: 0.5, gap: 0.01, tamper: 0.05, reverse_energy: 0.1 },
      });
      // The simulator has no valid-voltage fault (out_of_range makes invalid messages), so the
      // test injects one: a meter of a transformer without outage reads 205.0 V for two
      // intervals, a meter of another one 254.5 V for one interval.
      const outageTx = new Set(feed.truth.filter((f) => f.fault === 'outage').map((f) => f.transformer_id));
      const quiet = [...new Set(feed.rows.map((r) => r.transformer_id))].filter((t) => !outageTx.has(t));
      expect(quiet.length).toBeGreaterThanOrEqual(3);
      lowTx = quiet[0] as string;
      highTx = quiet[1] as string;
      lowStart = feed.startMs + 40 * W;
      highStart = feed.startMs + 60 * W;
      const present = new Set(
        feed.reads.map((m) => {
          const r = JSON.parse(m.value) as { meter_id: string; interval_start: string };
          return `${r.meter_id}|${parseIsoInstant(r.interval_start)}`;
        }),
      );
      const pick = (tx: string, starts: number[]) =>
        feed.rows.find(
          (r) => r.transformer_id === tx && starts.every((s) => present.has(`${r.meter_id}|${s}`)),
        )?.meter_id;
      const lowMeter = pick(lowTx, [lowStart, lowStart + W]);
      const highMeter = pick(highTx, [highStart]);
      let injected = 0;
      for (const m of feed.reads) {
        const r = JSON.parse(m.value) as { meter_id: string; interval_start: string; read_type: string };
        if (r.read_type !== 'INTERVAL') continue;
        const start = parseIsoInstant(r.interval_start);
        const v =
          r.meter_id === lowMeter && (start === lowStart || start === lowStart + W)
            ? '205.0'
            : r.meter_id === highMeter && start === highStart
              ? '254.5'
              : undefined;
        if (v === undefined) continue;
        m.value = m.value.replace(/"voltage_v":[0-9.]+/, `"voltage_v":${v}`);
        injected++;
      }
      expect(injected).toBe(3);
      // …and a collector loss: half the meters of a third transformer miss one interval.
      receiptTx = quiet[2] as string;
      receiptStart = feed.startMs + 70 * W;
      const lost = new Set(
        feed.rows
          .filter((r) => r.transformer_id === receiptTx)
          .map((r) => r.meter_id)
          .filter((_, i) => i % 2 === 0),
      );
      const kept = feed.reads.filter((m) => {
        const r = JSON.parse(m.value) as { meter_id: string; interval_start: string };
        return !(lost.has(r.meter_id) && parseIsoInstant(r.interval_start) === receiptStart);
      });
      expect(feed.reads.length - kept.length).toBe(lost.size);
      feed.reads.splice(0, feed.reads.length, ...kept);
      faults = await run(feed, 1, true);
    });

    it('raises exactly the alerts the rules predict, and one for each injected incident', () => {
      const { feed, history, lastEnd } = faults;
      const got = reduce(history);
      expect(got).toEqual(model(feed, lastEnd));
      const types = new Set(got.map((g) => g.type));
      for (const t of [
        'TRANSFORMER_OUTAGE',
        'POWER_OUTAGE',
        'METER_COMM_LOSS',
        'LOW_RECEIPT_RATE',
        'LOW_VOLTAGE',
        'HIGH_VOLTAGE',
        'REVERSE_ENERGY_FLOW',
      ]) {
        expect(types).toContain(t);
      }
      for (const a of history) expect(validateAlert(a.alert).ok).toBe(true);

      const find = (type: string, entity: string) =>
        got.filter((g) => g.type === type && g.entity === entity);
      let outages = 0;
      let longGaps = 0;
      const meterEvents = { tamper: 0, reverse_energy: 0 };
      for (const f of feed.truth) {
        if (f.fault === 'outage') {
          outages++;
          const from = parseIsoInstant(String(f.from));
          const to = parseIsoInstant(String(f.to));
          const [o] = find('TRANSFORMER_OUTAGE', String(f.transformer_id));
          expect(o?.openedMs).toBeGreaterThanOrEqual(from);
          expect(o?.openedMs).toBeLessThan(from + 5000);
          expect(o?.clearedMs).toBeGreaterThan(to);
          expect(o?.clearedMs).toBeLessThanOrEqual(to + 30_000);
          for (const m of f.meter_ids as string[]) {
            const [p] = find('POWER_OUTAGE', m);
            expect(p?.openedMs).toBeLessThan(from + 5000);
            expect(p?.clearedMs).toBeGreaterThan(to);
          }
          // Meters without power are not missing reads.
          expect(find('LOW_RECEIPT_RATE', String(f.transformer_id))).toEqual([]);
        } else if (f.fault === 'tamper' || f.fault === 'reverse_energy') {
          meterEvents[f.fault]++;
          const name = defaultEventCodeTable.get(Number(f.event_code))?.name ?? '';
          const [e] = find(name, String(f.meter_id));
          expect(e?.openedMs).toBe(parseIsoInstant(String(f.event_ts)));
        } else if (f.fault === 'gap') {
          const starts = (f.interval_starts as string[]).map(parseIsoInstant);
          const first = starts[0] as number;
          const fourthEnd = first + 4 * W;
          if (starts.length < 4 || fourthEnd > lastEnd) continue;
          longGaps++;
          const hit = find('METER_COMM_LOSS', String(f.meter_id)).filter(
            (c) => c.openedMs <= first && (c.clearedMs === null || c.clearedMs >= first + starts.length * W),
          );
          expect(hit).toHaveLength(1);
        }
      }
      expect(outages).toBeGreaterThanOrEqual(1);
      expect(longGaps).toBeGreaterThanOrEqual(1);
      expect(meterEvents.tamper).toBeGreaterThanOrEqual(1);
      expect(meterEvents.reverse_energy).toBeGreaterThanOrEqual(1);
      expect(find('LOW_VOLTAGE', lowTx)).toEqual([
        { type: 'LOW_VOLTAGE', entity: lowTx, openedMs: lowStart, clearedMs: lowStart + 2 * W },
      ]);
      expect(find('LOW_RECEIPT_RATE', receiptTx)).toContainEqual({
        type: 'LOW_RECEIPT_RATE',
        entity: receiptTx,
        openedMs: receiptStart,
        clearedMs: receiptStart + W,
      });
      expect(find('HIGH_VOLTAGE', highTx)).toEqual([
        { type: 'HIGH_VOLTAGE', entity: highTx, openedMs: highStart, clearedMs: highStart + W },
      ]);
    });

    it('produces every transition to its alert topic, keyed by the dedup key', async () => {
      const { history, main } = faults;
      expect(await main.store.outboxLength()).toBe(0);
      const topics = [config.topics.alertsGrid, config.topics.alertsEvents];
      let total = 0;
      await withAdmin(kafka, async (admin) => {
        for (const topic of topics) for (const p of await topicOffsets(admin, topic)) total += Number(p.high);
      });
      expect(total).toBe(history.length);
      const records = await readTopics(kafka, topics, uniqueName('alerts-it-read'), total);
      const got = records.map((r) => {
        const v = validateAlert(JSON.parse(r.value?.toString() ?? 'null'));
        if (!v.ok) throw new Error(v.detail);
        return { topic: r.topic, key: r.key?.toString() ?? '', alert: v.value };
      });
      for (const g of got) {
        expect(g.key).toBe(alertDedupKey(g.alert));
        expect(g.topic).toBe(
          g.alert.source === 'EVENT' ? config.topics.alertsEvents : config.topics.alertsGrid,
        );
      }
      const asText = (xs: readonly Alert[]) => xs.map((a) => JSON.stringify(a)).sort();
      expect(asText(got.map((g) => g.alert))).toEqual(asText(history.map((h) => h.alert)));
      // Per dedup key the open comes before its clear (same partition, produced in order).
      const seen = new Map<string, string>();
      for (const g of got.filter((x) => x.alert.status === 'cleared')) seen.set(g.alert.id, 'cleared');
      for (const id of seen.keys()) {
        const order = got.filter((g) => g.alert.id === id).map((g) => g.alert.status);
        expect(order).toEqual(['open', 'cleared']);
      }
    });

    it('a replay of the events and a re-evaluation of every window raise nothing new', async () => {
      const { feed, viewPrefix, alertPrefix, lastEnd, history } = faults;
      const again = engine(alertPrefix, viewPrefix, feed);
      const before = await again.store.active();
      const last = feed.events[feed.events.length - 1];
      expect(await again.onEvents(validEvents(feed.events, (last?.atMs ?? 0) + W))).toEqual([]);
      for (let end = feed.startMs + W; end <= lastEnd; end += W) {
        expect(await again.evaluateWindow(end - W, end)).toEqual([]);
      }
      const r = await again.onWatermark(lastEnd + W - 1, Date.now());
      expect(r.windowsEvaluated).toBe(0);
      expect(await again.store.history()).toEqual(history);
      expect(await again.store.active()).toEqual(before);
    });

    it('two instances fed the same data open each alert once', async () => {
      const two = await run(faults.feed, 2);
      expect(reduce(two.history)).toEqual(reduce(faults.history));
      // Both evaluating the same windows at the same moment, bypassing the lease.
      const a = engine(two.alertPrefix, two.viewPrefix, faults.feed);
      const b = engine(two.alertPrefix, two.viewPrefix, faults.feed);
      await redis.del(`{${two.alertPrefix}}:cursor`);
      const ends = [];
      for (let end = faults.feed.startMs + W; end <= two.lastEnd; end += W) ends.push(end);
      const both = await Promise.all(
        ends.flatMap((end) => [a.evaluateWindow(end - W, end), b.evaluateWindow(end - W, end)]),
      );
      expect(both.flat()).toEqual([]);
      expect(await a.store.history()).toEqual(two.history);
    });
  });
});
