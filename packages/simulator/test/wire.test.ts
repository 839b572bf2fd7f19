import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/wire/crc32c.ts';
import { partitionForKey as partitionOf } from '@ami/shared/partitioner';
import { decodeProduceResponse, encodeProduceRequest } from '../src/wire/record-batch.ts';

describe('wire producer encoding', () => {
  it('computes CRC-32C check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });

  it('partitions like the kafkajs (Java) default partitioner', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 6, 12]) {
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({
        partitionId: i,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const key of ['MTR-000001', 'MTR-123456', 'a', 'ab', 'abc', 'MTR-U00042', 'ünïcødé']) {
        expect(partitionOf(key, n)).toBe(
          partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } }),
        );
      }
    }
  });

  it('frames a Produce v3 request with one RecordBatch v2 per partition, CRC over the batch', () => {
    const frame = encodeProduceRequest(
      7,
      'cid',
      1,
      30_000,
      [{ topic: 'tp', partitions: [{ partition: 2, keys: ['k1', 'k2'], values: ['{"a":1}', 'ü'] }] }],
      1_700_000_000_000,
    );
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt16BE(4)).toBe(0); // Produce
    expect(frame.readInt16BE(6)).toBe(3);
    expect(frame.readInt32BE(8)).toBe(7);
    // header: size 4 + api 2 + version 2 + corr 4 + client id (2 + 3) + txn 2 + acks 2 + timeout 4
    let pos = 25;
    expect(frame.readInt32BE(pos)).toBe(1); // topics
    pos += 4 + 2 + 2; // count, name length, 'tp'
    expect(frame.readInt32BE(pos)).toBe(1); // partitions
    expect(frame.readInt32BE(pos + 4)).toBe(2);
    const size = frame.readInt32BE(pos + 8);
    const batch = frame.subarray(pos + 12, pos + 12 + size);
    expect(pos + 12 + size).toBe(frame.length);
    expect(batch.readInt32BE(8)).toBe(size - 12); // batchLength
    expect(batch.readInt8(16)).toBe(2); // magic
    expect(batch.readUInt32BE(17)).toBe(crc32c(batch, 21));
    expect(batch.readInt32BE(57)).toBe(2); // records
  });

  it('reads partition errors from a Produce v3 response', () => {
    const body = Buffer.alloc(4 + 2 + 2 + 4 + 2 * 22 + 4);
    let p = body.writeInt32BE(1, 0);
    p = body.writeInt16BE(2, p);
    p += body.write('tp', p);
    p = body.writeInt32BE(2, p);
    p = body.writeInt32BE(0, p);
    p = body.writeInt16BE(0, p);
    p += 16;
    p = body.writeInt32BE(1, p);
    body.writeInt16BE(10, p);
    expect(decodeProduceResponse(body)).toEqual([
      { topic: 'tp', partition: 0, errorCode: 0 },
      { topic: 'tp', partition: 1, errorCode: 10 },
    ]);
  });
});
