/**
 * First stage of every inbound message: size limit, JSON parse, "is an object". Never throws.
 */
import { failure, type ValidationFailure } from './reasons.ts';

/** Default AMI_MAX_MESSAGE_BYTES: a read is ≈ 400 bytes; anything near this is not a read. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16_384;

export type Decoded = { readonly ok: true; readonly value: Record<string, unknown> } | ValidationFailure;

/** Size of the message in bytes (UTF-8 for strings, computed only when the length alone cannot decide). */
function exceedsBytes(bytes: Buffer | string, maxBytes: number): number {
  if (typeof bytes !== 'string') return bytes.length > maxBytes ? bytes.length : -1;
  if (bytes.length * 3 <= maxBytes) return -1;
  const n = Buffer.byteLength(bytes, 'utf8');
  return n > maxBytes ? n : -1;
}

/** Parses a message into a plain object, or says why it cannot. A null value (Kafka tombstone) is MALFORMED_JSON. */
export function decodeJsonObject(bytes: Buffer | string | null, maxBytes: number): Decoded {
  if (bytes === null) return failure('MALFORMED_JSON', 'message has no value (tombstone)');
  const size = exceedsBytes(bytes, maxBytes);
  if (size >= 0) return failure('MESSAGE_TOO_LARGE', `message is ${size} bytes, the limit is ${maxBytes}`);
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    return failure('MALFORMED_JSON', err instanceof Error ? err.message.slice(0, 200) : 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return failure('NOT_AN_OBJECT', `message is ${kind}, expected an object`, '');
  }
  return { ok: true, value: value as Record<string, unknown> };
}
