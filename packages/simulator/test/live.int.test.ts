/**
 * Live mode end to end against the real Kafka and MinIO: the CLI as a child process (as `ami up`
 * runs it) with a day of history, a paced day at a large speedup, an outage taken through the
 * control server, and a SIGTERM stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, createS3, withAdmin, type KafkaClients } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { buildTopologyIndex, validateEvent, validateRead, type TopologyRow } from '@ami/shared/contracts';
import { addLocalDays, localDate, localDayBounds, parseIsoInstant } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import type { OutageResponse, SimStatus } from '../src/index.ts';
import { consumeAll } from './kafka-support.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const MIN = 60_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('live mode (real Kafka, child process)', () => {
  let config: AmiConfig;
  let kafka: KafkaClients;
  const readsTopic = uniqueName('it.sim-live.reads');
  const eventsTopic = uniqueName('it.sim-live.events');
  const bucket = uniqueName('it-sim-live').toLowerCase();
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    config = integrationConfig({ S3_BUCKET: bucket });
    kafka = createKafka(config, { component: 'sim-live-it' });
    const s3 = createS3(config);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      s3.destroy();
    }
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [readsTopic, eventsTopic] })).catch(
      () => undefined,
    );
    const s3 = createS3(config);
    try {
      const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const o of list.Contents ?? [])
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    } finally {
      s3.destroy();
    }
  });

  it('never produces ahead of the clock, takes a transformer down on request, stops cleanly on SIGTERM', async () => {
    const tz = config.connection.timeZone;
    const today = localDate(Date.now(), tz);
    // paced from yesterday, so a whole paced day lies ahead of the wall clock at any time of day
    const pacedFrom = addLocalDays(today, -1);
    const dir = mkdtempSync(join(tmpdir(), 'sim-live-it-'));
    const topologyFile = join(dir, 'topology.jsonl');
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/simulator/src/main.ts',
        '--to',
        'kafka',
        '--live',
        '--meters',
        '50',
        '--seed',
        '5',
        '--start',
        addLocalDays(today, -2),
        '--paced-from',
        pacedFrom,
        '--speedup',
        '7200',
        '--control-port',
        '0',
        '--metrics-port',
        '0',
        '--topology-out',
        topologyFile,
      ],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          ...inject('infraEnv'),
          AMI_TOPIC_READS: readsTopic,
          AMI_TOPIC_EVENTS: eventsTopic,
          S3_BUCKET: bucket,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

    const control = await until('the control URL', () =>
      Promise.resolve(/ami sim: control (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1]),
    );
    const metricsUrl = await until('the metrics URL', () =>
      Promise.resolve(/ami sim: metrics (http:\/\/\S+)/.exec(stderr)?.[1]),
    );
    const status = async (): Promise<SimStatus> =>
      (await (await fetch(`${control}/status`)).json()) as SimStatus;
    const pacedFromMs = localDayBounds(pacedFrom, tz).startMs;
    await until('the paced day', async () => {
      const s = await status();
      return parseIsoInstant(s.sim_clock) >= pacedFromMs + 60 * MIN ? s : undefined;
    });

    const res = await fetch(`${control}/faults/outage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transformer_id: 'TX-00002', minutes: 30 }),
    });
    expect(res.status).toBe(202);
    const outage = (await res.json()) as OutageResponse;
    const fromMs = parseIsoInstant(outage.from);
    const toMs = parseIsoInstant(outage.to);
    expect(toMs - fromMs).toBe(30 * MIN);
    // the simulated clock passes the restores (≤ 30 s after the end) and the reads of the next interval
    await until('the end of the outage', async () => {
      const s = await status();
      return parseIsoInstant(s.sim_clock) > toMs + 40 * MIN ? s : undefined;
    });
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/^ami_sim_clock_seconds\{service="simulator"\} \d/m);
    expect(metrics).toMatch(/^ami_sim_reads_produced_total\{service="simulator"\} [1-9]/m);
    expect(metrics).toMatch(/^ami_sim_lag_seconds/m);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: stopping');
    const done = /ami sim: (\d+) reads \(\d+ interval, \d+ daily\), (\d+) events/.exec(stderr);
    if (done === null) throw new Error(`no summary line in:\n${stderr}`);
    const [readCount, eventCount] = [Number(done[1]), Number(done[2])];

    const topology = readFileSync(topologyFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TopologyRow);
    expect(topology).toHaveLength(50);
    const txMeters = new Set(topology.filter((r) => r.transformer_id === 'TX-00002').map((r) => r.meter_id));
    expect(new Set(outage.meter_ids)).toEqual(txMeters);
    const index = buildTopologyIndex(topology);

    const reads = await consumeAll(kafka, readsTopic, readCount);
    const events = await consumeAll(kafka, eventsTopic, eventCount);
    expect(reads).toHaveLength(readCount);
    expect(events).toHaveLength(eventCount);

    // Validated as the platform does at the moment each record was sent (its CreateTime), every
    // message passes — no timestamp ahead of the clock — and, stricter, none is later than that moment.
    for (const r of reads) {
      const v = validateRead(r.value, { nowMs: r.timestamp, timeZone: tz });
      if (!v.ok) throw new Error(`${v.reason}: ${v.detail} in ${r.value}`);
      expect(parseIsoInstant(v.read.read_ts)).toBeLessThanOrEqual(r.timestamp);
      expect(index.meterAt(v.read.meter_id, parseIsoInstant(v.read.interval_start))).toBeDefined();
    }
    const gasps: { meter: string; ts: number }[] = [];
    const restores = new Set<string>();
    for (const e of events) {
      const v = validateEvent(e.value, { nowMs: e.timestamp, eventCodes: defaultEventCodeTable });
      if (!v.ok) throw new Error(`${v.reason}: ${v.detail} in ${e.value}`);
      expect(v.event.eventTsMs).toBeLessThanOrEqual(e.timestamp);
      if (v.event.event_code === 3840) gasps.push({ meter: v.event.meter_id, ts: v.event.eventTsMs });
      if (v.event.event_code === 3843) restores.add(v.event.meter_id);
    }
    // last gasps from exactly the transformer's meters, within 5 s of the outage's start
    expect(gasps.map((g) => g.meter).sort()).toEqual([...txMeters].sort());
    for (const g of gasps) {
      expect(g.ts - fromMs).toBeGreaterThanOrEqual(0);
      expect(g.ts - fromMs).toBeLessThan(5000);
    }
    expect(restores).toEqual(txMeters);

    // no interval reads from those meters for the intervals the outage touches; the others report
    const firstMs = parseIsoInstant(outage.first_interval_start);
    const inOutage = (ms: number): boolean => ms >= firstMs && ms < firstMs + outage.intervals * 15 * MIN;
    const outReads = reads
      .map((r) => JSON.parse(r.value) as { meter_id: string; read_type: string; interval_start: string })
      .filter((r) => r.read_type === 'INTERVAL' && inOutage(parseIsoInstant(r.interval_start)));
    expect(outReads.filter((r) => txMeters.has(r.meter_id))).toHaveLength(0);
    expect(outReads).toHaveLength((50 - txMeters.size) * outage.intervals);
  });
});
