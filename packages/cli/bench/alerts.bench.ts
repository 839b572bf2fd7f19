/**
 * `pnpm ami bench alerts [--quick]` — SPEC 9 "last gasp → outage alert on the SSE stream, p99 ≤ 1 s"
 * (bench/results/alerts.json), end to end through the real processes: the speed layer and the API
 * run as `pnpm ami up` runs them (lib/platform-run.ts: own topics, groups, keys and ports on the
 * shared local Kafka/Redis/MinIO). The bench follows GET /v1/alerts/stream with a dashboard key.
 *
 * One sample: the last gasps (code 3840, event_ts = now) of `AMI_ALERT_OUTAGE_MIN_METERS` meters of
 * a transformer not used before are produced to the events topic in one send; latency = the
 * TRANSFORMER_OUTAGE `opened` event of that transformer arriving on the SSE stream − the moment the
 * send was called. Samples are sent open-loop every `SPACING_MS`; one that never arrives counts as
 * infinitely late (lib/latency.ts).
 * Bound, same topic, same run: a plain @platformatic/kafka consumer (own group, in this process,
 * through openStream + pumpBatches) records when
 * each sample's messages arrive → kafka_produce_consume_p99_ms.
 *
 * Two phases, each with its own transformers:
 *  1. idle: no other traffic → outage_alert_p99_ms (a fleet of this size sends ~10 reads/s live, so
 *     this is the platform's normal state on the development machine);
 *  2. loaded: the simulator replays history of the same fleet at 20,000 reads/s (SPEC 9's
 *     freshness rate) at the same time → outage_alert_loaded_p99_ms. Replayed history passes
 *     15-minute windows thousands of times faster than live data, so the alert engine evaluates
 *     windows far more often than it would live: a pessimistic figure.
 * Full: 10,000 meters, 200 samples per phase 500 ms apart; quick: 1,500 meters, 15 samples.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchResult } from '@ami/shared/bench';
import {
  committedOffsets,
  openStream,
  pumpBatches,
  sendMessages,
  topicOffsets,
  type KafkaAdmin,
  type KafkaProducer,
} from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { loadAlertRules } from '@ami/shared/domain';
import { addLocalDays, formatIsoOffset, localDate } from '@ami/shared/time';
import { buildCalendar, buildFleet, topologyJsonl, type Fleet } from '@ami/simulator';
import { eventMessage } from '@ami/simulator';
import { behindTarget, endOffsets } from '../src/platform/offsets.ts';
import { summarizeLatencies, type LatencySummary } from './lib/latency.ts';
import { REPO_ROOT, runId, startPlatformRun, type PlatformRun } from './lib/platform-run.ts';
import { openSseStream } from './lib/sse.ts';

const quick = process.argv.includes('--quick');
const METERS = quick ? 1_500 : 10_000;
const SAMPLES = quick ? 15 : 200;
const WARMUP = 3;
const SPACING_MS = quick ? 300 : 500;
const LOAD_RATE = 20_000;
const PARTITIONS = 6;
const SEED = 9;
const LAST_GASP = 3840;
const log = (m: string) => process.stderr.write(`[bench alerts] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  readonly transformerId: string;
  readonly meters: readonly string[];
  sentAt: number;
  alertAt?: number;
  readonly consumedAt: Map<string, number>;
}

interface PhaseResult {
  readonly alert: LatencySummary;
  readonly bound: LatencySummary;
}

class OutageSampler {
  private readonly byTransformer = new Map<string, Sample>();
  private readonly byMeter = new Map<string, Sample>();
  private readonly producer: KafkaProducer;

  constructor(
    private readonly run: PlatformRun,
    private readonly timeZone: string,
  ) {
    // connects on its first send
    this.producer = run.kafka.producer();
  }

  onAlert(transformerId: string, atMs: number): void {
    const s = this.byTransformer.get(transformerId);
    if (s !== undefined && s.alertAt === undefined) s.alertAt = atMs;
  }

  onConsumed(meterId: string, atMs: number): void {
    const s = this.byMeter.get(meterId);
    if (s !== undefined && !s.consumedAt.has(meterId)) s.consumedAt.set(meterId, atMs);
  }

  /** Sends `samples.length` outages open-loop, then waits (≤ 30 s) for the stragglers. */
  async runPhase(samples: Sample[]): Promise<PhaseResult> {
    for (const s of samples) {
      this.byTransformer.set(s.transformerId, s);
      for (const m of s.meters) this.byMeter.set(m, s);
    }
    const t0 = performance.now();
    for (let i = 0; i < samples.length; i++) {
      const wait = t0 + i * SPACING_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const s = samples[i]!;
      const eventTs = formatIsoOffset(Date.now(), this.timeZone);
      const messages = s.meters.map((m) => ({
        key: m,
        value: eventMessage(m, LAST_GASP, 'Power outage (last gasp)', eventTs),
      }));
      s.sentAt = performance.now();
      // not awaited: the next sample goes out on schedule whatever this one's ack takes
      void sendMessages(this.producer, this.run.config.topics.events, messages).catch((err: unknown) => {
        log(`send failed: ${String(err)}`);
      });
    }
    const deadline = performance.now() + 30_000;
    const complete = (s: Sample) => s.alertAt !== undefined && s.consumedAt.size === s.meters.length;
    while (performance.now() < deadline && !samples.every(complete)) await sleep(100);
    const kept = samples.slice(WARMUP);
    return {
      alert: summarizeLatencies(
        kept.map((s) => (s.alertAt === undefined ? undefined : s.alertAt - s.sentAt)),
      ),
      bound: summarizeLatencies(
        kept.map((s) =>
          s.consumedAt.size === s.meters.length ? Math.max(...s.consumedAt.values()) - s.sentAt : undefined,
        ),
      ),
    };
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

/** `count` samples, each on its own transformer of `fleet` from index `from` on. */
function samplesOf(fleet: Fleet, from: number, count: number, gasps: number): Sample[] {
  const txs = fleet.transformers.slice(from, from + count);
  if (txs.length < count)
    throw new Error(`fleet has ${fleet.transformers.length} transformers, need ${from + count}`);
  return txs.map((t) => ({
    transformerId: t.transformerId,
    meters: t.meters.slice(0, gasps).map((i) => fleet.meters[i]!.meterId),
    sentAt: 0,
    consumedAt: new Map(),
  }));
}

async function main(): Promise<void> {
  const base = loadConfig();
  const tz = base.connection.timeZone;
  const rules = loadAlertRules();
  const gasps = rules.outageMinMeters;
  // history the loaded phase replays: enough days for the phase at LOAD_RATE, ending yesterday
  const loadSeconds = (WARMUP + SAMPLES) * (SPACING_MS / 1000) + 40;
  const days = Math.ceil((LOAD_RATE * loadSeconds) / (METERS * 97)) + 1;
  const start = addLocalDays(localDate(Date.now(), tz), -(days + 1));
  const fleet = buildFleet(SEED, METERS, buildCalendar(start, 1, tz).startMs);
  if (fleet.transformers.some((t) => t.meters.length < gasps))
    throw new Error(`a transformer has fewer than ${gasps} meters`);
  const work = mkdtempSync(join(tmpdir(), 'ami-bench-alerts-'));
  const id = runId('balrt');
  log(
    `starting speed layer and API (run ${id}, ${METERS} meters, ${fleet.transformers.length} transformers)`,
  );
  const run = await startPlatformRun({
    id,
    processes: ['speed-layer', 'api'],
    partitions: PARTITIONS,
    topologyJsonl: topologyJsonl(fleet),
    workDir: work,
    logDir: join(REPO_ROOT, 'test-artifacts', 'bench-alerts-logs'),
    extraEnv: { LOG_LEVEL: 'warn' },
  });
  const sampler = new OutageSampler(run, tz);
  const bound = run.kafka.consumer({ groupId: `${id}-bound` });
  const boundStop = new AbortController();
  let boundPump: Promise<void> | undefined;
  let sim: ChildProcess | undefined;
  const admin = run.kafka.admin();
  try {
    const boundStream = await openStream(bound, { topics: [run.config.topics.events], fallback: 'earliest' });
    boundPump = pumpBatches(
      boundStream,
      async (batches) => {
        const at = performance.now();
        for (const b of batches)
          for (const m of b.records) {
            const meter = /"meter_id":"([^"]+)"/.exec(m.value?.toString() ?? '')?.[1];
            if (meter !== undefined) sampler.onConsumed(meter, at);
          }
        await Promise.resolve();
      },
      { maxRecords: 4096, signal: boundStop.signal },
    )
      .catch((err: unknown) => {
        log(`bound consumer failed: ${String(err)}`);
      })
      .finally(() => boundStream.close().catch(() => undefined));
    const stream = await openSseStream(`${run.apiUrl}/v1/alerts/stream`, run.keyOf('dashboard'), (b, at) => {
      if (b.event !== 'opened' || b.data === undefined) return;
      const alert = JSON.parse(b.data) as { type?: string; entity_id?: string };
      if (alert.type === 'TRANSFORMER_OUTAGE' && alert.entity_id !== undefined)
        sampler.onAlert(alert.entity_id, at);
    });
    // both consumer groups joined and assigned before the first sample
    await waitForStableGroup(admin, run.groups['speed-layer']!);
    await waitForStableGroup(admin, `${id}-bound`);

    const n = WARMUP + SAMPLES;
    log(`idle phase: ${SAMPLES} outages, one every ${SPACING_MS} ms`);
    const idle = await sampler.runPhase(samplesOf(fleet, 0, n, gasps));
    log(
      `idle: alert p99 ${idle.alert.p99?.toFixed(1)} ms, Kafka bound p99 ${idle.bound.p99?.toFixed(1)} ms, missing ${idle.alert.missing}`,
    );

    log(`loaded phase: simulator replaying ${days} days of history at ${LOAD_RATE} reads/s`);
    sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/simulator/src/main.ts',
        ...['--to', 'kafka', '--meters', String(METERS), '--days', String(days), '--start', start],
        ...['--seed', String(SEED), '--rate', String(LOAD_RATE)],
      ],
      { cwd: REPO_ROOT, env: { ...run.env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let simErr = '';
    sim.stderr?.on('data', (b: Buffer) => (simErr = (simErr + b.toString()).slice(-2000)));
    sim.once('exit', (code, signal) => {
      if (code !== 0 && signal === null) log(`simulator exited ${code}: ${simErr}`);
    });
    const readsTopic = run.config.topics.reads;
    const speedGroup = run.groups['speed-layer']!;
    await waitForReads(admin, readsTopic, LOAD_RATE * 5);
    const loadT0 = performance.now();
    const committed0 = await committedSum(admin, speedGroup, readsTopic);
    const produced0 = await endSum(admin, readsTopic);
    let lagMax = 0n;
    let sampling = true;
    const lagSampler = (async () => {
      while (sampling) {
        const lag = await behindTarget(admin, speedGroup, await endOffsets(admin, [readsTopic]));
        if (lag > lagMax) lagMax = lag;
        await sleep(1000);
      }
    })();
    const loaded = await sampler.runPhase(samplesOf(fleet, n, n, gasps));
    sampling = false;
    await lagSampler;
    const loadS = (performance.now() - loadT0) / 1000;
    const consumed = (await committedSum(admin, speedGroup, readsTopic)) - committed0;
    const produced = (await endSum(admin, readsTopic)) - produced0;
    sim.kill('SIGTERM');
    log(
      `loaded: alert p99 ${loaded.alert.p99?.toFixed(1)} ms, Kafka bound p99 ${loaded.bound.p99?.toFixed(1)} ms, missing ${loaded.alert.missing}`,
    );
    stream.close();
    await stream.ended;

    const ratio = (a: number | null, b: number | null) =>
      a !== null && b !== null && b > 0 ? Number((a / b).toFixed(2)) : null;
    const ms = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    writeBenchResult('alerts', {
      outage_alert_p99_ms: ms(idle.alert.p99),
      outage_alert_p50_ms: ms(idle.alert.p50),
      outage_alert_max_ms: ms(idle.alert.max),
      outage_alert_samples: idle.alert.samples,
      outage_alert_missing: idle.alert.missing,
      kafka_produce_consume_p99_ms: ms(idle.bound.p99),
      kafka_produce_consume_p50_ms: ms(idle.bound.p50),
      ratio_to_bound: ratio(idle.alert.p99, idle.bound.p99),
      outage_alert_loaded_p99_ms: ms(loaded.alert.p99),
      outage_alert_loaded_p50_ms: ms(loaded.alert.p50),
      outage_alert_loaded_max_ms: ms(loaded.alert.max),
      outage_alert_loaded_missing: loaded.alert.missing,
      loaded_kafka_produce_consume_p99_ms: ms(loaded.bound.p99),
      loaded_offered_reads_per_s: LOAD_RATE,
      loaded_produced_reads_per_s: Math.round(Number(produced) / loadS),
      loaded_speed_consumed_reads_per_s: Math.round(Number(consumed) / loadS),
      loaded_speed_lag_max: Number(lagMax),
      gasps_per_outage: gasps,
      spacing_ms: SPACING_MS,
      meters: METERS,
      transformers: fleet.transformers.length,
      partitions: PARTITIONS,
      quick,
    });
  } finally {
    sim?.kill('SIGTERM');
    boundStop.abort();
    await boundPump;
    await bound.close().catch(() => undefined);
    await sampler.close().catch(() => undefined);
    await admin.deleteGroups({ groups: [`${id}-bound`] }).catch(() => undefined);
    await admin.close().catch(() => undefined);
    await run.stop();
    await run.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

type Admin = KafkaAdmin;

async function waitForStableGroup(admin: Admin, groupId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const g = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
    if (g?.state === 'Stable' && g.members.size > 0) return;
    if (Date.now() > deadline) throw new Error(`consumer group ${groupId} not stable after 120 s`);
    await sleep(500);
  }
}

async function endSum(admin: Admin, topic: string): Promise<bigint> {
  return (await topicOffsets(admin, topic)).reduce((s, p) => s + p.high, 0n);
}

async function committedSum(admin: Admin, groupId: string, topic: string): Promise<bigint> {
  const committed = await committedOffsets(admin, groupId, topic);
  return [...committed.values()].reduce((s, o) => s + (o > 0n ? o : 0n), 0n);
}

/** Waits until `n` reads are in the topic (the simulator is up and producing). */
async function waitForReads(admin: Admin, topic: string, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await endSum(admin, topic)) < BigInt(n)) {
    if (Date.now() > deadline) throw new Error(`the simulator produced fewer than ${n} reads in 120 s`);
    await sleep(250);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
