/**
 * planReadBatch's partition check. Regression of a fuzz finding (test/fuzz/messages.int.test.ts): a
 * valid read produced with a key other than its meter_id (no key, an empty or another key) landed
 * on another partition and was applied there — under keys the serving layer never reads for that
 * meter, and, when the same interval also came on the meter's partition, counted twice in the
 * transformer / feeder / region sums (those add up every partition's partial aggregates). And
 * #17: a read keyed by its meter_id but placed by another producer partitioner than the configured
 * one (AMI_KAFKA_PARTITIONER) is applied when the setting names that partitioner, and otherwise
 * dead-lettered with a detail that blames the partitioner, not the key.
 */
import { describe, expect, it } from 'vitest';
import { PARTITIONERS, partitionOfMeter, type Partitioner } from '@ami/shared/partitioner';
import { PartitionWatermarks } from '../src/watermark.ts';
import { planReadBatch, type InboundMessage, type ReadPlanContext } from '../src/consumer/plan-reads.ts';

const TZ = 'Europe/Stockholm';
const NOW = Date.UTC(2026, 2, 10, 12);
const PARTITIONS = 3;
const METER = 'MTR-000001';
const OWNER = partitionOfMeter(METER, PARTITIONS);

const read = JSON.stringify({
  meter_id: METER,
  service_point_id: 'SP-000001',
  customer_id: 'CUST-000001',
  transformer_id: 'TX-001',
  feeder_id: 'FDR-001',
  read_type: 'INTERVAL',
  interval_start: '2026-03-10T10:00:00Z',
  interval_end: '2026-03-10T10:15:00Z',
  consumption_kwh: 0.25,
  delivered_kwh: 0.25,
  received_kwh: 0,
  voltage_v: 231.2,
  power_quality_code: 0,
  estimated_flag: false,
  read_ts: '2026-03-10T10:16:00Z',
});
const daily = JSON.stringify({
  ...(JSON.parse(read) as object),
  read_type: 'DAILY',
  interval_start: '2026-03-09T23:00:00Z',
  interval_end: '2026-03-09T23:00:00Z',
  voltage_v: null,
  power_quality_code: null,
  read_ts: '2026-03-10T00:05:00Z',
});

function plan(
  partition: number,
  key: string | null,
  value: string,
  numPartitions?: number,
  partitioner?: Partitioner,
) {
  const messages: InboundMessage[] = [
    { offset: 7n, key: key === null ? null : Buffer.from(key), value: Buffer.from(value) },
  ];
  const ctx: ReadPlanContext = {
    topic: 'ami.headend.reads',
    partition,
    keyPrefix: 'rv',
    timeZone: TZ,
    nowMs: NOW,
    validation: { nowMs: NOW, timeZone: TZ },
    topology: undefined,
    ...(numPartitions === undefined ? {} : { numPartitions }),
    ...(partitioner === undefined ? {} : { partitioner }),
    retentionDays: 7,
    maxMessagesPerChunk: 100,
    watermarks: new PartitionWatermarks({ allowedLatenessMs: 600_000, idleTimeoutMs: 60_000 }),
  };
  return planReadBatch(messages, ctx);
}

describe('planReadBatch: reads on another partition than their meter’s', () => {
  it('applies a read on its meter’s partition', () => {
    const p = plan(OWNER, METER, read, PARTITIONS);
    expect(p.dlq).toEqual([]);
    expect(p.chunks.flatMap((c) => c.reads)).toHaveLength(1);
    expect(p.counts).toMatchObject({ valid: 1, invalid: 0 });
  });

  it('dead-letters it as WRONG_PARTITION on any other partition, whatever its key', () => {
    for (const other of [0, 1, 2].filter((x) => x !== OWNER))
      for (const key of [null, '', 'MTR-999999', METER]) {
        const p = plan(other, key, read, PARTITIONS);
        expect(p.chunks.flatMap((c) => c.reads)).toEqual([]);
        expect(p.dlq).toHaveLength(1);
        expect(p.dlq[0]).toMatchObject({
          reason: 'WRONG_PARTITION',
          source_partition: other,
          source_offset: '7',
          payload: read,
        });
        expect(p.counts).toMatchObject({ valid: 0, invalid: 1 });
        // the fence still moves past it
        expect(p.chunks.map((c) => c.lastOffset)).toEqual(['7']);
      }
  });

  it('leaves DAILY register reads alone (they are not in the realtime view)', () => {
    const other = (OWNER + 1) % PARTITIONS;
    const p = plan(other, null, daily, PARTITIONS);
    expect(p.dlq).toEqual([]);
    expect(p.counts).toMatchObject({ valid: 1, registers: 1 });
  });

  it('without the partition count there is no check (as before)', () => {
    const p = plan((OWNER + 1) % PARTITIONS, null, read);
    expect(p.dlq).toEqual([]);
    expect(p.chunks.flatMap((c) => c.reads)).toHaveLength(1);
  });

  it('places by the configured partitioner: a meter_id-keyed read is applied on that partitioner’s partition', () => {
    // a meter the three rules spread over at least two partitions
    const meter = Array.from({ length: 50 }, (_, i) => `MTR-${String(i + 1).padStart(6, '0')}`).find(
      (m) => new Set(PARTITIONERS.map((p) => partitionOfMeter(m, PARTITIONS, p))).size > 1,
    );
    expect(meter).toBeDefined();
    const value = read.replace(METER, meter ?? '');
    for (const partitioner of PARTITIONERS) {
      const owner = partitionOfMeter(meter ?? '', PARTITIONS, partitioner);
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const p = plan(partition, meter ?? '', value, PARTITIONS, partitioner);
        expect(p.chunks.flatMap((c) => c.reads)).toHaveLength(partition === owner ? 1 : 0);
        expect(p.dlq.map((d) => d.reason)).toEqual(partition === owner ? [] : ['WRONG_PARTITION']);
      }
    }
  });

  it('tells a misplaced meter_id key (another partitioner) from another key in the DLQ detail', () => {
    const other = (OWNER + 1) % PARTITIONS;
    const byPartitioner = plan(other, METER, read, PARTITIONS, 'murmur2').dlq[0];
    expect(byPartitioner?.detail).toContain(
      `meter ${METER} belongs to partition ${OWNER} of ${PARTITIONS} under the configured partitioner murmur2 (AMI_KAFKA_PARTITIONER), the read arrived on partition ${other}`,
    );
    expect(byPartitioner?.detail).toContain('its key is its meter_id');
    expect(byPartitioner?.key).toBe(METER);
    expect(plan(other, 'MTR-999999', read, PARTITIONS).dlq[0]?.detail).toContain(
      'its key is not its meter_id',
    );
    expect(plan(other, null, read, PARTITIONS).dlq[0]?.detail).toContain('the message has no key');
  });
});
