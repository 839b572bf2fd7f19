/**
 * planReadBatch's partition check. Regression of a fuzz finding (test/fuzz/messages.int.test.ts): a
 * valid read produced with a key other than its meter_id (no key, an empty or another key) landed
 * on another partition and was applied there — under keys the serving layer never reads for that
 * meter, and, when the same interval also came on the meter's partition, counted twice in the
 * transformer / feeder / region sums (those add up every partition's partial aggregates).
 */
import { describe, expect, it } from 'vitest';
import { partitionOfMeter } from '@ami/shared/partitioner';
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

function plan(partition: number, key: string | null, value: string, numPartitions?: number) {
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
});
