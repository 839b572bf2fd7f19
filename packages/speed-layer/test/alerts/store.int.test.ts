import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createTopics, topicOffsets, withAdmin } from '@ami/shared/clients';
import type { TopologyRow, ValidEvent } from '@ami/shared/contracts';
import { DEFAULT_ALERT_RULES, defaultEventCodeTable } from '@ami/shared/domain';
import { Registry } from '@ami/shared/metrics';
import { formatIsoUtc } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { openAlert } from '../../src/alerts/alert-record.ts';
import { AlertEngine, type AlertEngineDeps } from '../../src/alerts/engine.ts';
import { buildTransformerRoster } from '../../src/alerts/roster.ts';
import { loadAlertEngineSettings, type AlertEngineSettings } from '../../src/alerts/settings.ts';
import { AlertStore } from '../../src/alerts/store.ts';

const T0 = Date.UTC(2026, 2, 10, 8, 0);
const W = 900_000;

function row(meter: string, tx: string): TopologyRow {
  return {
    meter_id: meter,
    service_point_id: `SP-${meter}`,
    customer_id: `C-${meter}`,
    transformer_id: tx,
    feeder_id: 'F1',
    substation_id: 'S1',
    region: 'R1',
    segment: 'residential',
    tariff: 'flat',
    prosumer: false,
    valid_from: '2025-01-01T00:00:00Z',
    valid_to: null,
  };
}

function event(meter: string, code: number, tsMs: number): ValidEvent {
  const definition = defaultEventCodeTable.get(code);
  if (definition === undefined) throw new Error(`code ${code}`);
  return {
    meter_id: meter,
    event_code: code,
    event_desc: definition.description,
    event_ts: formatIsoUtc(tsMs),
    eventTsMs: tsMs,
    definition,
  };
}

