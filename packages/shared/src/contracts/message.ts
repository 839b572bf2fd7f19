/**
 * First stage of every inbound message: size limit, JSON parse, "is an object", no key written twice
 * in one object (json-keys.ts). Never throws.
 */
import { firstDuplicateKey, hasDuplicateKeys } from './json-keys.ts';
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
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return failure('MALFORMED_JSON', err instanceof Error ? err.message.slice(0, 200) : 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return failure('NOT_AN_OBJECT', `message is ${kind}, expected an object`, '');
  }
  if (hasDuplicateKeys(bytes, value)) return duplicateKey(text);
  return { ok: true, value: value as Record<string, unknown> };
}

/** DUPLICATE_KEY naming the key and where it is written the second time. */
function duplicateKey(text: string): ValidationFailure {
  const dup = firstDuplicateKey(text);
  if (dup === undefined) return failure('DUPLICATE_KEY', 'an object writes a key more than once');
  const name = JSON.stringify(dup.key.slice(0, 64));
  return failure(
    'DUPLICATE_KEY',
    `key ${name} is written more than once in one object (JSON.parse would keep the last value)`,
    dup.path.slice(0, 200),
  );
}
