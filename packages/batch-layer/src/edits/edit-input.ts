/**
 * Turning an editor's request into an edit record (pure): schema check, then the rules the schema
 * cannot express — the interval start must be a real instant on a 15-minute boundary and not in the
 * future. Every refusal is an EditValidationError naming the field and a code, for a 400 answer.
 */
import {
  validateEditRequest,
  validateEditRecord,
  type EditRecord,
  type EditRequest,
} from '@ami/shared/contracts';
import { formatIsoUtc, isAlignedIntervalStart, parseIsoInstant } from '@ami/shared/time';

export type EditValidationCode =
  'SCHEMA_VIOLATION' | 'BAD_INSTANT' | 'MISALIGNED_INTERVAL' | 'FUTURE_INTERVAL' | 'BAD_WHO' | 'BAD_ID';

export class EditValidationError extends Error {
  constructor(
    readonly code: EditValidationCode,
    /** JSON pointer of the offending field ('' = the whole request). */
    readonly field: string,
    detail: string,
  ) {
    super(`invalid edit: ${field || '(request)'}: ${detail}`);
    this.name = 'EditValidationError';
  }
}

export interface EditInput extends EditRequest {
  /** Who makes the edit (the authenticated user or key name). */
  readonly who: string;
}

export interface EditIdentity {
  readonly editId: string;
  readonly atMs: number;
}

/** Validates `input` and builds the stored record (instants normalised to UTC). */
export function buildEditRecord(input: EditInput, id: EditIdentity): EditRecord {
  const { who, ...request } = input;
  const checked = validateEditRequest(request);
  if (!checked.ok) throw new EditValidationError('SCHEMA_VIOLATION', checked.path ?? '', checked.detail);
  const startMs = parseIsoInstant(checked.value.interval_start);
  if (!Number.isFinite(startMs))
    throw new EditValidationError('BAD_INSTANT', '/interval_start', 'not an ISO-8601 instant with offset');
  if (!isAlignedIntervalStart(startMs))
    throw new EditValidationError(
      'MISALIGNED_INTERVAL',
      '/interval_start',
      'must start on a 15-minute boundary (:00, :15, :30, :45)',
    );
  if (startMs > id.atMs)
    throw new EditValidationError('FUTURE_INTERVAL', '/interval_start', 'interval has not started yet');
  const record: EditRecord = {
    edit_id: id.editId,
    meter_id: checked.value.meter_id,
    interval_start: formatIsoUtc(startMs),
    wh: checked.value.wh,
    reason: checked.value.reason,
    who,
    at: formatIsoUtc(id.atMs),
    original_wh: checked.value.original_wh ?? null,
  };
  const full = validateEditRecord(record);
  if (!full.ok) {
    const field = full.path ?? '';
    const code = field === '/who' ? 'BAD_WHO' : field === '/edit_id' ? 'BAD_ID' : 'SCHEMA_VIOLATION';
    throw new EditValidationError(code, field, full.detail);
  }
  return full.value;
}
