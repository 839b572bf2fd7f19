/**
 * Kafka Produce request v3 with uncompressed RecordBatch v2 (magic 2) encoded straight into one
 * Buffer: no per-record objects, one CRC-32C pass per batch.
 */
import { crc32c } from './crc32c.ts';

export interface PartitionRecords {
  readonly partition: number;
  readonly keys: readonly string[];
  readonly values: readonly string[];
}

export interface TopicRecords {
  readonly topic: string;
  readonly partitions: readonly PartitionRecords[];
}

const RECORD_BATCH_HEADER = 61;

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function batchUpperBound(p: PartitionRecords): number {
  let n = RECORD_BATCH_HEADER;
  for (let i = 0; i < p.keys.length; i++) {
    // 3 × utf8 worst case per char, plus record overhead (length, attributes, deltas, lengths, headers).
    n += 3 * ((p.keys[i]?.length ?? 0) + (p.values[i]?.length ?? 0)) + 25;
  }
  return n;
}

/** Writes one RecordBatch at `start`; returns the end position. */
function writeRecordBatch(buf: Buffer, start: number, p: PartitionRecords, timestampMs: number): number {
  const count = p.keys.length;
  let pos = start + RECORD_BATCH_HEADER;
  for (let i = 0; i < count; i++) {
    const key = p.keys[i] ?? '';
    const value = p.values[i] ?? '';
    const keyLen = Buffer.byteLength(key, 'utf8');
    const valueLen = Buffer.byteLength(value, 'utf8');
    const bodyLen =
      1 + 1 + varintSize(i * 2) + varintSize(keyLen * 2) + keyLen + varintSize(valueLen * 2) + valueLen + 1;
    pos = writeVarint(buf, pos, bodyLen * 2);
    buf[pos++] = 0; // attributes
    buf[pos++] = 0; // timestampDelta
    pos = writeVarint(buf, pos, i * 2); // offsetDelta (zig-zag)
    pos = writeVarint(buf, pos, keyLen * 2);
    pos += buf.write(key, pos, keyLen === key.length ? 'latin1' : 'utf8');
    pos = writeVarint(buf, pos, valueLen * 2);
    // Same byte and char count = ASCII: latin1 writes the same bytes without UTF-8 encoding.
    pos += buf.write(value, pos, valueLen === value.length ? 'latin1' : 'utf8');
    buf[pos++] = 0; // headers
  }
  const ts = BigInt(timestampMs);
  buf.writeBigInt64BE(0n, start); // baseOffset
  buf.writeInt32BE(pos - start - 12, start + 8); // batchLength
  buf.writeInt32BE(-1, start + 12); // partitionLeaderEpoch
  buf.writeInt8(2, start + 16); // magic
  buf.writeInt16BE(0, start + 21); // attributes: no compression, create time
  buf.writeInt32BE(count - 1, start + 23); // lastOffsetDelta
  buf.writeBigInt64BE(ts, start + 27); // baseTimestamp
  buf.writeBigInt64BE(ts, start + 35); // maxTimestamp
  buf.writeBigInt64BE(-1n, start + 43); // producerId
  buf.writeInt16BE(-1, start + 51); // producerEpoch
  buf.writeInt32BE(-1, start + 53); // baseSequence
  buf.writeInt32BE(count, start + 57); // records count
  buf.writeUInt32BE(crc32c(buf, start + 21, pos), start + 17);
  return pos;
}

/** The whole framed Produce v3 request (size prefix included). */
export function encodeProduceRequest(
  correlationId: number,
  clientId: string,
  acks: number,
  timeoutMs: number,
  topics: readonly TopicRecords[],
  timestampMs: number,
): Buffer {
  let size = 64 + Buffer.byteLength(clientId);
  for (const t of topics) {
    size += 8 + Buffer.byteLength(t.topic);
    for (const p of t.partitions) size += 8 + batchUpperBound(p);
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 4;
  pos = buf.writeInt16BE(0, pos); // api_key Produce
  pos = buf.writeInt16BE(3, pos); // api_version
  pos = buf.writeInt32BE(correlationId, pos);
  pos = buf.writeInt16BE(Buffer.byteLength(clientId), pos);
  pos += buf.write(clientId, pos, 'utf8');
  pos = buf.writeInt16BE(-1, pos); // transactional_id null
  pos = buf.writeInt16BE(acks, pos);
  pos = buf.writeInt32BE(timeoutMs, pos);
  pos = buf.writeInt32BE(topics.length, pos);
  for (const t of topics) {
    pos = buf.writeInt16BE(Buffer.byteLength(t.topic), pos);
    pos += buf.write(t.topic, pos, 'utf8');
    pos = buf.writeInt32BE(t.partitions.length, pos);
    for (const p of t.partitions) {
      pos = buf.writeInt32BE(p.partition, pos);
      const lenAt = pos;
      const end = writeRecordBatch(buf, lenAt + 4, p, timestampMs);
      buf.writeInt32BE(end - lenAt - 4, lenAt);
      pos = end;
    }
  }
  buf.writeInt32BE(pos - 4, 0);
  return buf.subarray(0, pos);
}

export interface PartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

/** Parses a Produce v3 response body (after the size prefix and correlation id). */
export function decodeProduceResponse(body: Buffer): PartitionResult[] {
  const out: PartitionResult[] = [];
  let pos = 0;
  const topics = body.readInt32BE(pos);
  pos += 4;
  for (let t = 0; t < topics; t++) {
    const nameLen = body.readInt16BE(pos);
    pos += 2;
    const topic = body.toString('utf8', pos, pos + nameLen);
    pos += nameLen;
    const partitions = body.readInt32BE(pos);
    pos += 4;
    for (let p = 0; p < partitions; p++) {
      const partition = body.readInt32BE(pos);
      const errorCode = body.readInt16BE(pos + 4);
      pos += 4 + 2 + 8 + 8; // partition, error, base_offset, log_append_time
      out.push({ topic, partition, errorCode });
    }
  }
  return out;
}
