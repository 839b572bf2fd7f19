/**
 * Kafka offsets for the platform supervisor: the log-end offsets of topics now, and whether a
 * consumer group has committed at least those (e.g. "the archiver has stored everything produced
 * so far", before the history backfill starts).
 */
import type { createKafka } from '@ami/shared/clients';

type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/** topic → partition → offset. */
export type OffsetSnapshot = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<OffsetSnapshot> {
  const out = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const parts = await admin.fetchTopicOffsets(topic);
    out.set(topic, new Map(parts.map((p) => [p.partition, BigInt(p.high)])));
  }
  return out;
}

/** Messages the group still has to commit to reach `target` (0 = caught up). */
export async function behindTarget(admin: Admin, groupId: string, target: OffsetSnapshot): Promise<bigint> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...target.keys()] });
  let behind = 0n;
  for (const [topic, parts] of target) {
    const c = committed.find((t) => t.topic === topic);
    for (const [partition, end] of parts) {
      const raw = c?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      const at = BigInt(raw) < 0n ? 0n : BigInt(raw);
      if (at < end) behind += end - at;
    }
  }
  return behind;
}
