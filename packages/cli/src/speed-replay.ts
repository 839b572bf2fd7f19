/**
 * `pnpm ami speed replay`: rebuilds the provisional state (the realtime view in Redis) by replaying
 * the reads topic from the earliest offsets Kafka still retains — the recovery after Redis lost its
 * data (docs/operator-guide.md, section 11).
 *
 * With every speed-layer process stopped (the consumer group must have no members), it
 *  1. deletes the partitions' offset fences, then every other realtime-view key of
 *     AMI_SPEED_KEY_PREFIX (meter-days, grid-days, day registries): fences first, so that an
 *     interruption never leaves a fence above data that is gone (the replay would skip those
 *     offsets); realtime-view keys left behind without their fence are harmless, since applying a
 *     read whose version a slot already holds changes nothing;
 *  2. sets the group's committed offsets on the reads topic (and, with --events, the events topic)
 *     to the earliest retained offsets.
 * Started again, the speed layer applies everything Kafka retains. Without --execute it only prints
 * the plan (like kafka-consumer-groups --reset-offsets). Rerunning is safe at any point.
 */
import { parseArgs } from 'node:util';
import { createKafka, createRedis, scanKeys, type RedisClient } from '@ami/shared/clients';
import { loadConfig, readSettings, type AmiConfig } from '@ami/shared/config';
import { speedLayerSettings } from '@ami/speed-layer/config';
import { assertKeyPrefix } from '@ami/speed-layer/realtime-view/keys';

/** A bad command line: one line on stderr, exit 2. */
export class UsageError extends Error {}

export const SPEED_HELP = `usage: pnpm ami speed <command> [options]

Operator commands of the speed layer.

commands:
  replay   rebuild the realtime view in Redis by replaying Kafka from the earliest retained offsets

Run \`pnpm ami speed replay --help\` for its options.`;

export const REPLAY_HELP = `usage: pnpm ami speed replay [--events] [--execute]

Rebuilds the provisional state (the realtime view in Redis) from Kafka, e.g. after Redis lost its
data. Stop every speed-layer process first: the consumer group (AMI_SPEED_GROUP_ID) must have no
members. Then this command
  1. deletes the realtime view under AMI_SPEED_KEY_PREFIX: each partition's offset fence first,
     then its meter-days, grid-days and day registry;
  2. sets the group's committed offsets on the reads topic to the earliest offsets Kafka retains.
Start the speed layer again: it applies every retained read once (reads of days beyond provisional
retention are skipped as usual; the batch layer serves them). Safe to run again at any point.

  --events    also reset the events topic: retained events are evaluated again, so alerts that
              Redis lost open again (same alert ids; their transitions go to the alert topics again)
  --execute   do it; without this flag nothing changes and the plan is printed`;

export type SpeedCommand =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'replay'; readonly events: boolean; readonly execute: boolean };

/** Parses the arguments after `speed`; throws UsageError (one line) when they are wrong. */
export function parseSpeedArgs(argv: readonly string[]): SpeedCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw new UsageError('missing command (replay); see pnpm ami speed --help');
  if (sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: SPEED_HELP };
  if (sub !== 'replay') throw new UsageError(`unknown command "${sub}" (expected replay)`);
  let values: { events?: boolean; execute?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...rest],
      options: {
        events: { type: 'boolean' },
        execute: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(
      `replay: ${err instanceof Error ? err.message : String(err)} (see pnpm ami speed replay --help)`,
    );
  }
  if (values.help === true) return { kind: 'help', text: REPLAY_HELP };
  return { kind: 'replay', events: values.events === true, execute: values.execute === true };
}

/** Partition of a realtime-view key of `prefix` (`{prefix:p}:…`), or null for any other key. */
export function realtimeViewPartition(prefix: string, key: string): number | null {
  const head = `{${prefix}:`;
  if (!key.startsWith(head)) return null;
  const m = /^(\d+)\}:./.exec(key.slice(head.length));
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** True for the offset fence of a partition (`{prefix:p}:fence`). */
export function isFenceKey(prefix: string, key: string): boolean {
  const p = realtimeViewPartition(prefix, key);
  return p !== null && key === `{${prefix}:${p}}:fence`;
}

export interface TopicReset {
  readonly topic: string;
  readonly partitions: readonly {
    readonly partition: number;
    /** Committed offset now (null: none). */
    readonly committed: string | null;
    /** Earliest retained offset: where the replay starts. */
    readonly earliest: string;
    /** Log-end offset: the replay applies earliest…latest-1. */
    readonly latest: string;
  }[];
}

export interface ReplayReport {
  readonly groupId: string;
  readonly keyPrefix: string;
  readonly fences: number;
  readonly keys: number;
  readonly topics: readonly TopicReset[];
  readonly executed: boolean;
}

/** The speed layer is still running: the group has members. */
export class GroupActiveError extends Error {}

type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

