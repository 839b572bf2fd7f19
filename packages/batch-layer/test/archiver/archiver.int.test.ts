/**
 * The archiver against real Kafka, MinIO and Redis: simulated reads and events with faults
 * (duplicates, corrections, late reads, malformed JSON, schema violations, out-of-range values,
 * unknown meters, outages, tamper) over two local days including the spring-forward DST day.
 * Process A (src/main.ts) is killed with SIGKILL mid-run holding unflushed messages; archiver B
 * (in-process) takes over and catches up with both flush triggers; process C gets SIGTERM and must
 * flush and commit before exiting 0. The archive is then read back through S3ObjectCache + DuckDB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  S3ObjectCache,
  createKafka,
  type KafkaClients,
  createRedis,
  createS3,
  openDuckDB,
  sqlPath,
  withConnection,
} from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { loadValidationConfig, readVersionContent, validateEvent, validateRead } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { addLocalDays, localDate } from '@ami/shared/time';
import { NO_FAULTS, simulate, type MessageSink, type TruthSink } from '@ami/simulator';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { freePort } from '../../../../test/support/platform.ts';
import {
  PARTITIONS,
  TZ,
  createTopics,
  groupOffsets,
  produce,
  waitFor,
  type Msg,
} from '../support/pipeline.ts';
import {
  Archiver,
  archivedEvent,
  archivedRead,
  compareArchivedReads,
  dirtyDaysKey,
  loadArchiverSettings,
  parseArchiveObjectKey,
  readVersionOf,
  type ArchivedRead,
} from '../../src/archiver/index.ts';

const FLUSH_ROWS = 250;
const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

class CollectingSink implements MessageSink {
  readonly reads: Msg[] = [];
  readonly events: Msg[] = [];
  read(key: string, value: string): void {
    this.reads.push({ key, value });
  }
  event(key: string, value: string): void {
    this.events.push({ key, value });
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface InvalidFault {
  readonly fault: string;
  readonly reason: string;
  readonly message: string;
}

async function simulated(meters = 24, days = 2) {
  const sink = new CollectingSink();
  const faults: InvalidFault[] = [];
  const truth: TruthSink = {
    line: (json) => {
      const t = JSON.parse(json) as Partial<InvalidFault>;
      if (t.fault !== undefined && t.reason !== undefined && t.message !== undefined)
        faults.push(t as InvalidFault);
    },
  };
  await simulate(
    {
      seed: 11,
      meters,
      days,
      startDate: '2026-03-28',
      timeZone: TZ,
      faults: {
        ...NO_FAULTS,
        duplicate: 0.02,
        correction: 0.01,
        late: 0.01,
        malformed_json: 0.005,
        schema_violation: 0.005,
        out_of_range: 0.005,
        unknown_meter: 0.003,
        outage: 0.3,
        tamper: 0.3,
      },
    },
    sink,
    truth,
  );
  return { reads: sink.reads, events: sink.events, faults };
}

function scenario() {
  const id = uniqueName('arch');
  const overrides = {
    AMI_TOPIC_READS: `${id}.reads`,
    AMI_TOPIC_EVENTS: `${id}.events`,
    AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
    AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
    AMI_HEADEND_PARTITIONS: String(PARTITIONS),
    AMI_ARCHIVER_GROUP_ID: `${id}-group`,
    AMI_ARCHIVER_S3_PREFIX: `it/${id}/`,
    AMI_ARCHIVER_DIRTY_KEY_PREFIX: id,
    AMI_ARCHIVER_METRICS_PORT: '0',
    AMI_TIMEZONE: TZ,
    LOG_LEVEL: 'warn',
  };
  return { id, overrides, config: integrationConfig(overrides) };
}

/** Per `topic:partition` of the head-end topics: end offset and the group's committed offset. */
const offsets = (kafka: KafkaClients, config: AmiConfig, groupId: string) =>
  groupOffsets(kafka, [config.topics.reads, config.topics.events], groupId);

