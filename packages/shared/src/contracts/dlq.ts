/**
 * Dead-letter record (SPEC 3.1): what the speed layer writes to `ami.headend.reads.dlq` /
 * `ami.headend.events.dlq` and the archiver writes under `quarantine/`. It keeps the original bytes
 * exactly (as UTF-8 text when they are valid UTF-8, else base64), the reason, and where the message
 * came from, so it can be inspected and replayed.
 */
import { isUtf8 } from 'node:buffer';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { formatIsoUtc } from '../time/index.ts';
import { InstantSchema } from './common.ts';
import { REASON_CODE_LIST, type ValidationFailure } from './reasons.ts';
import { checkValue, type Checked } from './schema-errors.ts';

export const DLQ_STAGES = ['speed', 'archiver'] as const;
export type DlqStage = (typeof DLQ_STAGES)[number];

/** Longest detail kept in a DLQ record. */
export const DLQ_DETAIL_MAX = 1000;

export const DlqRecordSchema = Type.Object(
  {
    payload: Type.String({ description: 'The original message value (see payload_encoding)' }),
    payload_encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
    reason: Type.Union(REASON_CODE_LIST.map((c) => Type.Literal(c))),
    detail: Type.String({ maxLength: DLQ_DETAIL_MAX }),
    path: Type.Optional(Type.String({ maxLength: 200 })),
    keyword: Type.Optional(Type.String({ maxLength: 64 })),
    source_topic: Type.String({ pattern: '^[A-Za-z0-9._-]{1,249}$' }),
    source_partition: Type.Integer({ minimum: 0 }),
    source_offset: Type.String({
      pattern: '^[0-9]{1,20}$',
      description: 'Kafka offset (int64 as decimal text)',
    }),
    key: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()], {
      description: 'Message key as text, if any',
    }),
    received_at: InstantSchema,
    stage: Type.Union(DLQ_STAGES.map((s) => Type.Literal(s))),
  },
  { additionalProperties: false },
);
export type DlqRecord = Static<typeof DlqRecordSchema>;

export const DlqRecordCheck = TypeCompiler.Compile(DlqRecordSchema);

export function validateDlqRecord(value: unknown): Checked<DlqRecord> {
  return checkValue(DlqRecordCheck, value);
}

export interface DlqInput {
  /** The original message value; null for a tombstone. */
  readonly payload: Buffer | string | null;
  readonly failure: ValidationFailure;
  readonly stage: DlqStage;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  readonly key: Buffer | string | null;
  readonly receivedAtMs: number;
}

function keyText(key: Buffer | string | null): string | null {
  if (key === null) return null;
  const text =
    typeof key === 'string' ? key : isUtf8(key) ? key.toString('utf8') : `base64:${key.toString('base64')}`;
  return text.length > 1024 ? text.slice(0, 1024) : text;
}

/** Builds a DLQ record that keeps the original bytes losslessly. */
export function makeDlqRecord(input: DlqInput): DlqRecord {
  const p = input.payload;
  const utf8 = p === null || typeof p === 'string' || isUtf8(p);
  const record: DlqRecord = {
    payload: p === null ? '' : typeof p === 'string' ? p : p.toString(utf8 ? 'utf8' : 'base64'),
    payload_encoding: utf8 ? 'utf8' : 'base64',
    reason: input.failure.reason,
    detail: input.failure.detail.slice(0, DLQ_DETAIL_MAX),
    source_topic: input.sourceTopic,
    source_partition: input.sourcePartition,
    source_offset: input.sourceOffset,
    key: keyText(input.key),
    received_at: formatIsoUtc(input.receivedAtMs),
    stage: input.stage,
  };
  if (input.failure.path !== undefined) record.path = input.failure.path.slice(0, 200);
  if (input.failure.keyword !== undefined) record.keyword = input.failure.keyword.slice(0, 64);
  return record;
}

/** The original message bytes of a DLQ record (for inspection and replay). */
export function dlqPayloadBytes(record: Pick<DlqRecord, 'payload' | 'payload_encoding'>): Buffer {
  return Buffer.from(record.payload, record.payload_encoding === 'base64' ? 'base64' : 'utf8');
}
