/**
 * Where a reader finds the realtime view: the Redis client, the view's key prefix
 * (AMI_SPEED_KEY_PREFIX), the reads topic's partition count (the view keeps one key set per
 * partition), the partitioner that places a meter on a partition (AMI_KAFKA_PARTITIONER: a
 * meter's keys are its partition's) and the time zone whose local dates and interval indexes the
 * view is keyed by.
 */
import type { RedisClient } from '@ami/shared/clients';
import type { Partitioner } from '@ami/shared/partitioner';

export interface RealtimeViewOptions {
  readonly redis: RedisClient;
  /** AMI_SPEED_KEY_PREFIX (letters, digits, `._-`, at most 32). */
  readonly keyPrefix: string;
  /** Partitions of the reads topic. */
  readonly partitions: number;
  /**
   * AMI_KAFKA_PARTITIONER (`config.topics.partitioner`), the rule the speed layer placed meters by;
   * default murmur2. Another value than the speed layer's finds no meter's intervals.
   */
  readonly partitioner?: Partitioner;
  /** AMI_TIMEZONE. */
  readonly timeZone: string;
}

/** Partitions 0 … n−1. */
export function allPartitions(opts: Pick<RealtimeViewOptions, 'partitions'>): number[] {
  return Array.from({ length: opts.partitions }, (_, p) => p);
}
