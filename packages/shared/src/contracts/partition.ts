/**
 * The reads topic is keyed by meter_id (SPEC 3.1), so all reads of a meter sit on one partition and
 * one consumer owns them; the realtime view keeps a meter's intervals under that partition's keys.
 * checkMeterPartition says whether a read arrived on its meter's partition (WRONG_PARTITION if not:
 * its key was not its meter_id).
 */
import { partitionOfMeter } from '../partitioner.ts';
import { failure, type ValidationFailure } from './reasons.ts';

/** undefined when `partition` is the partition of `meterId`, else WRONG_PARTITION. */
export function checkMeterPartition(
  meterId: string,
  partition: number,
  numPartitions: number,
): ValidationFailure | undefined {
  const owner = partitionOfMeter(meterId, numPartitions);
  if (owner === partition) return undefined;
  return failure(
    'WRONG_PARTITION',
    `meter ${meterId} belongs on partition ${owner} of ${numPartitions}, the read came on partition ${partition} (its key is not its meter_id)`,
    '/meter_id',
  );
}
