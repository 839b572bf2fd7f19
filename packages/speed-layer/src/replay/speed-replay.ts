/**
 * The `ami speed replay` operation: rebuilds the provisional state (the realtime view in Redis) by
 * replaying the reads topic from the earliest offsets Kafka still retains — the recovery after Redis
 * lost its data (docs/operator-guide.md, section 11).
 *
 * With every speed-layer process stopped (the consumer group must have no members), it
 *  1. deletes the partitions' offset fences, then every other realtime-view key of the prefix
 *     (meter-days, grid-days, day registries): fences first, so that an interruption never leaves a
 *     fence above data that is gone (the replay would skip those offsets); realtime-view keys left
 *     behind without their fence are harmless, since applying a read whose version a slot already
 *     holds changes nothing;
 *  2. sets the group's committed offsets on the reads topic (and, with `events`, the events topic)
 *     to the earliest retained offsets.
 * Without `execute` it only plans. Running it again is safe at any point.
 */
import {
  committedOffsets,
  topicOffsets,
  withAdmin,
  type KafkaAdmin,
  type KafkaClients,
  type RedisClient,
} from '@ami/shared/clients';
import type { TopicConfig } from '@ami/shared/config';
import { assertKeyPrefix } from '../realtime-view/keys.ts';
import { listViewKeys, unlinkKeys } from '../realtime-view/view-keys.ts';

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

export interface ReplayDeps {
  readonly config: { readonly topics: Pick<TopicConfig, 'reads' | 'events'> };
  /** AMI_SPEED_GROUP_ID. */
  readonly groupId: string;
  /** AMI_SPEED_KEY_PREFIX. */
  readonly keyPrefix: string;
  readonly redis: RedisClient;
  readonly kafka: KafkaClients;
}

async function assertGroupEmpty(admin: KafkaAdmin, groupId: string): Promise<void> {
  const g = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
  if (g === undefined || g.members.size === 0) return;
  const who = [
    ...new Set([...g.members.values()].map((m) => `${m.clientId}@${m.clientHost.replace(/^\//, '')}`)),
  ];
  throw new GroupActiveError(
    `consumer group ${groupId} has ${g.members.size} member(s) (${who.join(', ')}), state ${g.state}: ` +
      'stop every speed-layer process first (a killed one stays a member until its session times out, 30 s by default)',
  );
}

async function planTopic(admin: KafkaAdmin, groupId: string, topic: string): Promise<TopicReset> {
  const offsets = await topicOffsets(admin, topic);
  const committed = await committedOffsets(admin, groupId, topic);
  return {
    topic,
    partitions: offsets.map((o) => {
      const c = committed.get(o.partition) ?? -1n;
      return {
        partition: o.partition,
        committed: c < 0n ? null : String(c),
        earliest: String(o.low),
        latest: String(o.high),
      };
    }),
  };
}

/** Plans (and with `execute`, performs) the replay; see the module comment for the order. */
export async function speedReplay(
  deps: ReplayDeps,
  opts: { readonly events: boolean; readonly execute: boolean },
): Promise<ReplayReport> {
  return withAdmin(deps.kafka, (admin) => replayWith(admin, deps, opts));
}

async function replayWith(
  admin: KafkaAdmin,
  deps: ReplayDeps,
  opts: { readonly events: boolean; readonly execute: boolean },
): Promise<ReplayReport> {
  const { redis, groupId } = deps;
  const keyPrefix = assertKeyPrefix(deps.keyPrefix);
  const topicNames = [deps.config.topics.reads, ...(opts.events ? [deps.config.topics.events] : [])];
  await assertGroupEmpty(admin, groupId);
  const topics: TopicReset[] = [];
  for (const t of topicNames) topics.push(await planTopic(admin, groupId, t));
  const { fences, others } = await listViewKeys(redis, keyPrefix);
  if (opts.execute) {
    await unlinkKeys(redis, fences);
    await unlinkKeys(redis, others);
    for (const t of topics) {
      // A speed layer started meanwhile would race the reset: check again right before it.
      await assertGroupEmpty(admin, groupId);
      await admin.alterConsumerGroupOffsets({
        groupId,
        topics: [
          {
            name: t.topic,
            partitionOffsets: t.partitions.map((p) => ({
              partition: p.partition,
              offset: BigInt(p.earliest),
            })),
          },
        ],
      });
    }
  }
  return { groupId, keyPrefix, fences: fences.length, keys: others.length, topics, executed: opts.execute };
}
