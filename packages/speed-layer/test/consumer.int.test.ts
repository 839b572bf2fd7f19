import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  committedOffsets,
  createKafka,
  createRedis,
  createTopics as createTopicsWithLeaders,
  sendMessages,
  topicOffsets,
  withAdmin,
  type KafkaAdmin,
} from '@ami/shared/clients';
import { buildTopologyIndex, loadValidationConfig, type DlqRecord } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import type { AmiConfig } from '@ami/shared/config';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { readTopic } from '../../../test/support/kafka.ts';
import { SpeedConsumer, loadSpeedLayerSettings } from '../src/index.ts';
import { readFence } from '../src/realtime-view/apply.ts';
import { normalise, viewAsModel } from './support/compare.ts';
import { expectedFromTruth, realtimeViewOf, runSimulation } from '../src/testing/sim-truth.ts';
import { dayOfMessages, fleet, model, topologyRows, type GeneratedMessage } from './support/fleet.ts';

const PARTITIONS = 6;
const DATE = '2025-03-10';
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

function scenario(name: string) {
  const id = uniqueName(name);
  const overrides = {
    AMI_TOPIC_READS: `${id}.reads`,
    AMI_TOPIC_EVENTS: `${id}.events`,
    AMI_TOPIC_READS_DLQ: `${id}.reads.dlq`,
    AMI_TOPIC_EVENTS_DLQ: `${id}.events.dlq`,
    AMI_SPEED_GROUP_ID: `${id}-group`,
    AMI_SPEED_KEY_PREFIX: id.replace(/[^A-Za-z0-9._-]/g, '').slice(-32),
    AMI_SPEED_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  return { id, overrides, config: integrationConfig(overrides) };
}

async function createTopics(config: AmiConfig): Promise<void> {
  const t = config.topics;
  await withAdmin(createKafka(config), (admin) =>
    createTopicsWithLeaders(
      admin,
      [t.reads, t.events, t.readsDlq, t.eventsDlq].map((topic) => ({
        topic,
        numPartitions: topic === t.reads || topic === t.events ? PARTITIONS : 1,
        replicationFactor: 1,
      })),
    ),
  );
}

async function produce(
  config: AmiConfig,
  topic: string,
  messages: readonly Pick<GeneratedMessage, 'key' | 'value'>[],
): Promise<void> {
  const producer = createKafka(config).producer();
  await sendMessages(producer, topic, messages);
  await producer.close();
}

async function lastOffsets(config: AmiConfig): Promise<Map<number, number>> {
  const offsets = await withAdmin(createKafka(config), (admin) => topicOffsets(admin, config.topics.reads));
  return new Map(offsets.map((o) => [o.partition, Number(o.high) - 1]));
}

async function readDlq(config: AmiConfig, topic: string, count: number): Promise<DlqRecord[]> {
  const records = await readTopic(createKafka(config), topic, count, { timeoutMs: 30_000 });
  return records.map((r) => JSON.parse(String(r.value)) as DlqRecord);
}

/** The group committed, for every partition of `ends`, the offset after its last message. */
async function expectCommittedEnds(
  config: AmiConfig,
  groupId: string,
  ends: Map<number, number>,
): Promise<void> {
  const committed = await withAdmin(createKafka(config), (admin) =>
    committedOffsets(admin, groupId, config.topics.reads),
  );
  expect(ends.size).toBeGreaterThan(0);
  for (const [partition, last] of ends) expect(committed.get(partition)).toBe(BigInt(last + 1));
}

/** Members of the group that own at least one partition. */
async function membersWithPartitions(admin: KafkaAdmin, groupId: string): Promise<number> {
  const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
  return [...(group?.members.values() ?? [])].filter((m) =>
    [...(m.assignments?.values() ?? [])].some((a) => a.partitions.length > 0),
  ).length;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the speed-layer process (`src/main.ts`) as a child, as an operator would. */
function startSpeedProcess(env: NodeJS.ProcessEnv, children: ChildProcess[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/speed-layer/src/main.ts'], {
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
  /** True once the process has logged that it runs (its signal handlers are installed by then). */
  const running = () => stderr.includes('"msg":"speed layer running"');
  return { child, exited, running };
}

describe('speed-layer consumer (real Kafka + Redis)', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'speed-consumer-it' });
  const prefixes: string[] = [];
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const prefix of prefixes) {
      for (let p = 0; p < PARTITIONS; p++) {
        const keys = await redis.keys(`{${prefix}:${p}}:*`);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      }
    }
    redis.disconnect();
  });

  it('end to end: exact realtime view, every invalid message in the DLQ with its reason', async () => {
    const { overrides, config } = scenario('speed-e2e');
    const settings = loadSpeedLayerSettings({ ...overrides, AMI_SPEED_CHUNK_MESSAGES: '128' });
    prefixes.push(settings.keyPrefix);
    await createTopics(config);
    const meters = fleet(18);
    const messages = dayOfMessages(meters, DATE, 2024, {
      duplicates: 120,
      corrections: 160,
      ties: 30,
      invalid: 12,
      intervals: 96,
    });
    await produce(config, config.topics.reads, messages);
    await produce(config, config.topics.events, [
      {
        key: 'MTR-000001',
        value: JSON.stringify({
          meter_id: 'MTR-000001',
          event_code: 3840,
          event_desc: 'POWER_OUTAGE',
          event_ts: '2025-03-10T10:00:00Z',
        }),
      },
      { key: 'MTR-000002', value: '{"meter_id":' },
    ]);
    const nowMs = Date.now();
    const expected = normalise(
      model(
        messages.map((m) => m.value),
        meters,
        nowMs,
      ),
    );

    const consumer = new SpeedConsumer({
      kafka: createKafka(config),
      redis,
      config,
      settings,
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      topology: buildTopologyIndex(topologyRows(meters)),
      logger: createLogger('speed-it', { level: 'warn' }),
    });
    const running = consumer.start();
    const total = messages.length;
    await waitFor('all reads', () =>
      Promise.resolve(
        consumer.stats.readsValid + consumer.stats.readsInvalid >= total &&
          consumer.stats.eventsValid + consumer.stats.eventsInvalid >= 2,
      ),
    );
    const ends = await lastOffsets(config);
    await waitFor('fences at the end', async () => {
      for (const [p, last] of ends)
        if ((await readFence(redis, settings.keyPrefix, p)).offset !== last) return false;
      return true;
    });
    await consumer.stop();
    await running;

    expect(messages.length).toBeGreaterThan(1900);
    const view = await viewAsModel(redis, settings.keyPrefix, PARTITIONS, meters, DATE);
    expect(view.meterDays).toEqual(expected.meterDays);
    expect(view.grid).toEqual(expected.grid);
    expect(consumer.stats).toMatchObject({
      readsInvalid: 12,
      eventsValid: 1,
      eventsInvalid: 1,
      inserted: 18 * 96,
    });

    const invalid = messages.filter((m) => m.invalidReason !== undefined);
    const dlq = await readDlq(config, config.topics.readsDlq, invalid.length);
    const got = dlq.map((r) => `${r.reason} ${r.payload}`).sort();
    expect(got).toEqual(invalid.map((m) => `${m.invalidReason} ${m.value}`).sort());
    for (const r of dlq) {
      expect(r.source_topic).toBe(config.topics.reads);
      expect(r.source_offset).toMatch(/^\d+$/);
    }
    const eventsDlq = await readDlq(config, config.topics.eventsDlq, 1);
    expect(eventsDlq.map((r) => r.reason)).toEqual(['MALFORMED_JSON']);
  });

  /**
   * A process-level scenario: fresh topics, a topology file, the child-process environment and the
   * generated messages with their independently computed realtime view.
   */
  async function processScenario(
    name: string,
    opts: { meters: number; seed: number; invalid: number; chunk: string; fetchBytes: string },
  ) {
    const { overrides, config } = scenario(name);
    const dir = mkdtempSync(join(tmpdir(), `${name}-`));
    const meters = fleet(opts.meters);
    const topologyFile = join(dir, 'topology.jsonl');
    writeFileSync(
      topologyFile,
      topologyRows(meters)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const env = {
      ...process.env,
      ...inject('infraEnv'),
      ...overrides,
      AMI_TOPOLOGY_FILE: topologyFile,
      AMI_SPEED_CHUNK_MESSAGES: opts.chunk,
      AMI_SPEED_FETCH_MAX_BYTES_PER_PARTITION: opts.fetchBytes,
    };
    const settings = loadSpeedLayerSettings(env);
    prefixes.push(settings.keyPrefix);
    await createTopics(config);
    const messages = dayOfMessages(meters, DATE, opts.seed, {
      duplicates: 300,
      corrections: 400,
      ties: 50,
      invalid: opts.invalid,
    });
    const expected = normalise(
      model(
        messages.map((m) => m.value),
        meters,
        Date.now(),
      ),
    );
    /** Messages applied so far according to the fences of `partitions`. */
    const appliedSoFar = async (partitions: Iterable<number>) => {
      let n = 0;
      for (const p of partitions) n += (await readFence(redis, settings.keyPrefix, p)).offset + 1;
      return n;
    };
    /** The realtime view equals the model exactly and the group committed every partition's end. */
    const expectExactAndCommitted = async (ends: Map<number, number>) => {
      const view = await viewAsModel(redis, settings.keyPrefix, PARTITIONS, meters, DATE);
      expect(view.meterDays).toEqual(expected.meterDays);
      expect(view.grid).toEqual(expected.grid);
      await expectCommittedEnds(config, settings.groupId, ends);
    };
    return { config, env, settings, messages, appliedSoFar, expectExactAndCommitted };
  }

  it('SIGKILLed at random moments several times, restarted each time: the view equals the simulator truth', async () => {
    const { overrides, config } = scenario('speed-kill');
    const run = await runSimulation({
      meters: 40,
      days: 2,
      startDate: '2026-03-28', // a 23-hour DST day (92 intervals) and a normal one
      seed: 99,
      faults: {
        duplicate: 0.02,
        correction: 0.02,
        late: 0.01,
        out_of_order: 0.01,
        malformed_json: 0.002,
        schema_violation: 0.002,
        out_of_range: 0.002,
        unknown_meter: 0.002,
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'speed-kill-'));
    const topologyFile = join(dir, 'topology.jsonl');
    writeFileSync(topologyFile, run.topology.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const env = {
      ...process.env,
      ...inject('infraEnv'),
      ...overrides,
      AMI_TOPOLOGY_FILE: topologyFile,
      AMI_SPEED_CHUNK_MESSAGES: '25',
      AMI_SPEED_FETCH_MAX_BYTES_PER_PARTITION: '16384',
    };
    const settings = loadSpeedLayerSettings(env);
    prefixes.push(settings.keyPrefix);
    await createTopics(config);
    await produce(config, config.topics.reads, run.reads);
    const ends = await lastOffsets(config);
    const total = [...ends.values()].reduce((s, o) => s + o + 1, 0);
    expect(total).toBe(run.reads.length);
    const applied = async () => {
      let n = 0;
      for (const p of ends.keys()) n += (await readFence(redis, settings.keyPrefix, p)).offset + 1;
      return n;
    };

    // Kill points: three random fractions of the run, drawn fresh each time (printed below).
    const points = [Math.random(), Math.random(), Math.random()].map((x) => 0.1 + 0.8 * x).sort();
    const killedAt: number[] = [];
    for (const point of points) {
      const proc = startSpeedProcess(env, children);
      await waitFor(
        `${Math.round(point * 100)} % applied`,
        // at least one more chunk than at the previous kill, so every run makes progress
        async () => (await applied()) >= Math.max(total * point, (killedAt[killedAt.length - 1] ?? 0) + 50),
        90_000,
      );
      proc.child.kill('SIGKILL');
      const exit = await proc.exited;
      expect(exit.signal).toBe('SIGKILL');
      killedAt.push(await applied());
    }
    expect(killedAt[0]).toBeLessThan(total);
    // (At level info, so that its 'speed layer running' line shows when it runs.)
    const last = startSpeedProcess({ ...env, LOG_LEVEL: 'info' }, children);
    await waitFor('the whole topic', async () => (await applied()) === total, 90_000);
    // The last SIGKILL may come after the whole topic was applied: then the condition above holds at
    // once, and a SIGTERM sent while the new process is still loading its modules (before any handler
    // exists) ends it by the signal's default action. Stop it once it runs.
    await waitFor('the last process to run', () => Promise.resolve(last.running()), 90_000);
    last.child.kill('SIGTERM');
    const stopped = await last.exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    process.stderr.write(`[speed-layer] kill test: killed at ${killedAt.join(', ')} of ${total} messages\n`);

    const expected = expectedFromTruth(run);
    expect(expected.intervals.size).toBeGreaterThan(40 * (92 + 96) - 1);
    const view = await realtimeViewOf(redis, settings.keyPrefix, PARTITIONS, run);
    expect(view.intervals).toEqual(expected.intervals);
    expect(view.daily).toEqual(expected.daily);
    expect(view.grid).toEqual(expected.grid);
    await expectCommittedEnds(config, settings.groupId, ends);
    // Four process starts and 8,016 reads in chunks of 25 take ≈ 100 s here: past the project's
    // 120 s default on a loaded machine.
  }, 300_000);

  it('two instances split the partitions; stopping one rebalances and the totals stay exact', async () => {
    const { config, env, settings, messages, appliedSoFar, expectExactAndCommitted } = await processScenario(
      'speed-scale',
      { meters: 60, seed: 7, invalid: 8, chunk: '10', fetchBytes: '8192' },
    );
    // first half before the instances start, second half while both run and one of them stops
    const half = Math.floor(messages.length / 2);
    await produce(config, config.topics.reads, messages.slice(0, half));
    const admin = createKafka(config).admin();
    const assignedMembers = () => membersWithPartitions(admin, settings.groupId);

    const a = startSpeedProcess(env, children);
    const b = startSpeedProcess(env, children);
    await waitFor('both instances to own partitions', async () => (await assignedMembers()) === 2, 60_000);
    await produce(config, config.topics.reads, messages.slice(half));
    const ends = await lastOffsets(config);
    const total = [...ends.values()].reduce((s, o) => s + o + 1, 0);
    expect(total).toBe(messages.length);
    b.child.kill('SIGTERM');
    const bExit = await b.exited;
    expect(bExit.code, bExit.stderr).toBe(0);
    await waitFor(
      'the survivor to take over every partition',
      async () => (await assignedMembers()) === 1,
      60_000,
    );
    await waitFor('the whole topic', async () => (await appliedSoFar(ends.keys())) === total, 90_000);
    a.child.kill('SIGTERM');
    const aExit = await a.exited;
    expect(aExit.code, aExit.stderr).toBe(0);
    await admin.close();

    await expectExactAndCommitted(ends);
  });
});
