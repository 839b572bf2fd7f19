import { describe, expect, it } from 'vitest';
import { checkMeterPartition } from '../../src/contracts/index.ts';
import { PARTITIONERS, partitionOfMeter, type Partitioner } from '../../src/partitioner.ts';

const METERS = Array.from({ length: 200 }, (_, i) => `MTR-${String(i).padStart(6, '0')}`);

/** A meter and partition count where `configured` and `producer` place the meter differently. */
function misplaced(
  configured: Partitioner,
  producer: Partitioner,
  n = 6,
): { meter: string; arrived: number } {
  const meter = METERS.find((m) => partitionOfMeter(m, n, configured) !== partitionOfMeter(m, n, producer));
  if (meter === undefined) throw new Error('no meter placed differently');
  return { meter, arrived: partitionOfMeter(meter, n, producer) };
}

describe('checkMeterPartition', () => {
  it('passes a read on its meter’s partition only, for every partition count and partitioner', () => {
    for (const partitioner of PARTITIONERS)
      for (const n of [1, 3, 6, 12])
        for (const meter of METERS) {
          const passing = Array.from({ length: n }, (_, p) => p).filter(
            (p) => checkMeterPartition(meter, p, n, { partitioner, key: meter }) === undefined,
          );
          expect(passing).toEqual([partitionOfMeter(meter, n, partitioner)]);
        }
  });

  it('uses murmur2 when no partitioner is given', () => {
    for (const meter of METERS.slice(0, 50))
      expect(checkMeterPartition(meter, partitionOfMeter(meter, 6, 'murmur2'), 6)).toBeUndefined();
  });

  it('says where the meter belongs under which partitioner, and that the key is not at fault when it is the meter_id', () => {
    const { meter, arrived } = misplaced('murmur2', 'crc32');
    const f = checkMeterPartition(meter, arrived, 6, { partitioner: 'murmur2', key: Buffer.from(meter) });
    expect(f).toMatchObject({ ok: false, reason: 'WRONG_PARTITION', path: '/meter_id' });
    const owner = partitionOfMeter(meter, 6);
    expect(f?.detail).toContain(
      `meter ${meter} belongs to partition ${owner} of 6 under the configured partitioner murmur2 (AMI_KAFKA_PARTITIONER), the read arrived on partition ${arrived}`,
    );
    expect(f?.detail).toContain(
      "its key is its meter_id, so the head-end's producer uses another partitioner",
    );
    expect(f?.detail).toContain('crc32');
    expect(f?.detail).not.toContain('is not its meter_id');
  });

  it('names only the partitioners that would have placed the read where it arrived', () => {
    for (const meter of METERS.slice(0, 60)) {
      const owner = partitionOfMeter(meter, 6, 'crc32');
      for (let arrived = 0; arrived < 6; arrived++) {
        if (arrived === owner) continue;
        const detail =
          checkMeterPartition(meter, arrived, 6, { partitioner: 'crc32', key: meter })?.detail ?? '';
        const hint = detail.slice(detail.indexOf('another partitioner;'));
        const fitting = PARTITIONERS.filter((p) => partitionOfMeter(meter, 6, p) === arrived);
        if (fitting.length === 0) expect(hint).toContain('none of murmur2, crc32, fnv1a places it there');
        for (const p of PARTITIONERS)
          expect(hint.includes(`${p} would`) || hint.includes(`${p} or`)).toBe(fitting.includes(p));
      }
    }
  });

  it('blames the key when it is not the meter_id, missing or empty', () => {
    const { meter, arrived } = misplaced('murmur2', 'fnv1a');
    const detail = (key: Buffer | string | null) =>
      checkMeterPartition(meter, arrived, 6, { partitioner: 'murmur2', key })?.detail ?? '';
    expect(detail('SP-0001')).toContain('its key is not its meter_id');
    expect(detail(Buffer.from(`${meter} `))).toContain('its key is not its meter_id');
    expect(detail(null)).toContain('the message has no key');
    expect(detail('')).toContain('its key is empty');
    expect(detail(meter)).not.toContain('not its meter_id');
  });

  it('says both causes are possible when the key is unknown', () => {
    const { meter, arrived } = misplaced('murmur2', 'crc32');
    expect(checkMeterPartition(meter, arrived, 6)?.detail).toContain(
      'the producer uses another partitioner, or another key than the meter_id',
    );
  });
});
