/**
 * DLQ records as Kafka messages the broker accepts. A DLQ record carries the original message as
 * JSON text, which can be much larger than the message (control characters escape to 6 bytes, a
 * binary payload grows by 4/3 in base64), and one produce call puts all records of a partition in
 * one record batch: both can exceed Kafka's message.max.bytes (1 MiB by default), the send fails
 * and the consumer would retry the same batch forever. So:
 *  - a record above MAX_DLQ_RECORD_BYTES keeps only a prefix of its payload, and its detail says so
 *    ("payload truncated to its first K of N bytes") — only MESSAGE_TOO_LARGE messages get there
 *    with the default AMI_MAX_MESSAGE_BYTES; the archiver's quarantine/ keeps every byte;
 *  - records are sent in groups of at most MAX_DLQ_SEND_BYTES.
 * Pure.
 */
import { isUtf8 } from 'node:buffer';
import { DLQ_DETAIL_MAX, dlqPayloadBytes, type DlqRecord } from '@ami/shared/contracts';

/** Largest DLQ record produced (bytes of its JSON), well below Kafka's default 1 MiB message limit. */
export const MAX_DLQ_RECORD_BYTES = 256 * 1024;
/** Most bytes of DLQ records in one produce call. */
export const MAX_DLQ_SEND_BYTES = 512 * 1024;

const jsonBytes = (r: DlqRecord): number => Buffer.byteLength(JSON.stringify(r), 'utf8');

/** `record`, or, when its JSON is larger than `maxBytes`, the record with its payload cut to fit. */
export function boundedDlqRecord(record: DlqRecord, maxBytes: number = MAX_DLQ_RECORD_BYTES): DlqRecord {
  let size = jsonBytes(record);
  if (size <= maxBytes) return record;
  const original = dlqPayloadBytes(record);
  let keep = Math.min(original.length, maxBytes);
  for (;;) {
    const cut = original.subarray(0, keep);
    const utf8 = isUtf8(cut);
    const candidate: DlqRecord = {
      ...record,
      payload: cut.toString(utf8 ? 'utf8' : 'base64'),
      payload_encoding: utf8 ? 'utf8' : 'base64',
      detail: `payload truncated to its first ${keep} of ${original.length} bytes; ${record.detail}`.slice(
        0,
        DLQ_DETAIL_MAX,
      ),
    };
    size = jsonBytes(candidate);
    if (size <= maxBytes || keep === 0) return candidate;
    // shrink in proportion to the overshoot (escaping is at most 6 bytes per byte)
    keep = Math.max(0, Math.min(keep - 1, Math.floor((keep * maxBytes) / size) - 64));
  }
}

/** The records as Kafka messages, bounded, in send groups of at most `maxSendBytes` (≥ 1 record each). */
export function dlqSendBatches(
  records: readonly DlqRecord[],
  maxSendBytes: number = MAX_DLQ_SEND_BYTES,
  maxRecordBytes: number = MAX_DLQ_RECORD_BYTES,
): { key: string | null; value: string }[][] {
  const batches: { key: string | null; value: string }[][] = [];
  let batch: { key: string | null; value: string }[] = [];
  let bytes = 0;
  for (const r of records) {
    const bounded = boundedDlqRecord(r, maxRecordBytes);
    const value = JSON.stringify(bounded);
    const size = Buffer.byteLength(value, 'utf8') + Buffer.byteLength(bounded.key ?? '', 'utf8');
    if (batch.length > 0 && bytes + size > maxSendBytes) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ key: bounded.key, value });
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
