/**
 * Message fuzzing through the REAL speed layer and archiver (SPEC 3, 4, 5): hostile reads and events
 * (support/messages.ts: broken JSON, wrong types, prototype-pollution keys, injection strings, NUL
 * and lone surrogates, non-finite and huge numbers, impossible / misaligned / future / ancient
 * timestamps, deep nesting, duplicated keys, oversized payloads, binary garbage, tombstones, null
 * and hostile keys) mixed with valid reads of a known fleet, produced to an isolated topic set on
 * the shared Kafka, each to a known partition and offset. Both processes run as children
 * (`src/main.ts`, as `ami up` runs them). Then:
 *
 *  1. neither crashed nor logged an error, and both still consume (a second, valid batch is applied
 *     and archived) and stop cleanly on SIGTERM;
 *  2. the speed layer dead-lettered exactly the messages the contract rejects — one DLQ record per
 *     source offset, with the validators' reason code, the original bytes and a valid record schema;
 *  3. its metrics add up exactly: messages in = dead-lettered + applied + registers + beyond
 *     retention (the late-dropped), with the dead-lettered and register counts equal to the model's;
 *  4. the realtime view holds exactly the latest-wins value of every valid recent read and nothing
 *     else, per meter and per transformer window (no double counting);
 *  5. the archiver quarantined exactly the rejected messages (reason, bytes, source offset) and
 *     archived exactly the valid ones, and its metrics agree with what is in S3.
 *
 * The expectation of each message comes from the shared validators and the topology (the one
 * definition of validity), evaluated in the test on the bytes that were produced.
 * Seeded: FUZZ_SEED (default support/seed.ts); every failure message starts with it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  S3ObjectCache,
  createKafka,
  createRedis,
  createS3,
  createTopics,
  withAdmin,
} from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  buildTopologyIndex,
  checkKnownMeter,
  dlqPayloadBytes,
  pickLatest,
  validateDlqRecord,
  validateEvent,
  validateRead,
  type DlqRecord,
  type ReasonCode,
  type ValidIntervalRead,
} from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { partitionForKey, partitionOfMeter } from '@ami/shared/partitioner';
import { intervalIndexInLocalDay, localDate } from '@ami/shared/time';
import { readGridDay, readMeterDay, toApplyRead } from '@ami/speed-layer/testing';
import { ARCHIVER_MAIN, parseArchiveObjectKey } from '@ami/batch-layer';
import { clearDirtyDays } from '@ami/batch-layer/commands';
import { buildFleet, topologyJsonl, topologyRows } from '@ami/simulator';
import { behindTarget, endOffsets } from '@ami/cli/platform';
import { uniqueName } from '../support/config.ts';
import { freePort, isolatedPlatformEnv, platformTopics } from '../support/platform.ts';
import {
  errorLines,
  listKeys,
  metricSum,
  produceAt,
  queryParquet,
  readWholeTopic,
  scrape,
  startProcess,
  type ChildRun,
  type Produced,
  type Sample,
} from './support/io.ts';
import { until } from '../support/poll.ts';
import {
  describe as describeMessage,
  hostileEventArb,
  hostileReadArb,
  validEventArb,
  validReadArb,
  type FuzzContext,
  type FuzzMessage,
} from './support/messages.ts';
import { fuzzRuns, fuzzSeed, replayHint } from './support/seed.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const LOG_DIR = join(ROOT, 'test-artifacts', 'fuzz-logs');
const TZ = 'Europe/Stockholm';
const PARTITIONS = 3;
const SEED = fuzzSeed();
const HINT = replayHint(SEED);
const READS = fuzzRuns(600);
const EVENTS = fuzzRuns(200);

/** One produced message and what the model says of it. */
interface Sent {
  readonly m: FuzzMessage;
  readonly at: Produced;
  /** Reason the speed layer must dead-letter it with (undefined = must not). */
  readonly speedReason: ReasonCode | undefined;
  /** The speed layer may dead-letter it as OUT_OF_RANGE (a valid read its slot layout cannot hold). */
  readonly speedMayReject: boolean;
  /** Reason the archiver must quarantine it with (undefined = archived as valid). */
  readonly archiveReason: ReasonCode | undefined;
  readonly validRead?: ReturnType<typeof validateRead> & { ok: true };
}

