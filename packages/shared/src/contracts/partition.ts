/**
 * The reads topic is keyed by meter_id (SPEC 3.1), so all reads of a meter sit on one partition and
 * one consumer owns them; the realtime view keeps a meter's intervals under that partition's keys,
 * the one the head-end producer's partitioner (AMI_KAFKA_PARTITIONER, ADR 0011) gives its meter_id.
 * checkMeterPartition says whether a read arrived there, and if not (WRONG_PARTITION), why: the
 * message key is not the meter_id, or the key is and the producer's partitioner is not the
 * configured one (naming the partitioners that would have placed it where it arrived).
 */
import {
  DEFAULT_PARTITIONER,
  PARTITIONERS,
  partitionOfMeter,
  partitionersPlacing,
  type Partitioner,
} from '../partitioner.ts';
import { failure, type ValidationFailure } from './reasons.ts';

/** How the read arrived, beyond its partition: the producer rule to check against and its key. */
export interface MeterPartitionContext {
  /** AMI_KAFKA_PARTITIONER (default murmur2). */
  readonly partitioner?: Partitioner;
  /** The message key (null = none); omitted when unknown, then the detail cannot tell key from rule. */
  readonly key?: Uint8Array | string | null;
}

/** undefined when `partition` is the partition of `meterId`, else WRONG_PARTITION saying why. */
export function checkMeterPartition(
  meterId: string,
  partition: number,
  numPartitions: number,
  ctx: MeterPartitionContext = {},
): ValidationFailure | undefined {
  const partitioner = ctx.partitioner ?? DEFAULT_PARTITIONER;
  const owner = partitionOfMeter(meterId, numPartitions, partitioner);
  if (owner === partition) return undefined;
  const where =
    `meter ${meterId} belongs to partition ${owner} of ${numPartitions} under the configured ` +
    `partitioner ${partitioner} (AMI_KAFKA_PARTITIONER), the read arrived on partition ${partition}`;
  return failure(
    'WRONG_PARTITION',
    `${where}: ${whyElsewhere(meterId, partition, numPartitions, ctx)}`,
    '/meter_id',
  );
}

/** Whether the message key is exactly the meter_id's UTF-8 bytes. */
function keyIsMeterId(key: Uint8Array | string, meterId: string): boolean {
  if (typeof key === 'string') return key === meterId;
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).equals(Buffer.from(meterId, 'utf8'));
}

/** Why a read of `meterId` arrived on `partition`: its key, or the producer's partitioner. */
function whyElsewhere(
  meterId: string,
  partition: number,
  numPartitions: number,
  ctx: MeterPartitionContext,
): string {
  if (ctx.key === undefined) return 'the producer uses another partitioner, or another key than the meter_id';
  if (ctx.key === null) return 'the message has no key (reads must be keyed by their meter_id)';
  if (ctx.key.length === 0) return 'its key is empty (reads must be keyed by their meter_id)';
  if (!keyIsMeterId(ctx.key, meterId)) return 'its key is not its meter_id (see the record’s key)';
  const fitting = partitionersPlacing(meterId, numPartitions, partition);
  const hint =
    fitting.length === 1
      ? `${fitting[0]} would place it there (AMI_KAFKA_PARTITIONER=${fitting[0]} if that is the head-end's rule)`
      : fitting.length > 1
        ? `${fitting.join(' or ')} would place it there (set AMI_KAFKA_PARTITIONER to the head-end's rule)`
        : `none of ${PARTITIONERS.join(', ')} places it there (a custom partitioner, or one that ignores keys)`;
  return `its key is its meter_id, so the head-end's producer uses another partitioner; ${hint}`;
}