async function assertGroupEmpty(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups.find((x) => x.groupId === groupId);
  if (g === undefined || g.members.length === 0) return;
  const who = [...new Set(g.members.map((m) => `${m.clientId}@${m.clientHost.replace(/^\//, '')}`))];
  throw new GroupActiveError(
    `consumer group ${groupId} has ${g.members.length} member(s) (${who.join(', ')}), state ${g.state}: ` +
      'stop every speed-layer process first (a killed one stays a member until its session times out, 30 s by default)',
  );
}

async function planTopic(admin: Admin, groupId: string, topic: string): Promise<TopicReset> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const mine = committed.find((t) => t.topic === topic)?.partitions ?? [];
  return {
    topic,
    partitions: offsets
      .map((o) => {
        const c = mine.find((p) => p.partition === o.partition)?.offset;
        return {
          partition: o.partition,
          committed: c === undefined || BigInt(c) < 0n ? null : c,
          earliest: o.low,
          latest: o.high,
        };
      })
      .sort((a, b) => a.partition - b.partition),
  };
}

/** Every realtime-view key of `prefix`, fences apart (a key may appear twice in a SCAN). */
async function viewKeys(redis: RedisClient, prefix: string): Promise<{ fences: string[]; others: string[] }> {
  const fences = new Set<string>();
  const others = new Set<string>();
  for await (const batch of scanKeys(redis, `{${prefix}:*`)) {
    for (const key of batch) {
      if (realtimeViewPartition(prefix, key) === null) continue;
      (isFenceKey(prefix, key) ? fences : others).add(key);
    }
  }
  return { fences: [...fences], others: [...others] };
}

/** One UNLINK per key: keys of different partitions lie in different cluster slots. */
async function unlinkAll(redis: RedisClient, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const k of keys.slice(i, i + 500)) pipeline.unlink(k);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }
}

export interface ReplayDeps {
  readonly config: AmiConfig;
  readonly groupId: string;
  readonly keyPrefix: string;
  readonly redis: RedisClient;
  readonly admin: Admin;
}

/** Plans (and with `execute`, performs) the replay; see the module comment for the order. */
export async function speedReplay(
  deps: ReplayDeps,
  opts: { readonly events: boolean; readonly execute: boolean },
): Promise<ReplayReport> {
  const { admin, redis, groupId } = deps;
  const keyPrefix = assertKeyPrefix(deps.keyPrefix);
  const topicNames = [deps.config.topics.reads, ...(opts.events ? [deps.config.topics.events] : [])];
  await assertGroupEmpty(admin, groupId);
  const topics: TopicReset[] = [];
  for (const t of topicNames) topics.push(await planTopic(admin, groupId, t));
  const { fences, others } = await viewKeys(redis, keyPrefix);
  if (opts.execute) {
    await unlinkAll(redis, fences);
    await unlinkAll(redis, others);
    for (const t of topics) {
      // A speed layer started meanwhile would race the reset: check again right before it.
      await assertGroupEmpty(admin, groupId);
      await admin.setOffsets({
        groupId,
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.earliest })),
      });
    }
  }
  return { groupId, keyPrefix, fences: fences.length, keys: others.length, topics, executed: opts.execute };
}

/** The report as the lines the command prints. */
export function formatReplayReport(r: ReplayReport): string[] {
  const verb = r.executed ? 'deleted' : 'would delete';
  const lines = [
    `realtime view (prefix ${r.keyPrefix}): ${verb} ${r.fences} offset fence(s) and ${r.keys} other key(s)`,
  ];
  for (const t of r.topics) {
    let replay = 0n;
    for (const p of t.partitions) replay += BigInt(p.latest) - BigInt(p.earliest);
    lines.push(
      `group ${r.groupId}, topic ${t.topic}: ${r.executed ? 'offsets set' : 'would set offsets'} to the earliest retained (${replay} message(s) to replay)`,
    );
    for (const p of t.partitions)
      lines.push(
        `  partition ${p.partition}: committed ${p.committed ?? 'none'} -> ${p.earliest} (log end ${p.latest})`,
      );
  }
  lines.push(
    r.executed
      ? 'done: start the speed layer; it replays the retained messages into the realtime view'
      : 'dry run: nothing changed; run again with --execute to do it',
  );
  return lines;
}

export async function runSpeedCommand(argv: readonly string[]): Promise<number> {
  let command: SpeedCommand;
  try {
    command = parseSpeedArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`ami speed ${err.message}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  const config = loadConfig();
  const settings = readSettings({
    groupId: speedLayerSettings.groupId,
    keyPrefix: speedLayerSettings.keyPrefix,
  });
  const kafka = createKafka(config, { component: 'ami-cli' });
  const admin = kafka.admin();
  const redis = createRedis(config, { connectionName: 'ami-cli' });
  try {
    await admin.connect();
    const report = await speedReplay(
      { config, groupId: settings.groupId, keyPrefix: settings.keyPrefix, redis, admin },
      command,
    );
    for (const line of formatReplayReport(report)) process.stdout.write(`${line}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof GroupActiveError)) throw err;
    process.stderr.write(`ami speed replay: ${err.message}\n`);
    return 1;
  } finally {
    await admin.disconnect().catch(() => undefined);
    redis.disconnect();
  }
}