const sourceId = (partition: number, offset: string) => `${partition}@${offset}`;

/** The reason codes docs/reason-codes.md documents (its first table). */
const DOCUMENTED_REASONS = new Set(
  [...readFileSync(join(ROOT, 'docs', 'reason-codes.md'), 'utf8').matchAll(/^\| `([A-Z_]+)` \|/gm)].map(
    (m) => m[1],
  ),
);

describe(`hostile messages through the real speed layer and archiver (${HINT})`, () => {
  const id = uniqueName('fuzz');
  const work = mkdtempSync(join(tmpdir(), 'ami-fuzz-'));
  const nowMs = Date.now();
  const fleet = buildFleet(SEED, 12, Date.UTC(2001, 0, 1));
  const topology = topologyRows(fleet);
  const topologyIndex = buildTopologyIndex(topology);
  const ctx: FuzzContext = {
    nowMs,
    timeZone: TZ,
    meters: topology,
    eventCodes: defaultEventCodeTable.codes.map((c) => c.code),
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  };
  let env: Record<string, string>;
  const config = () => loadConfig({ ...process.env, ...env });
  let speed: ChildRun;
  let archiver: ChildRun;
  let speedPort: number;
  let archiverPort: number;
  const reads: Sent[] = [];
  const events: Sent[] = [];
  let speedDlq: DlqRecord[] = [];
  let speedMetrics: Sample[] = [];
  let archiverMetrics: Sample[] = [];
  let alive = { speed: false, archiver: false };
  const stopped: Record<string, { code: number | null; signal: string | null }> = {};
  let eventsDlq: DlqRecord[] = [];
  const redis = () => createRedis(config(), { connectionName: 'fuzz-it' });
  let r: ReturnType<typeof redis>;
  let s3: ReturnType<typeof createS3>;

  /** Where a message goes: its key's partition (murmur2, the Java client's rule), or round robin without a key. */
  const partitionOf = (m: FuzzMessage & { partition?: number }, i: number) =>
    m.partition ?? (m.key === null ? i % PARTITIONS : partitionForKey(m.key, PARTITIONS));

  /**
   * Cases every seed includes: a fetch's worth of 16 KB invalid reads that JSON-escape sixfold
   * (their DLQ records together pass Kafka's message limit), a 900 KB read of quotes and
   * backslashes, a valid read sent twice — keyed by its meter, then without a key and with another
   * meter's key (other partitions) — and a tombstone.
   */
  function fixedReads(): (FuzzMessage & { partition?: number })[] {
    const meter = topology[0]!;
    const other = topology.find(
      (t) => partitionOfMeter(t.meter_id, PARTITIONS) !== partitionOfMeter(meter.meter_id, PARTITIONS),
    )!;
    const valid = fc.sample(validReadArb({ ...ctx, meters: [meter] }), { seed: SEED + 4, numRuns: 1 })[0]!;
    const owner = partitionOfMeter(meter.meter_id, PARTITIONS);
    const flood = Array.from({ length: 48 }, (_, i): FuzzMessage => ({
      kind: 'fixed:dlq-flood',
      key: Buffer.from(meter.meter_id),
      value: Buffer.from(`{"meter_id":"${i}${'\u0001'.repeat(DEFAULT_MAX_MESSAGE_BYTES - 40)}"}`),
      expect: { kind: 'rejected', reasons: ['MALFORMED_JSON'] },
    }));
    return [
      ...flood,
      {
        kind: 'fixed:huge-escapes',
        key: null,
        value: Buffer.from(`{"x":"${'"\\'.repeat(450_000)}"}`),
        expect: { kind: 'rejected', reasons: ['MESSAGE_TOO_LARGE'] },
      },
      { ...valid, kind: 'fixed:keyed' },
      // explicit partitions below: partitionOf() sends a null key round robin, so pick one that is not the owner
      { ...valid, kind: 'fixed:misrouted-null-key', key: null, partition: (owner + 1) % PARTITIONS },
      { ...valid, kind: 'fixed:misrouted-other-key', key: Buffer.from(other.meter_id) },
      {
        kind: 'fixed:tombstone',
        key: null,
        value: null,
        expect: { kind: 'rejected', reasons: ['MALFORMED_JSON'] },
      },
    ];
  }

  function modelRead(m: FuzzMessage, at: Produced): Sent {
    const v = validateRead(m.value, { nowMs, timeZone: TZ });
    if (!v.ok) return { m, at, speedReason: v.reason, speedMayReject: false, archiveReason: v.reason };
    let speedReason: ReasonCode | undefined;
    let speedMayReject = false;
    if (v.read.read_type === 'INTERVAL') {
      const known = checkKnownMeter(v.read, topologyIndex);
      if (!known.ok) speedReason = 'UNKNOWN_METER';
      else if (partitionOfMeter(v.read.meter_id, PARTITIONS) !== at.partition)
        speedReason = 'WRONG_PARTITION';
      else {
        try {
          toApplyRead(
            v.read,
            at.offset,
            { transformerId: 'T', feederId: 'F', substationId: 'S', region: 'R' },
            { keyPrefix: 'x', partition: at.partition, timeZone: TZ },
          );
        } catch {
          speedMayReject = true;
        }
      }
    }
    return { m, at, speedReason, speedMayReject, archiveReason: undefined, validRead: v };
  }

  function modelEvent(m: FuzzMessage, at: Produced): Sent {
    const v = validateEvent(m.value, { nowMs, eventCodes: defaultEventCodeTable });
    const reason = v.ok ? undefined : v.reason;
    return { m, at, speedReason: reason, speedMayReject: false, archiveReason: reason };
  }

  async function produceAll(
    readMsgs: (FuzzMessage & { partition?: number })[],
    eventMsgs: FuzzMessage[],
  ): Promise<void> {
    const kafka = createKafka(config());
    const producer = kafka.producer();
    try {
      const t = config().topics;
      const rAt = await produceAt(
        producer,
        t.reads,
        readMsgs.map((m, i) => ({ key: m.key, value: m.value, partition: partitionOf(m, i) })),
      );
      readMsgs.forEach((m, i) => reads.push(modelRead(m, rAt[i]!)));
      const eAt = await produceAt(
        producer,
        t.events,
        eventMsgs.map((m, i) => ({ key: m.key, value: m.value, partition: partitionOf(m, i) })),
      );
      eventMsgs.forEach((m, i) => events.push(modelEvent(m, eAt[i]!)));
    } finally {
      await producer.close();
    }
  }

  /** The last lines the processes logged (for failure messages). */
  const logTails = () =>
    [speed, archiver]
      .map(
        (p) =>
          `--- ${p.name} (alive ${p.alive()}):\n${p.stderr().split('\n').slice(-8).join('\n').slice(-3000)}`,
      )
      .join('\n');

  /** Both groups have committed everything produced so far. */
  async function waitConsumed(): Promise<void> {
    const kafka = createKafka(config());
    const admin = kafka.admin();
    try {
      const t = config().topics;
      const target = await endOffsets(admin, [t.reads, t.events]);
      for (const group of [env.AMI_SPEED_GROUP_ID!, env.AMI_ARCHIVER_GROUP_ID!])
        await until(
          `${group} to commit every message (${HINT})`,
          async () => {
            if (!speed.alive() || !archiver.alive())
              throw new Error(`${HINT}: a process died\n${logTails()}`);
            return (await behindTarget(admin, group, target)) === 0n ? true : undefined;
          },
          240_000,
          { everyMs: 1000 },
        ).catch((err: unknown) => {
          throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logTails()}`);
        });
    } finally {
      await admin.close();
    }
  }

  beforeAll(async () => {
    speedPort = await freePort();
    archiverPort = await freePort();
    const topologyFile = join(work, 'topology.jsonl');
    writeFileSync(topologyFile, topologyJsonl(fleet));
    env = {
      ...inject('infraEnv'),
      ...isolatedPlatformEnv(id, PARTITIONS),
      AMI_TIMEZONE: TZ,
      AMI_TOPOLOGY_FILE: topologyFile,
      AMI_SPEED_METRICS_PORT: String(speedPort),
      AMI_SPEED_CHUNK_MESSAGES: '64',
      AMI_ARCHIVER_METRICS_PORT: String(archiverPort),
      AMI_ARCHIVER_FLUSH_AGE_S: '1',
      AMI_ARCHIVER_FLUSH_ROWS: '150',
      LOG_LEVEL: 'warn',
    };
    r = redis();
    s3 = createS3(config());
    await withAdmin(createKafka(config()), (admin) => createTopics(admin, platformTopics(env)));

    const childEnv = { ...process.env, ...env };
    speed = startProcess('speed-layer', 'packages/speed-layer/src/main.ts', ROOT, childEnv);
    archiver = startProcess('archiver', ARCHIVER_MAIN, ROOT, childEnv);

    // phase 1: hostile and valid messages, interleaved
    const readMsgs = fc.sample(
      fc.oneof({ weight: 2, arbitrary: hostileReadArb(ctx) }, { weight: 1, arbitrary: validReadArb(ctx) }),
      { seed: SEED, numRuns: READS },
    );
    const eventMsgs = fc.sample(
      fc.oneof(
        { weight: 2, arbitrary: hostileEventArb(ctx) },
        { weight: 1, arbitrary: validEventArb(ctx, false) },
      ),
      { seed: SEED + 1, numRuns: EVENTS },
    );
    const half = Math.floor(readMsgs.length / 2);
    await produceAll([...readMsgs.slice(0, half), ...fixedReads(), ...readMsgs.slice(half)], eventMsgs);
    await waitConsumed();

    // phase 2: only valid messages — the processes still consume after everything above
    await produceAll(
      fc.sample(validReadArb(ctx), { seed: SEED + 2, numRuns: 40 }),
      fc.sample(validEventArb(ctx), { seed: SEED + 3, numRuns: 10 }),
    );
    await waitConsumed();

    // what the processes counted (their counters settle right after their commits)
    const t = config().topics;
    speedMetrics = await until(
      'the speed layer to count every message',
      async () => {
        const mx = await scrape(speedPort);
        return metricSum(mx, 'ami_speed_messages_total', { topic: t.reads }) >= reads.length &&
          metricSum(mx, 'ami_speed_messages_total', { topic: t.events }) >= events.length
          ? mx
          : undefined;
      },
      60_000,
      { everyMs: 500 },
    );
    archiverMetrics = await until(
      'the archiver to count every flushed message',
      async () => {
        const mx = await scrape(archiverPort);
        const flushed =
          metricSum(mx, 'ami_archiver_reads_archived_total') +
          metricSum(mx, 'ami_archiver_events_archived_total') +
          metricSum(mx, 'ami_archiver_quarantined_total');
        return flushed >= reads.length + events.length ? mx : undefined;
      },
      60_000,
      { everyMs: 500 },
    );
    alive = { speed: speed.alive(), archiver: archiver.alive() };

    const kafka = createKafka(config());
    const parse = (v: Buffer | null | undefined) => JSON.parse(String(v)) as DlqRecord;
    speedDlq = (await readWholeTopic(kafka, t.readsDlq, `${id}-dlq-reader`)).map((x) => parse(x.value));
    eventsDlq = (await readWholeTopic(kafka, t.eventsDlq, `${id}-edlq-reader`)).map((x) => parse(x.value));

    // stop both as an operator would
    for (const p of [speed, archiver]) {
      p.child.kill('SIGTERM');
      stopped[p.name] = await p.exited;
    }
  }, 900_000);

  afterAll(async () => {
    for (const p of [speed, archiver]) if (p?.alive()) p.child.kill('SIGKILL');
    // process logs are kept as a test artifact (test-artifacts/ is git-ignored)
    mkdirSync(LOG_DIR, { recursive: true });
    for (const p of [speed, archiver]) if (p) writeFileSync(join(LOG_DIR, `${p.name}.log`), p.stderr());
    if (r) {
      for (let p = 0; p < PARTITIONS; p++) {
        const keys = await r.keys(`{${id}.rv:${p}}:*`);
        for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      }
      const alertKeys = await r.keys(`{${id}.al}:*`);
      if (alertKeys.length > 0) await r.del(...alertKeys);
      await clearDirtyDays(r, `${id}.batch`);
      r.disconnect();
    }
    if (s3) {
      const bucket = config().connection.s3Bucket;
      const { deletePrefix } = await import('../support/s3.ts');
      await deletePrefix(s3, bucket, `it/${id}/`);
      s3.destroy();
    }
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('generated every family of hostile message', () => {
    expect(DOCUMENTED_REASONS.size, 'docs/reason-codes.md table').toBeGreaterThanOrEqual(14);
    const kinds = new Set([...reads, ...events].map((s) => s.m.kind.split(':').slice(0, 2).join(':')));
    // (a smaller FUZZ_RUNS_SCALE samples fewer families)
    expect(kinds.size, `${HINT}: ${[...kinds].join(' ')}`).toBeGreaterThanOrEqual(READS >= 600 ? 45 : 10);
    const reasons = new Set([...reads, ...events].flatMap((s) => (s.speedReason ? [s.speedReason] : [])));
    expect([...reasons].sort(), HINT).toEqual(
      expect.arrayContaining([
        'MESSAGE_TOO_LARGE',
        'MALFORMED_JSON',
        'NOT_AN_OBJECT',
        'SCHEMA_VIOLATION',
        'BAD_TIMESTAMP',
        'MISALIGNED_INTERVAL',
        'BAD_INTERVAL_LENGTH',
        'BAD_REGISTER_INSTANT',
        'FUTURE_TIMESTAMP',
        'NET_MISMATCH',
        'OUT_OF_RANGE',
        'UNKNOWN_EVENT_CODE',
      ]),
    );
  });

  it('neither process crashed or logged an error; both kept consuming and stopped cleanly', () => {
    expect(alive, HINT).toEqual({ speed: true, archiver: true });
    for (const p of [speed, archiver]) {
      expect(errorLines(p.stderr()), `${HINT} ${p.name}`).toEqual([]);
      expect(stopped[p.name], `${HINT} ${p.name}`).toEqual({ code: 0, signal: null });
    }
  });

  it('dead-letters exactly the rejected messages, once each, with reason, bytes and source', () => {
    const t = config().topics;
    for (const [records, sent, topic] of [
      [speedDlq, reads, t.reads],
      [eventsDlq, events, t.events],
    ] as const) {
      const bySource = new Map(sent.map((s) => [sourceId(s.at.partition, s.at.offset), s]));
      const seen = new Set<string>();
      const problems: string[] = [];
      for (const rec of records) {
        if (!DOCUMENTED_REASONS.has(rec.reason))
          problems.push(`reason ${rec.reason} is not in docs/reason-codes.md`);
        const checked = validateDlqRecord(rec);
        if (!checked.ok)
          problems.push(`invalid DLQ record (${checked.detail}): ${JSON.stringify(rec).slice(0, 300)}`);
        const src = sourceId(rec.source_partition, rec.source_offset);
        const s = bySource.get(src);
        if (rec.source_topic !== topic || rec.stage !== 'speed' || s === undefined) {
          problems.push(`record of no produced message: ${rec.source_topic} ${src} ${rec.stage}`);
          continue;
        }
        if (seen.has(src)) problems.push(`two DLQ records for ${src}`);
        seen.add(src);
        const want = s.speedReason ?? (s.speedMayReject ? 'OUT_OF_RANGE' : undefined);
        if (rec.reason !== want)
          problems.push(`${src}: reason ${rec.reason}, expected ${want}: ${describeMessage(s.m)}`);
        // the bytes as produced; a record that would pass Kafka's message limit keeps a prefix and says so
        const original = s.m.value ?? Buffer.alloc(0);
        const kept = dlqPayloadBytes(rec);
        const truncated = rec.detail.startsWith('payload truncated to its first ');
        if (truncated ? !original.subarray(0, kept.length).equals(kept) : !kept.equals(original))
          problems.push(`${src}: payload differs from the produced bytes: ${describeMessage(s.m)}`);
        if (truncated && original.length < (256 * 1024) / 6)
          problems.push(`${src}: a small payload (${original.length} B) was truncated`);
        if (s.m.key !== null && s.m.key.length > 0 && rec.key === null) problems.push(`${src}: key lost`);
      }
      for (const s of sent)
        if (s.speedReason !== undefined && !seen.has(sourceId(s.at.partition, s.at.offset)))
          problems.push(`not dead-lettered (${s.speedReason}): ${describeMessage(s.m)}`);
      expect(problems, HINT).toEqual([]);
    }
  });

  it('speed-layer metrics add up exactly: in = dead-lettered + applied + registers + beyond retention', () => {
    const t = config().topics;
    const mx = speedMetrics;
    const n = (name: string, where: Record<string, string> = {}) => metricSum(mx, name, where);
    const required = reads.filter((s) => s.speedReason !== undefined).length;
    const optional = reads.filter((s) => s.speedMayReject).length;
    const dead = n('ami_speed_dlq_total', { topic: t.readsDlq });
    const applied = n('ami_speed_reads_applied_total') + n('ami_speed_reads_expired_total');
    const registers = n('ami_speed_register_reads_total');
    const beyondRetention = n('ami_speed_reads_beyond_retention_total');
    const counts = {
      in: n('ami_speed_messages_total', { topic: t.reads }),
      deadLettered: dead,
      applied,
      registers,
      beyondRetention,
    };
    expect(counts.in, HINT).toBe(reads.length);
    expect(dead, HINT).toBe(speedDlq.length);
    expect(
      counts.deadLettered + counts.applied + counts.registers + counts.beyondRetention,
      `${HINT} ${JSON.stringify(counts)}`,
    ).toBe(counts.in);
    expect(dead, HINT).toBeGreaterThanOrEqual(required);
    expect(dead, HINT).toBeLessThanOrEqual(required + optional);
    expect(registers, HINT).toBe(reads.filter((s) => s.validRead?.read.read_type === 'DAILY').length);
    // per reason, the metric equals the records on the topic
    const byReason = new Map<string, number>();
    for (const rec of speedDlq) byReason.set(rec.reason, (byReason.get(rec.reason) ?? 0) + 1);
    for (const [reason, count] of byReason)
      expect(n('ami_speed_dlq_total', { topic: t.readsDlq, reason }), `${HINT} ${reason}`).toBe(count);
    // events
    const badEvents = events.filter((s) => s.speedReason !== undefined).length;
    expect(n('ami_speed_messages_total', { topic: t.events }), HINT).toBe(events.length);
    expect(n('ami_speed_dlq_total', { topic: t.eventsDlq }), HINT).toBe(badEvents);
    expect(eventsDlq.length, HINT).toBe(badEvents);
    expect(n('ami_speed_events_valid_total'), HINT).toBe(events.length - badEvents);
    console.log(
      `${HINT} speed layer: reads ${JSON.stringify(counts)}; DLQ by reason ${JSON.stringify(Object.fromEntries(byReason))}; ` +
        `events in ${events.length}, dead-lettered ${badEvents}`,
    );
  });

  /** Latest-wins value of every valid recent INTERVAL read the speed layer must hold. */
  function expectedView(): Map<string, ValidIntervalRead> {
    const latest = new Map<string, ValidIntervalRead>();
    for (const s of reads) {
      const v = s.validRead?.read;
      if (v === undefined || v.read_type !== 'INTERVAL' || s.speedReason !== undefined || s.speedMayReject)
        continue;
      if (v.intervalStartMs < nowMs - 3 * 86_400_000) continue;
      const key = `${v.meter_id}|${v.intervalStartMs}`;
      latest.set(key, pickLatest(latest.get(key), v));
    }
    return latest;
  }

  const recentDates = () =>
    [...new Set([0, 1, 2, 3].map((d) => localDate(nowMs - d * 86_400_000, TZ)))].sort();

  it('the realtime view holds exactly the latest value of every valid recent read, per meter', async () => {
    const latest = expectedView();
    expect(latest.size, HINT).toBeGreaterThan(READS / 6);
    const problems: string[] = [];
    for (const meter of topology.map((t) => t.meter_id))
      for (const date of recentDates()) {
        const day = await readMeterDay(r, `${id}.rv`, PARTITIONS, meter, date);
        const stored = new Map(
          day.intervals.flatMap((iv, slot) => (iv === undefined ? [] : [[slot, iv.wh] as const])),
        );
        const want = new Map(
          [...latest.values()]
            .filter((v) => v.meter_id === meter && localDate(v.intervalStartMs, TZ) === date)
            .map((v) => [intervalIndexInLocalDay(v.intervalStartMs, TZ), v.consumptionWh] as const),
        );
        for (const [slot, wh] of want)
          if (stored.get(slot) !== wh)
            problems.push(`${meter} ${date} #${slot}: ${stored.get(slot)} Wh, expected ${wh}`);
        for (const [slot, wh] of stored)
          if (!want.has(slot)) problems.push(`${meter} ${date} #${slot}: ${wh} Wh stored, no valid read`);
      }
    expect(problems, HINT).toEqual([]);
  });

  it('transformer windows sum each meter once (nothing mis-keyed is counted twice)', async () => {
    const latest = [...expectedView().values()];
    const problems: string[] = [];
    for (const tx of [...new Set(topology.map((t) => t.transformer_id))])
      for (const date of recentDates()) {
        const windows = await readGridDay(r, `${id}.rv`, PARTITIONS, 'transformer', tx, date);
        const want = new Map<number, { wh: number; meters: number }>();
        for (const v of latest.filter(
          (x) => x.transformer_id === tx && localDate(x.intervalStartMs, TZ) === date,
        )) {
          const slot = intervalIndexInLocalDay(v.intervalStartMs, TZ);
          const w = want.get(slot) ?? { wh: 0, meters: 0 };
          want.set(slot, { wh: w.wh + v.consumptionWh, meters: w.meters + 1 });
        }
        windows.forEach((w, slot) => {
          const e = want.get(slot) ?? { wh: 0, meters: 0 };
          if (w.energyWh !== e.wh || w.metersReported !== e.meters)
            problems.push(
              `${tx} ${date} #${slot}: ${w.energyWh} Wh from ${w.metersReported} meters, expected ${e.wh} Wh from ${e.meters}`,
            );
        });
      }
    expect(problems, HINT).toEqual([]);
  });

  it('the archiver quarantined exactly the rejected messages and archived exactly the valid ones', async () => {
    const bucket = config().connection.s3Bucket;
    const t = config().topics;
    const keys = (await listKeys(s3, bucket, `it/${id}/`)).map((k) => ({ k, o: parseArchiveObjectKey(k) }));
    const of = (dataset: string, kind: string) =>
      keys.filter((x) => x.o?.dataset === dataset && x.o.kind === kind).map((x) => x.k);
    const cache = new S3ObjectCache({ s3, bucket, dir: join(work, 'cache') });
    const quarantine = await queryParquet(
      cache,
      [...of('quarantine', 'reads'), ...of('quarantine', 'events')],
      // hex: @duckdb/node-api's VARCHAR → JS string drops a leading U+FEFF (BOM); the file keeps it
      'reason, hex(payload) AS payload_hex, payload_encoding, source_topic, source_partition, source_offset::VARCHAR AS source_offset',
    );
    const problems: string[] = [];
    const sentBy = new Map<string, Sent>();
    for (const s of reads) sentBy.set(`${t.reads}|${sourceId(s.at.partition, s.at.offset)}`, s);
    for (const s of events) sentBy.set(`${t.events}|${sourceId(s.at.partition, s.at.offset)}`, s);
    const seen = new Set<string>();
    for (const q of quarantine) {
      const src = `${String(q.source_topic)}|${sourceId(Number(q.source_partition), String(q.source_offset))}`;
      const s = sentBy.get(src);
      if (s === undefined) {
        problems.push(`quarantined, never produced: ${src}`);
        continue;
      }
      if (seen.has(src)) problems.push(`quarantined twice: ${src}`);
      if (!DOCUMENTED_REASONS.has(String(q.reason)))
        problems.push(`reason ${String(q.reason)} is not in docs/reason-codes.md`);
      seen.add(src);
      if (q.reason !== s.archiveReason)
        problems.push(`${src}: ${String(q.reason)}, expected ${s.archiveReason}: ${describeMessage(s.m)}`);
      const text = Buffer.from(String(q.payload_hex), 'hex');
      const payload = q.payload_encoding === 'base64' ? Buffer.from(text.toString('latin1'), 'base64') : text;
      if (!payload.equals(s.m.value ?? Buffer.alloc(0)))
        problems.push(`${src}: payload differs: ${describeMessage(s.m)}`);
    }
    for (const [src, s] of sentBy)
      if (s.archiveReason !== undefined && !seen.has(src))
        problems.push(`not quarantined (${s.archiveReason}): ${describeMessage(s.m)}`);
    expect(problems, HINT).toEqual([]);

    const sortedCounts = (xs: string[]) => xs.sort();
    const archivedReads = await queryParquet(
      cache,
      of('raw', 'reads'),
      'meter_id, epoch_ms(interval_start)::DOUBLE AS s, epoch_ms(read_ts)::DOUBLE AS t, consumption_wh::DOUBLE AS wh',
    );
    const wantReads = reads.flatMap((s) =>
      s.validRead
        ? [
            `${s.validRead.read.meter_id}|${s.validRead.read.intervalStartMs}|${s.validRead.read.readTsMs}|${s.validRead.read.consumptionWh}`,
          ]
        : [],
    );
    expect(
      sortedCounts(
        archivedReads.map((x) => `${String(x.meter_id)}|${Number(x.s)}|${Number(x.t)}|${Number(x.wh)}`),
      ),
      HINT,
    ).toEqual(sortedCounts(wantReads));
    const archivedEvents = await queryParquet(
      cache,
      of('raw', 'events'),
      'meter_id, event_code, epoch_ms(event_ts)::DOUBLE AS ts',
    );
    const wantEvents = events.flatMap((s) => {
      if (s.archiveReason !== undefined || s.m.value === null) return [];
      const e = JSON.parse(s.m.value.toString('utf8')) as {
        meter_id: string;
        event_code: number;
        event_ts: string;
      };
      const v = validateEvent(s.m.value, { nowMs, eventCodes: defaultEventCodeTable });
      return v.ok ? [`${e.meter_id}|${e.event_code}|${v.event.eventTsMs}`] : [];
    });
    expect(
      sortedCounts(
        archivedEvents.map((x) => `${String(x.meter_id)}|${Number(x.event_code)}|${Number(x.ts)}`),
      ),
      HINT,
    ).toEqual(sortedCounts(wantEvents));

    // the archiver's metrics agree with what is in S3
    const n = (name: string) => metricSum(archiverMetrics, name);
    const counts = {
      in: n('ami_archiver_messages_total'),
      archivedReads: n('ami_archiver_reads_archived_total'),
      archivedEvents: n('ami_archiver_events_archived_total'),
      quarantined: n('ami_archiver_quarantined_total'),
    };
    expect(counts, HINT).toEqual({
      in: reads.length + events.length,
      archivedReads: archivedReads.length,
      archivedEvents: archivedEvents.length,
      quarantined: quarantine.length,
    });
    console.log(`${HINT} archiver: ${JSON.stringify(counts)}`);
  });
});