describe('alert store and engine edge cases against real Redis', () => {
  const config = integrationConfig({
    AMI_TOPIC_ALERTS_GRID: `${uniqueName('alerts-store-it')}.grid`,
    AMI_TOPIC_ALERTS_EVENTS: `${uniqueName('alerts-store-it')}.events`,
  });
  const redis = createRedis(config, { connectionName: 'alerts-store-it' });
  const prefixes: string[] = [];

  function prefix(): string {
    const p = uniqueName('als')
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(-32);
    prefixes.push(p);
    return p;
  }

  function engine(
    keyPrefix: string,
    rows: TopologyRow[],
    settings: Partial<AlertEngineSettings> = {},
    extra: Partial<AlertEngineDeps> = {},
  ): AlertEngine {
    return new AlertEngine({
      redis,
      topics: config.topics,
      roster: buildTransformerRoster(rows),
      eventCodes: defaultEventCodeTable,
      rules: DEFAULT_ALERT_RULES,
      settings: { ...loadAlertEngineSettings({}), ...settings, keyPrefix },
      viewKeyPrefix: `${keyPrefix}v`.slice(-32),
      numPartitions: 2,
      timeZone: 'Europe/Stockholm',
      ...extra,
    });
  }

  afterAll(async () => {
    for (const p of prefixes) {
      const keys = await redis.keys(`{${p}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await withAdmin(createKafka(config), (admin) =>
      admin
        .deleteTopics({ topics: [config.topics.alertsGrid, config.topics.alertsEvents] })
        .catch(() => undefined),
    );
    redis.disconnect();
  });

  it('opens once per dedup key, refuses replays, clears by id and queues every transition', async () => {
    const store = new AlertStore(redis, {
      keyPrefix: prefix(),
      historyMaxLen: 1000,
      replayHorizonMs: 86_400_000,
      topics: config.topics,
    });
    const spec = {
      type: 'LOW_VOLTAGE',
      source: 'VOLTAGE',
      severity: 'WARNING',
      entityType: 'transformer',
      entityId: 'TX-1',
      value: 200,
      detail: 'low',
    } as const;
    const first = openAlert({ ...spec, openedAtMs: T0 });
    expect(await store.open(first)).toBe('opened');
    expect(await store.open(first)).toBe('duplicate');
    expect(await store.open(openAlert({ ...spec, openedAtMs: T0 + W }))).toBe('duplicate');
    expect(await store.clear('LOW_VOLTAGE|transformer|TX-1', T0 - 1, 'older fact')).toBeUndefined();
    const cleared = await store.clear('LOW_VOLTAGE|transformer|TX-1', T0 + 2 * W, 'fine');
    expect(cleared).toMatchObject({ id: first.id, status: 'cleared', cleared_at: formatIsoUtc(T0 + 2 * W) });
    expect(await store.clear('LOW_VOLTAGE|transformer|TX-1', T0 + 3 * W, 'again')).toBeUndefined();
    // A replay of the first window (or anything up to the clear) cannot reopen it …
    expect(await store.open(first)).toBe('stale');
    expect(await store.open(openAlert({ ...spec, openedAtMs: T0 + 2 * W }))).toBe('stale');
    // … a later breach can.
    const second = openAlert({ ...spec, openedAtMs: T0 + 3 * W });
    expect(await store.open(second)).toBe('opened');
    expect((await store.active()).map((a) => a.id)).toEqual([second.id]);
    const history = await store.history();
    expect(history.map((h) => `${h.transition}:${h.alert.id}`)).toEqual([
      `open:${first.id}`,
      `clear:${first.id}`,
      `open:${second.id}`,
    ]);
    expect(await store.outboxLength()).toBe(3);

    // Drained to Kafka in order, then the outbox is empty.
    const kafka = createKafka(config);
    await withAdmin(kafka, (admin) =>
      createTopics(
        admin,
        [config.topics.alertsGrid, config.topics.alertsEvents].map((topic) => ({ topic, numPartitions: 1 })),
      ),
    );
    // A failed send (here: the broker cannot be reached) keeps the outbox and frees the lease.
    const unreachable = createKafka({
      ...config,
      connection: { ...config.connection, kafkaBrokers: ['127.0.0.1:1'] },
    });
    const down = unreachable.producer();
    await expect(store.drainOutbox(down, 'other', 2, 10_000)).rejects.toThrow();
    await down.close();
    expect(await store.outboxLength()).toBe(3);
    const producer = kafka.producer();
    expect(await store.drainOutbox(producer, 'me', 2, 10_000)).toBe(3);
    expect(await store.outboxLength()).toBe(0);
    expect(await store.drainOutbox(producer, 'me', 2, 10_000)).toBe(0);
    await producer.close();
    const [offsets] = await withAdmin(kafka, (admin) => topicOffsets(admin, config.topics.alertsGrid));
    expect(offsets?.high).toBe(3n);
  });

  it('TRANSFORMER_OUTAGE: 3 meters within 60 s or 50 %, cleared when every gasped meter restored', async () => {
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => row(`A${i}`, 'TX-A')),
      ...Array.from({ length: 10 }, (_, i) => row(`B${i}`, 'TX-B')),
      ...Array.from({ length: 4 }, (_, i) => row(`C${i}`, 'TX-C')),
      ...Array.from({ length: 5 }, (_, i) => row(`D${i}`, 'TX-D')),
    ];
    const e = engine(prefix(), rows);
    const t = await e.onEvents([
      event('A0', 3840, T0),
      event('A1', 3840, T0 + 30_000),
      event('B0', 3840, T0),
      event('B1', 3840, T0 + 30_000),
      event('B2', 3840, T0 + 60_001), // 60.001 s after B0: only 2 within any 60 s
      event('C0', 3840, T0),
      event('C1', 3840, T0 + 59_000), // 2 of 4 = 50 %
      event('D0', 3840, T0),
      event('D1', 3840, T0 + 1000), // 2 of 5 = 40 %
      event('A2', 3840, T0 + 60_000), // exactly 60 s after A0: 3 meters
    ]);
    const outages = t.filter((x) => x.alert.type === 'TRANSFORMER_OUTAGE').map((x) => x.alert);
    expect(outages.map((a) => [a.entity_id, a.opened_at, a.value])).toEqual([
      ['TX-C', formatIsoUtc(T0), 2],
      ['TX-A', formatIsoUtc(T0), 3],
    ]);
    expect(t.filter((x) => x.alert.type === 'POWER_OUTAGE')).toHaveLength(10);

    // Two of the three gasped meters of TX-A restore: still out; the third: cleared.
    const r1 = await e.onEvents([event('A0', 3843, T0 + 600_000), event('A1', 3843, T0 + 601_000)]);
    expect(r1.map((x) => `${x.transition}:${x.alert.type}:${x.alert.entity_id}`)).toEqual([
      'clear:POWER_OUTAGE:A0',
      'clear:POWER_OUTAGE:A1',
    ]);
    const r2 = await e.onEvents([event('A2', 3843, T0 + 602_000)]);
    expect(r2.map((x) => `${x.transition}:${x.alert.type}:${x.alert.entity_id}`)).toEqual([
      'clear:POWER_OUTAGE:A2',
      'clear:TRANSFORMER_OUTAGE:TX-A',
    ]);
    expect(r2[1]?.alert.cleared_at).toBe(formatIsoUtc(T0 + 602_000));
    // A replay of the whole sequence changes nothing.
    expect(
      await e.onEvents([
        event('A0', 3840, T0),
        event('A1', 3840, T0 + 30_000),
        event('A2', 3840, T0 + 60_000),
        event('A0', 3843, T0 + 600_000),
      ]),
    ).toEqual([]);
  });

  it('an outage whose restores were handled before its last gasp opens and clears at once', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(`E${i}`, 'TX-E'));
    const e = engine(prefix(), rows, { outageClearRestoredPct: 100 });
    // Another partition's consumer was faster: E0 and E1 gasped and restored, E2's gasp comes last.
    await e.onEvents([event('E0', 3840, T0), event('E1', 3840, T0 + 1000)]);
    await e.onEvents([event('E0', 3843, T0 + 120_000), event('E1', 3843, T0 + 121_000)]);
    await e.onEvents([event('E2', 3843, T0 + 122_000)]);
    const t = await e.onEvents([event('E2', 3840, T0 + 2000)]);
    expect(t.filter((x) => x.alert.type === 'TRANSFORMER_OUTAGE').map((x) => x.transition)).toEqual([
      'open',
      'clear',
    ]);
  });

  it('EVENT alerts clear when their hold has passed the watermark', async () => {
    const registry = new Registry();
    const e = engine(prefix(), [], { eventHoldS: 3600 }, { registry });
    const t = await e.onEvents([
      event('M1', 2048, T0),
      event('M1', 2048, T0 + 60_000),
      event('M2', 1024, T0),
    ]);
    expect(t.map((x) => `${x.alert.type}:${x.alert.entity_id}`)).toEqual([
      'TAMPER_COVER_OPEN:M1',
      'REVERSE_ENERGY_FLOW:M2',
    ]);
    const before = await e.onWatermark(T0 + 3_599_999, Date.now());
    expect(before.transitions).toEqual([]);
    const after = await e.onWatermark(T0 + 3_600_000, Date.now());
    expect(after.transitions.map((x) => [x.transition, x.alert.type, x.alert.cleared_at]).sort()).toEqual([
      ['clear', 'REVERSE_ENERGY_FLOW', formatIsoUtc(T0 + 3_600_000)],
      ['clear', 'TAMPER_COVER_OPEN', formatIsoUtc(T0 + 3_600_000)],
    ]);
    expect(await e.store.active()).toEqual([]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('ami_alerts_opened_total{type="TAMPER_COVER_OPEN"} 1');
    expect(metrics).toContain('ami_alerts_cleared_total{type="REVERSE_ENERGY_FLOW"} 1');
  });

  it('evaluates up to the slowest live instance and at most maxCatchUpWindows behind', async () => {
    const p = prefix();
    const now = Date.now();
    const a = engine(p, [], { maxCatchUpWindows: 8 }, { instanceId: 'a', evaluateFromMs: T0 });
    const b = engine(p, [], { maxCatchUpWindows: 8 }, { instanceId: 'b', evaluateFromMs: T0 });
    const rb = await b.onWatermark(T0 + 2 * W, now);
    expect(rb.windowsEvaluated).toBe(2);
    const ra = await a.onWatermark(T0 + 100 * W, now);
    expect(ra.watermarkMs).toBe(T0 + 2 * W);
    expect(ra.windowsEvaluated).toBe(0);
    // b stops reporting: after the instance timeout a no longer waits for it.
    const later = now + 121_000;
    const ra2 = await a.onWatermark(T0 + 100 * W, later);
    expect(ra2.watermarkMs).toBe(T0 + 100 * W);
    expect(ra2.windowsEvaluated).toBe(8);
    expect(ra2.windowsSkipped).toBe(90);
    expect(await redis.get(`{${p}}:cursor`)).toBe(String(T0 + 100 * W));
  });
});
