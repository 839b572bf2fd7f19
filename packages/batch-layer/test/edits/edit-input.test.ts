import { describe, expect, it } from 'vitest';
import { EDIT_REASON_MAX_LENGTH, validateStormReleaseRecord } from '@ami/shared/contracts';
import { buildEditRecord, EditValidationError, type EditInput } from '../../src/edits/edit-input.ts';
import { toManualEdit } from '../../src/edits/edit-store.ts';
import { recordKey } from '../../src/edits/object-log.ts';

const ID = '0b8f7a5e-3c1d-4f2a-9e6b-1a2b3c4d5e6f';
const AT = Date.UTC(2025, 2, 11, 9, 0, 0);
const base: EditInput = {
  meter_id: 'MTR-1',
  interval_start: '2025-03-10T13:15:00+01:00',
  wh: 250,
  reason: 'meter swap, value from field reading',
  who: 'editor@example',
  original_wh: 9000,
};

function refusal(input: EditInput): EditValidationError {
  try {
    buildEditRecord(input, { editId: ID, atMs: AT });
  } catch (err) {
    if (err instanceof EditValidationError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('buildEditRecord', () => {
  it('normalises instants to UTC and keeps the audit fields', () => {
    const r = buildEditRecord(base, { editId: ID, atMs: AT });
    expect(r).toEqual({
      edit_id: ID,
      meter_id: 'MTR-1',
      interval_start: '2025-03-10T12:15:00Z',
      wh: 250,
      reason: base.reason,
      who: 'editor@example',
      at: '2025-03-11T09:00:00Z',
      original_wh: 9000,
    });
    expect(toManualEdit(r)).toEqual({
      editId: ID,
      meterId: 'MTR-1',
      intervalStartMs: Date.UTC(2025, 2, 10, 12, 15),
      wh: 250,
      who: 'editor@example',
      atMs: AT,
      reason: base.reason,
    });
  });

  it('defaults original_wh to null', () => {
    const { original_wh: _omit, ...rest } = base;
    expect(buildEditRecord(rest, { editId: ID, atMs: AT }).original_wh).toBeNull();
  });

  it('refuses misaligned, future and malformed instants', () => {
    expect(refusal({ ...base, interval_start: '2025-03-10T12:20:00Z' }).code).toBe('MISALIGNED_INTERVAL');
    expect(refusal({ ...base, interval_start: '2025-03-10T12:15:30Z' }).code).toBe('MISALIGNED_INTERVAL');
    expect(refusal({ ...base, interval_start: '2025-03-12T00:00:00Z' }).code).toBe('FUTURE_INTERVAL');
    expect(refusal({ ...base, interval_start: '2025-03-10 12:15' }).code).toBe('BAD_INSTANT');
  });

  it('refuses empty, blank and too long reasons', () => {
    const tooLong = refusal({ ...base, reason: 'x'.repeat(EDIT_REASON_MAX_LENGTH + 1) });
    expect(tooLong.code).toBe('SCHEMA_VIOLATION');
    expect(tooLong.field).toBe('/reason');
    expect(refusal({ ...base, reason: '' }).field).toBe('/reason');
    expect(refusal({ ...base, reason: '   ' }).field).toBe('/reason');
    expect(
      buildEditRecord({ ...base, reason: 'x'.repeat(EDIT_REASON_MAX_LENGTH) }, { editId: ID, atMs: AT })
        .reason,
    ).toHaveLength(EDIT_REASON_MAX_LENGTH);
  });

  it('refuses non-integer energy, bad meter ids, extra fields and a missing who', () => {
    expect(refusal({ ...base, wh: 1.5 }).field).toBe('/wh');
    expect(refusal({ ...base, wh: 2 ** 31 }).field).toBe('/wh');
    expect(refusal({ ...base, meter_id: 'bad id' }).field).toBe('/meter_id');
    expect(refusal({ ...base, extra: 1 } as EditInput).code).toBe('SCHEMA_VIOLATION');
    expect(refusal({ ...base, who: '' }).code).toBe('BAD_WHO');
  });
});

describe('record keys and storm release records', () => {
  it('sorts by time then id under the local date', () => {
    expect(recordKey('p/edits/', '2025-03-10', 1_741_600_000_000, ID)).toBe(
      `p/edits/date=2025-03-10/1741600000000-${ID}.json`,
    );
    expect(recordKey('edits/', '2025-03-10', 5, 'a')).toBe('edits/date=2025-03-10/0000000000005-a.json');
    expect(() => recordKey('edits/', '2025-02-30', 5, 'a')).toThrow(RangeError);
    expect(() => recordKey('edits/', '2025-03-10', 5, '../x')).toThrow(RangeError);
  });

  it('validates storm releases', () => {
    const ok = {
      release_id: ID,
      level: 'feeder',
      entity_id: 'FDR-1',
      date: '2025-03-10',
      reason: 'crews confirm restoration',
      who: 'ops',
      at: '2025-03-11T09:00:00Z',
    };
    expect(validateStormReleaseRecord(ok).ok).toBe(true);
    expect(validateStormReleaseRecord({ ...ok, level: 'transformer' }).ok).toBe(false);
  });
});
