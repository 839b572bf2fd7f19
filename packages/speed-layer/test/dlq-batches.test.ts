/**
 * DLQ records the broker accepts (src/consumer/dlq-batches.ts). Regression of a fuzz finding
 * (test/fuzz/messages.int.test.ts): a 300 KB read of control characters (MESSAGE_TOO_LARGE) made a
 * 1.8 MB DLQ record, and a fetch of sixty 16 KB invalid reads one 6 MB send; Kafka refused both
 * (message.max.bytes) and the speed layer retried the same batch forever, its partition stuck.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dlqPayloadBytes,
  failure,
  makeDlqRecord,
  validateDlqRecord,
  type DlqRecord,
} from '@ami/shared/contracts';
import {
  MAX_DLQ_RECORD_BYTES,
  MAX_DLQ_SEND_BYTES,
  boundedDlqRecord,
  dlqSendBatches,
} from '../src/consumer/dlq-batches.ts';

const record = (payload: Buffer | string | null, key: string | null = 'MTR-000001'): DlqRecord =>
  makeDlqRecord({
    payload,
    failure: failure('MESSAGE_TOO_LARGE', 'message is big'),
    stage: 'speed',
    sourceTopic: 'ami.headend.reads',
    sourcePartition: 1,
    sourceOffset: '42',
    key,
    receivedAtMs: Date.UTC(2026, 0, 1),
  });
const jsonBytes = (r: DlqRecord) => Buffer.byteLength(JSON.stringify(r));

describe('DLQ records and sends within Kafka limits', () => {
  it('keeps a small record as it is', () => {
    const r = record('{"meter_id":');
    expect(boundedDlqRecord(r)).toBe(r);
  });

  it('cuts a record that escapes beyond the limit to a prefix of its payload, and says so', () => {
    const original = Buffer.from(`{"x":"${'\u0001'.repeat(300_000)}"}`);
    const r = record(original);
    expect(jsonBytes(r)).toBeGreaterThan(1_048_576);
    const b = boundedDlqRecord(r);
    expect(jsonBytes(b)).toBeLessThanOrEqual(MAX_DLQ_RECORD_BYTES);
    expect(jsonBytes(b)).toBeGreaterThan(MAX_DLQ_RECORD_BYTES / 2);
    const kept = dlqPayloadBytes(b);
    expect(original.subarray(0, kept.length).equals(kept)).toBe(true);
    expect(b.detail).toMatch(
      new RegExp(`^payload truncated to its first ${kept.length} of ${original.length} bytes; `),
    );
    expect(validateDlqRecord(b).ok).toBe(true);
    expect({ ...b, payload: '', detail: '' }).toEqual({
      ...r,
      payload: '',
      detail: '',
      payload_encoding: b.payload_encoding,
    });
  });

  it('any payload: the bounded record fits, passes its schema and keeps a prefix of the bytes', () => {
    const payloads = fc.oneof(
      fc.uint8Array({ maxLength: 700_000 }).map((a) => Buffer.from(a)),
      fc
        .tuple(
          fc.constantFrom('\u0001', '"', '\\', 'é', '😀', 'a', '\u0000'),
          fc.integer({ min: 0, max: 400_000 }),
        )
        .map(([c, n]) => Buffer.from(c.repeat(n))),
    );
    fc.assert(
      fc.property(payloads, fc.integer({ min: 2048, max: 600_000 }), (payload, max) => {
        const b = boundedDlqRecord(record(payload), max);
        expect(jsonBytes(b)).toBeLessThanOrEqual(max);
        expect(validateDlqRecord(b).ok).toBe(true);
        const kept = dlqPayloadBytes(b);
        expect(payload.subarray(0, kept.length).equals(kept)).toBe(true);
      }),
      { seed: 8, numRuns: 60 },
    );
  });

  it('groups records in sends of at most MAX_DLQ_SEND_BYTES, in order, every record once', () => {
    // sixty 16 KB invalid reads of control characters: ~96 KB each as DLQ records
    const records = Array.from({ length: 60 }, (_, i) => record(`${i}:${'\u0001'.repeat(16_000)}`, `k${i}`));
    const batches = dlqSendBatches(records);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) {
      const bytes = b.reduce((n, m) => n + Buffer.byteLength(m.value) + Buffer.byteLength(m.key ?? ''), 0);
      expect(bytes).toBeLessThanOrEqual(MAX_DLQ_SEND_BYTES);
    }
    const sent = batches.flat().map((m) => JSON.parse(m.value) as DlqRecord);
    expect(sent).toEqual(records);
    expect(batches.flat().map((m) => m.key)).toEqual(records.map((r) => r.key));
  });
});