function startArchiverProcess(env: NodeJS.ProcessEnv, children: ChildProcess[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/batch-layer/src/archiver/main.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

/** Count of each item (a multiset). */
function counts(items: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

const readContent = (r: ArchivedRead) => readVersionContent(readVersionOf(r));

/** Every key under `prefix`. */
async function listKeys(s3: ReturnType<typeof createS3>, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of listed.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Archived reads (`date|version content`) and quarantined reads (`reason|payload`) under a prefix. */
async function archivedReadsUnder(
  s3: ReturnType<typeof createS3>,
  bucket: string,
  prefix: string,
  cacheDir: string,
): Promise<{ reads: string[]; invalid: string[] }> {
  const cache = new S3ObjectCache({ s3, bucket, dir: cacheDir });
  const parsed = (await listKeys(s3, bucket, prefix)).map((key) => ({ key, o: parseArchiveObjectKey(key) }));
  const paths = async (dataset: string) =>
    Promise.all(
      parsed.filter((p) => p.o?.dataset === dataset && p.o.kind === 'reads').map((p) => cache.fetch(p.key)),
    );
  const db = await openDuckDB({ threads: 1 });
  try {
    const query = async (files: string[], select: string): Promise<Record<string, unknown>[]> =>
      files.length === 0
        ? []
        : withConnection(db, async (c) => {
            const r = await c.runAndReadAll(
              `SELECT ${select} FROM read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true)`,
            );
            return r.getRowObjectsJS();
          });
    const raw = await query(
      await paths('raw'),
      `date::VARCHAR AS date, meter_id, read_type, epoch_ms(interval_start) AS s, epoch_ms(read_ts) AS t,
       consumption_wh, delivered_wh, received_wh, estimated_flag, voltage_v, power_quality_code,
       service_point_id, customer_id, transformer_id, feeder_id`,
    );
    const reads = raw.map((r) => {
      const row: ArchivedRead = {
        meter_id: String(r.meter_id),
        read_type: r.read_type === 'DAILY' ? 'DAILY' : 'INTERVAL',
        interval_start_ms: Number(r.s),
        read_ts_ms: Number(r.t),
        consumption_wh: Number(r.consumption_wh),
        delivered_wh: Number(r.delivered_wh),
        received_wh: Number(r.received_wh),
        estimated_flag: r.estimated_flag === true,
        voltage_v: r.voltage_v === null ? null : Number(r.voltage_v),
        power_quality_code: r.power_quality_code === null ? null : Number(r.power_quality_code),
        service_point_id: String(r.service_point_id),
        customer_id: String(r.customer_id),
        transformer_id: String(r.transformer_id),
        feeder_id: String(r.feeder_id),
      };
      return `${String(r.date)}|${readContent(row)}`;
    });
    const q = await query(await paths('quarantine'), 'reason, payload');
    return { reads, invalid: q.map((r) => `${String(r.reason)}|${String(r.payload)}`) };
  } finally {
    db.closeSync();
  }
}

/** Expected archive of produced read messages, by the shared validator. */
function expectedReadsOf(messages: readonly Msg[], nowMs: number): { reads: string[]; invalid: string[] } {
  const reads: string[] = [];
  const invalid: string[] = [];
  for (const m of messages) {
    const v = validateRead(m.value, { nowMs, timeZone: TZ });
    if (v.ok) {
      const row = archivedRead(v.read);
      reads.push(`${localDate(row.interval_start_ms, TZ)}|${readContent(row)}`);
    } else invalid.push(`${v.reason}|${m.value}`);
  }
  return { reads, invalid };
}

/** Every expected item is archived at least as often as expected, and nothing else is archived. */
function expectNoneMissing(archived: readonly string[], expected: readonly string[]): void {
  const got = counts(archived);
  const want = counts(expected);
  const missing = [...want].filter(([k, n]) => (got.get(k) ?? 0) < n);
  expect(missing).toEqual([]);
  expect([...got.keys()].filter((k) => !want.has(k))).toEqual([]);
}

describe('archiver (real Kafka + MinIO + Redis)', () => {
  const base = integrationConfig();
  const s3 = createS3(base);
  const redis = createRedis(base, { connectionName: 'archiver-it' });
  const Bucket = base.connection.s3Bucket;
  const work = mkdtempSync(join(tmpdir(), 'ami-archiver-it-'));
  const prefixes: string[] = [];
  const dirtyKeys: string[] = [];
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const prefix of prefixes) {
      let token: string | undefined;
      do {
        const listed = await s3.send(
          new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token }),
        );
        const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
        token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
      } while (token);
    }
    for (const k of dirtyKeys) await redis.del(k);
    redis.disconnect();
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('archives every message exactly once across a SIGKILL, a takeover and a SIGTERM', async () => {
    const { id, overrides, config } = scenario();
    const groupId = overrides.AMI_ARCHIVER_GROUP_ID;
    prefixes.push(overrides.AMI_ARCHIVER_S3_PREFIX);
    dirtyKeys.push(dirtyDaysKey(id));
    const kafka = createKafka(config);
    await createTopics(kafka, config);

    const sim = await simulated();
    const manualEvents: Msg[] = [
      { key: 'MTR-000001', value: '{"meter_id":"MTR-000001","event_code":' },
      {
        key: 'MTR-000002',
        value: JSON.stringify({
          meter_id: 'MTR-000002',
          event_code: 9999,
          event_desc: 'x',
          event_ts: '2026-03-29T10:00:00Z',
        }),
      },
    ];
    const half = Math.floor(sim.reads.length / 2);
    const phase1 = {
      reads: sim.reads.slice(0, half),
      events: sim.events.slice(0, Math.floor(sim.events.length / 2)),
    };
    const phase2 = {
      reads: sim.reads.slice(half, sim.reads.length - 300),
      events: sim.events.slice(phase1.events.length),
    };
    const phase3 = { reads: sim.reads.slice(sim.reads.length - 300), events: manualEvents };
    expect(sim.reads.length).toBeGreaterThan(4000);
    expect(sim.events.length).toBeGreaterThan(8);
    const invalidReadFaults = sim.faults.filter((f) => f.reason !== 'UNKNOWN_METER');
    expect(invalidReadFaults.length).toBeGreaterThan(20);
    expect(new Set(invalidReadFaults.map((f) => f.reason)).size).toBeGreaterThanOrEqual(3);

    // --- phase 1, process A: flushes full buffers, then is killed holding the partial ones
    await produce(kafka, config.topics.reads, phase1.reads);
    await produce(kafka, config.topics.events, phase1.events);
    const env = {
      ...process.env,
      ...overrides,
      AMI_ARCHIVER_FLUSH_ROWS: String(FLUSH_ROWS),
      AMI_ARCHIVER_FLUSH_AGE_S: '3600',
    };
    const a = startArchiverProcess(env, children);
    const afterPhase1 = await offsets(kafka, config, groupId);
    const fullFlushes = (end: number) => Math.floor(end / FLUSH_ROWS) * FLUSH_ROWS;
    let unflushed = 0;
    for (const { end } of afterPhase1.values()) unflushed += end - fullFlushes(end);
    expect(unflushed).toBeGreaterThan(0);
    await waitFor('process A to commit every full buffer', async () => {
      for (const { end, committed } of (await offsets(kafka, config, groupId)).values()) {
        const want = fullFlushes(end);
        if ((want === 0 && end > 0 ? -1 : want) !== committed) return false;
      }
      return true;
    });
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    // --- phase 2, archiver B in-process: both triggers (rows, and age for the tails)
    await produce(kafka, config.topics.reads, phase2.reads);
    await produce(kafka, config.topics.events, phase2.events);
    const bDb = await openDuckDB({ threads: 1 });
    const b = new Archiver({
      kafka: createKafka(config),
      s3,
      redis,
      db: bDb,
      config,
      settings: loadArchiverSettings({
        ...overrides,
        AMI_ARCHIVER_FLUSH_ROWS: String(FLUSH_ROWS),
        AMI_ARCHIVER_FLUSH_AGE_S: '1',
      }),
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      logger: createLogger('archiver-it', { level: 'warn' }),
    });
    await b.start();
    await waitFor(
      'archiver B to commit everything',
      async () => [...(await offsets(kafka, config, groupId)).values()].every((o) => o.committed === o.end),
      120_000,
    );
    await b.stop();
    bDb.closeSync();
    expect(b.stats.failedFlushes).toBe(0);
    expect(b.stats.flushes).toBeGreaterThan(0);

    // --- phase 3, process C: nothing reaches a flush limit; SIGTERM must flush and commit
    await produce(kafka, config.topics.reads, phase3.reads);
    await produce(kafka, config.topics.events, phase3.events);
    const port = await freePort();
    const c = startArchiverProcess(
      {
        ...process.env,
        ...overrides,
        AMI_ARCHIVER_METRICS_PORT: String(port),
        AMI_ARCHIVER_FLUSH_AGE_S: '3600',
      },
      children,
    );
    const phase3Count = phase3.reads.length + phase3.events.length;
    await waitFor('process C to consume phase 3', async () => {
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        let n = 0;
        for (const m of text.matchAll(/^ami_archiver_messages_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
        return n >= phase3Count;
      } catch {
        return false;
      }
    });
    c.child.kill('SIGTERM');
    const cExit = await c.exited;
    expect(cExit.stderr).not.toMatch(/"level":50/);
    expect(cExit.code).toBe(0);
    for (const o of (await offsets(kafka, config, groupId)).values()) expect(o.committed).toBe(o.end);

    // --- read the archive back through the S3 object cache and DuckDB
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const listed = await s3.send(
        new ListObjectsV2Command({
          Bucket,
          Prefix: overrides.AMI_ARCHIVER_S3_PREFIX,
          ContinuationToken: token,
        }),
      );
      for (const o of listed.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
    } while (token);
    const parsed = keys.map((k) => ({ key: k, o: parseArchiveObjectKey(k) }));
    for (const p of parsed) {
      expect(p.o, p.key).toBeDefined();
      expect(p.o?.groupId).toBe(groupId);
    }
    // deterministic cuts: per partition the offset ranges of the files never overlap
    const ranges = new Map<string, [number, number][]>();
    for (const { o } of parsed) {
      if (!o) continue;
      const k = `${o.kind}:${o.partition}`;
      const list = ranges.get(k) ?? [];
      if (!list.some(([f]) => f === Number(o.firstOffset)))
        list.push([Number(o.firstOffset), Number(o.lastOffset)]);
      ranges.set(k, list);
    }
    for (const list of ranges.values()) {
      list.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < list.length; i++) expect(list[i]?.[0]).toBe((list[i - 1]?.[1] ?? 0) + 1);
    }

    const cache = new S3ObjectCache({ s3, bucket: Bucket, dir: join(work, id) });
    const files = (dataset: string, kind: string) =>
      Promise.all(
        parsed.filter((p) => p.o?.dataset === dataset && p.o.kind === kind).map((p) => cache.fetch(p.key)),
      );
    const db = await openDuckDB({ threads: 1 });
    const query = async (paths: string[], select: string): Promise<Record<string, unknown>[]> =>
      paths.length === 0
        ? []
        : withConnection(db, async (conn) => {
            const list = `[${paths.map(sqlPath).join(', ')}]`;
            const r = await conn.runAndReadAll(
              `SELECT ${select} FROM read_parquet(${list}, hive_partitioning = true, file_row_number = true) ORDER BY filename, file_row_number`,
            );
            return r.getRowObjectsJS();
          });

    // valid reads: exactly the produced messages that pass validation, each under its local date
    const nowMs = Date.now();
    const validation = { nowMs, timeZone: TZ };
    const produced = [...phase1.reads, ...phase2.reads, ...phase3.reads];
    expect(produced.length).toBe(sim.reads.length);
    const expectedReads: string[] = [];
    const expectedInvalidReads: string[] = [];
    // DAILY register reads also dirty the day before (they are its end register)
    const registerDayBefore = new Set<string>();
    for (const m of produced) {
      const v = validateRead(m.value, validation);
      if (v.ok) {
        const row = archivedRead(v.read);
        expectedReads.push(`${localDate(row.interval_start_ms, TZ)}|${readContent(row)}`);
        if (row.read_type === 'DAILY')
          registerDayBefore.add(addLocalDays(localDate(row.interval_start_ms, TZ), -1));
      } else expectedInvalidReads.push(`${v.reason}|${m.value}`);
    }
    // the simulator's own record of the invalid messages it made agrees
    expect(counts(expectedInvalidReads)).toEqual(
      counts(invalidReadFaults.map((f) => `${f.reason}|${f.message}`)),
    );
    expect(expectedReads.length).toBe(sim.reads.length - invalidReadFaults.length);

    const readRows = await query(
      await files('raw', 'reads'),
      `filename, date::VARCHAR AS date, meter_id, read_type, epoch_ms(interval_start) AS s, epoch_ms(read_ts) AS t,
       consumption_wh, delivered_wh, received_wh, estimated_flag, voltage_v, power_quality_code,
       service_point_id, customer_id, transformer_id, feeder_id`,
    );
    const archivedReads = readRows.map((r) => {
      const row: ArchivedRead = {
        meter_id: String(r.meter_id),
        read_type: r.read_type === 'DAILY' ? 'DAILY' : 'INTERVAL',
        interval_start_ms: Number(r.s),
        read_ts_ms: Number(r.t),
        consumption_wh: Number(r.consumption_wh),
        delivered_wh: Number(r.delivered_wh),
        received_wh: Number(r.received_wh),
        estimated_flag: r.estimated_flag === true,
        voltage_v: r.voltage_v === null ? null : Number(r.voltage_v),
        power_quality_code: r.power_quality_code === null ? null : Number(r.power_quality_code),
        service_point_id: String(r.service_point_id),
        customer_id: String(r.customer_id),
        transformer_id: String(r.transformer_id),
        feeder_id: String(r.feeder_id),
      };
      return { file: String(r.filename), date: String(r.date), row };
    });
    expect(counts(archivedReads.map((a) => `${a.date}|${readContent(a.row)}`))).toEqual(
      counts(expectedReads),
    );
    const perDate = (xs: string[]) => counts(xs.map((x) => x.slice(0, 10)));
    expect(perDate(expectedReads).get('2026-03-29')).toBeGreaterThan(24 * 90);
    // rows inside each file are sorted by (meter_id, interval_start, …)
    for (let i = 1; i < archivedReads.length; i++) {
      const prev = archivedReads[i - 1];
      const cur = archivedReads[i];
      if (prev && cur && prev.file === cur.file)
        expect(compareArchivedReads(prev.row, cur.row)).toBeLessThanOrEqual(0);
    }

    // valid events and quarantined events
    const producedEvents = [...phase1.events, ...phase2.events, ...phase3.events];
    const expectedEvents: string[] = [];
    const expectedInvalidEvents: string[] = [];
    for (const m of producedEvents) {
      const v = validateEvent(m.value, { nowMs, eventCodes: defaultEventCodeTable });
      if (v.ok) {
        const e = archivedEvent(v.event);
        expectedEvents.push(
          `${localDate(e.event_ts_ms, TZ)}|${e.meter_id}|${e.event_code}|${e.event_desc}|${e.event_ts_ms}`,
        );
      } else expectedInvalidEvents.push(`${v.reason}|${m.value}`);
    }
    expect(expectedInvalidEvents.map((x) => x.split('|')[0]).sort()).toEqual([
      'MALFORMED_JSON',
      'UNKNOWN_EVENT_CODE',
    ]);
    const eventRows = await query(
      await files('raw', 'events'),
      `filename, date::VARCHAR AS date, meter_id, event_code, event_desc, epoch_ms(event_ts) AS t`,
    );
    expect(
      counts(
        eventRows.map(
          (r) =>
            `${String(r.date)}|${String(r.meter_id)}|${String(r.event_code)}|${String(r.event_desc)}|${String(r.t)}`,
        ),
      ),
    ).toEqual(counts(expectedEvents));

    // quarantine: the raw text and the validator's reason, with the source partition and offset
    const quarantine = async (kind: string) =>
      query(
        await files('quarantine', kind),
        `date::VARCHAR AS date, payload, payload_encoding, reason, detail, source_topic, source_partition,
         source_offset, epoch_ms(received_at) AS received_at`,
      );
    const qReads = await quarantine('reads');
    expect(counts(qReads.map((r) => `${String(r.reason)}|${String(r.payload)}`))).toEqual(
      counts(expectedInvalidReads),
    );
    for (const r of qReads) {
      expect(r.source_topic).toBe(config.topics.reads);
      expect(r.payload_encoding).toBe('utf8');
      expect(String(r.detail).length).toBeGreaterThan(0);
      expect(r.date).toBe(localDate(Number(r.received_at), TZ));
      expect(Number(r.received_at)).toBeLessThanOrEqual(nowMs);
    }
    expect(new Set(qReads.map((r) => `${String(r.source_partition)}:${String(r.source_offset)}`)).size).toBe(
      qReads.length,
    );
    const qEvents = await quarantine('events');
    expect(counts(qEvents.map((r) => `${String(r.reason)}|${String(r.payload)}`))).toEqual(
      counts(expectedInvalidEvents),
    );

    // dirty-day marks: every local date that received valid data, the day before a DAILY register
    // read, the day after an event (an outage may still be open at its midnight)
    const dirtyDates = new Set([
      ...[...expectedReads, ...expectedEvents].map((x) => x.slice(0, 10)),
      ...registerDayBefore,
      ...expectedEvents.map((x) => addLocalDays(x.slice(0, 10), 1)),
    ]);
    const marked = await b.dirtyDays.listDirty();
    expect(marked.map((d) => d.date)).toEqual([...dirtyDates].sort());
    for (const d of marked) expect(d.markedAtMs).toBeGreaterThan(0);
    db.closeSync();
  });

  it('two archivers in one group: the rebalance drops unflushed buffers, which are consumed again; nothing is lost', async () => {
    const { id, overrides, config } = scenario();
    const groupId = overrides.AMI_ARCHIVER_GROUP_ID;
    prefixes.push(overrides.AMI_ARCHIVER_S3_PREFIX);
    dirtyKeys.push(dirtyDaysKey(id));
    const kafka = createKafka(config);
    await createTopics(kafka, config);
    const sim = await simulated(10, 1);
    await produce(kafka, config.topics.reads, sim.reads);
    await produce(kafka, config.topics.events, sim.events);
    const settings = loadArchiverSettings({
      ...overrides,
      AMI_ARCHIVER_FLUSH_ROWS: '100',
      AMI_ARCHIVER_FLUSH_AGE_S: '3600',
    });
    const make = (name: string) =>
      openDuckDB({ threads: 1 }).then(
        (db) =>
          new Archiver({
            kafka: createKafka(config, { logger: createLogger(name, { level: 'silent' }) }),
            s3,
            redis,
            db,
            config,
            settings,
            validation: loadValidationConfig({}),
            eventCodes: defaultEventCodeTable,
            logger: createLogger(name, { level: 'silent' }),
          }),
      );
    const covered = async (holders: readonly Archiver[]) => {
      const held = new Map<string, string>();
      for (const h of holders)
        for (const b of h.bufferedRanges()) held.set(`${b.topic}:${b.partition}`, b.lastOffset);
      for (const [key, o] of await offsets(kafka, config, groupId)) {
        if (o.committed !== o.end && held.get(key) !== String(o.end - 1)) return false;
      }
      return true;
    };

    const x = await make('archiver-x');
    await x.start();
    await waitFor('archiver X to consume everything', () => covered([x]));
    const tails = x.bufferedRanges();
    expect(tails.length).toBeGreaterThan(0);
    expect(x.stats.droppedBuffers).toBe(0);

    // Y joins: X gives up some partitions (their buffers are dropped, Y consumes them again from
    // the committed offsets) and keeps the others with their buffers.
    const y = await make('archiver-y');
    await y.start();
    await waitFor('X to rejoin with Y', () =>
      Promise.resolve(x.stats.rebalances >= 2 && y.stats.rebalances >= 1),
    );
    await waitFor('X and Y to consume everything', () => covered([x, y]));
    expect(y.stats.messages).toBeGreaterThan(0);
    // the partitions X gave up: their buffers were dropped
    expect(x.stats.droppedBuffers).toBeGreaterThan(0);
    // Y leaves (flushing and committing its partitions); X takes them all back, then stops.
    const joins = x.stats.rebalances;
    await y.stop();
    await waitFor('X to rejoin alone', () => Promise.resolve(x.stats.rebalances > joins));
    await waitFor('X to hold everything not committed', () => covered([x]));
    await x.stop();
    expect(x.stats.failedFlushes + y.stats.failedFlushes).toBe(0);

    const archived = await archivedReadsUnder(s3, Bucket, overrides.AMI_ARCHIVER_S3_PREFIX, join(work, id));
    const expected = expectedReadsOf(sim.reads, Date.now());
    expect(expected.invalid.length).toBeGreaterThan(0);
    expectNoneMissing(archived.reads, expected.reads);
    expectNoneMissing(archived.invalid, expected.invalid);
  });

  it('a failed flush drops the buffer and reads its messages again from its first offset; nothing is lost', async () => {
    const { id, overrides, config } = scenario();
    const groupId = overrides.AMI_ARCHIVER_GROUP_ID;
    prefixes.push(overrides.AMI_ARCHIVER_S3_PREFIX);
    dirtyKeys.push(dirtyDaysKey(id));
    const kafka = createKafka(config);
    await createTopics(kafka, config);
    const sim = await simulated(6, 1);
    await produce(kafka, config.topics.reads, sim.reads);
    await produce(kafka, config.topics.events, sim.events);
    // The first uploads fail (S3 unreachable), the later ones go through.
    let failures = 3;
    const send = s3.send.bind(s3);
    const flaky = new Proxy(s3, {
      get: (target, prop, receiver): unknown =>
        prop === 'send'
          ? (command: Parameters<typeof send>[0]) =>
              command instanceof PutObjectCommand && failures-- > 0
                ? Promise.reject(new Error('injected S3 failure'))
                : send(command)
          : Reflect.get(target, prop, receiver),
    });
    const db = await openDuckDB({ threads: 1 });
    const archiver = new Archiver({
      kafka: createKafka(config),
      s3: flaky,
      redis,
      db,
      config,
      settings: loadArchiverSettings({
        ...overrides,
        AMI_ARCHIVER_FLUSH_ROWS: '100',
        AMI_ARCHIVER_FLUSH_AGE_S: '1',
      }),
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      logger: createLogger('archiver-flaky', { level: 'silent' }),
    });
    await archiver.start();
    try {
      await waitFor('the archiver to commit everything', async () =>
        [...(await offsets(kafka, config, groupId)).values()].every((o) => o.committed === o.end),
      );
    } finally {
      await archiver.stop();
      db.closeSync();
    }
    expect(archiver.stats.failedFlushes).toBeGreaterThan(0);
    expect(archiver.stats.droppedBuffers).toBe(archiver.stats.failedFlushes);
    const archived = await archivedReadsUnder(s3, Bucket, overrides.AMI_ARCHIVER_S3_PREFIX, join(work, id));
    const expected = expectedReadsOf(sim.reads, Date.now());
    expectNoneMissing(archived.reads, expected.reads);
    expectNoneMissing(archived.invalid, expected.invalid);
  });
});
