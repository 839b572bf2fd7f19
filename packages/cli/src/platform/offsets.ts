/**
 * Kafka offsets for the platform supervisor: the log-end offsets of topics now, and whether a
 * consumer group has committed at least those (e.g. "the archiver has stored everything produced
 * so far", before the history backfill starts).
 */
import { committedOffsets, topicOffsets, type KafkaAdmin } from '@ami/shared/clients';

/** topic → partition → offset. */
export type OffsetSnapshot = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

export async function endOffsets(admin: KafkaAdmin, topics: readonly string[]): Promise<OffsetSnapshot> {
  const out = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const parts = await topicOffsets(admin, topic);
    out.set(topic, new Map(parts.map((p) => [p.partition, p.high])));
  }
  return out;
}

/** Messages the group still has to commit to reach `target` (0 = caught up). */
export async function behindTarget(
  admin: KafkaAdmin,
  groupId: string,
  target: OffsetSnapshot,
): Promise<bigint> {
  let behind = 0n;
  for (const [topic, parts] of target) {
    const committed = await committedOffsets(admin, groupId, topic);
    for (const [partition, end] of parts) {
      const raw = committed.get(partition) ?? -1n;
      const at = raw < 0n ? 0n : raw;
      if (at < end) behind += end - at;
    }
  }
  return behind;
}
