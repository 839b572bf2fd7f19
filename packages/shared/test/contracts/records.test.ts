import { describe, expect, it } from 'vitest';
import {
  DLQ_DETAIL_MAX,
  RESTATEMENT_MAX_LISTED,
  alertDedupKey,
  dlqPayloadBytes,
  makeDlqRecord,
  makeRestatementNotice,
  restatementKey,
  validateAlert,
  validateDlqRecord,
  validateRead,
  validateRestatementNotice,
  type Alert,
  type ValidationFailure,
} from '../../src/contracts/index.ts';
import { ctx } from './fixtures.ts';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'TRANSFORMER_OUTAGE:TX-0001:1736928900000',
    type: 'TRANSFORMER_OUTAGE',
    source: 'OUTAGE',
    severity: 'CRITICAL',
    entity_type: 'transformer',
    entity_id: 'TX-0001',
    status: 'open',
    opened_at: '2025-01-15T08:15:00Z',
    cleared_at: null,
    value: 4,
    detail: '4 of 12 meters sent a last gasp within 60 s',
    ...overrides,
  };
}

describe('alert record', () => {
  it('accepts open and cleared alerts, with and without window bounds', () => {
    expect(validateAlert(alert()).ok).toBe(true);
    expect(validateAlert(alert({ status: 'cleared', cleared_at: '2025-01-15T08:40:00.250Z' })).ok).toBe(true);
    const windowed = alert({
      type: 'LOW_VOLTAGE',
      source: 'VOLTAGE',
      severity: 'WARNING',
      value: 201.5,
      window_start: '2025-01-15T08:15:00Z',
      window_end: '2025-01-15T08:30:00Z',
    });
    expect(validateAlert(windowed).ok).toBe(true);
    expect(validateAlert(alert({ type: 'TAMPER_COVER_OPEN', source: 'EVENT', event_code: 2048 })).ok).toBe(
      true,
    );
  });

  it.each([
    ['unknown source', { source: 'SCADA' }, '/source'],
    ['unknown status', { status: 'acknowledged' }, '/status'],
    ['lower-case type', { type: 'low_voltage' }, '/type'],
    ['instant without offset', { opened_at: '2025-01-15T08:15:00' }, '/opened_at'],
    ['extra field', { owner: 'ops' }, '/owner'],
  ])('rejects %s', (_name, overrides, path) => {
    const r = validateAlert({ ...alert(), ...overrides });
    expect(r.ok ? undefined : [r.reason, r.path]).toEqual(['SCHEMA_VIOLATION', path]);
  });

  it('dedup key is one per type and entity', () => {
    expect(alertDedupKey(alert())).toBe(
      alertDedupKey(alert({ id: 'other', opened_at: '2025-01-16T00:00:00Z' })),
    );
    expect(alertDedupKey(alert())).not.toBe(alertDedupKey(alert({ entity_id: 'TX-0002' })));
  });
});

describe('DLQ record', () => {
  const base = {
    stage: 'speed' as const,
    sourceTopic: 'ami.headend.reads',
    sourcePartition: 3,
    sourceOffset: '9007199254740993',
    key: 'MTR-000001',
    receivedAtMs: Date.parse('2025-01-15T08:31:05.5Z'),
  };

  function rejection(text: string): ValidationFailure {
    const r = validateRead(text, ctx);
    if (r.ok) throw new Error('expected a rejection');
    return r;
  }

  it('keeps UTF-8 payloads as text with reason, path and source position', () => {
    const payload = Buffer.from('{"meter_id": 5}');
    const rec = makeDlqRecord({ ...base, payload, failure: rejection(payload.toString()) });
    expect(validateDlqRecord(rec).ok).toBe(true);
    expect(rec).toMatchObject({
      payload: '{"meter_id": 5}',
      payload_encoding: 'utf8',
      reason: 'SCHEMA_VIOLATION',
      keyword: 'required',
      source_topic: 'ami.headend.reads',
      source_partition: 3,
      source_offset: '9007199254740993',
      key: 'MTR-000001',
      received_at: '2025-01-15T08:31:05.500Z',
      stage: 'speed',
    });
    expect(dlqPayloadBytes(rec).equals(payload)).toBe(true);
  });

  it('keeps invalid UTF-8 losslessly as base64', () => {
    const payload = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x80]);
    const rec = makeDlqRecord({ ...base, payload, key: null, failure: rejection(payload.toString()) });
    expect(rec.payload_encoding).toBe('base64');
    expect(rec.key).toBeNull();
    expect(dlqPayloadBytes(rec).equals(payload)).toBe(true);
    expect(validateDlqRecord(rec).ok).toBe(true);
  });

  it('bounds the detail and survives a JSON round trip', () => {
    const failure: ValidationFailure = { ok: false, reason: 'OUT_OF_RANGE', detail: 'x'.repeat(5000) };
    const rec = makeDlqRecord({ ...base, payload: '{}', stage: 'archiver', failure });
    expect(rec.detail.length).toBe(DLQ_DETAIL_MAX);
    expect(validateDlqRecord(JSON.parse(JSON.stringify(rec))).ok).toBe(true);
  });

  it('rejects an unknown reason code', () => {
    const rec = makeDlqRecord({ ...base, payload: '{}', failure: rejection('[]') });
    const r = validateDlqRecord({ ...rec, reason: 'NOPE' });
    expect(r.ok ? undefined : r.path).toBe('/reason');
  });
});

describe('restatement notice', () => {
  const input = {
    view: 'billing_determinants' as const,
    localDate: '2025-01-15',
    oldVersion: 'v000012',
    newVersion: 'v000013',
    affectedServicePointIds: ['SP-3', 'SP-1', 'SP-3', 'SP-2'],
    cause: 'late_data' as const,
    publishedAtMs: Date.parse('2025-01-17T02:00:00Z'),
  };

  it('builds a valid notice with sorted unique ids and a count', () => {
    const n = makeRestatementNotice(input);
    expect(validateRestatementNotice(n).ok).toBe(true);
    expect(n.affected_service_point_ids).toEqual(['SP-1', 'SP-2', 'SP-3']);
    expect(n.affected_service_point_count).toBe(3);
    expect(n.published_at).toBe('2025-01-17T02:00:00Z');
    expect(restatementKey(n)).toBe('billing_determinants/2025-01-15');
  });

  it('truncates a long list but keeps the full count', () => {
    const ids = Array.from(
      { length: RESTATEMENT_MAX_LISTED + 5 },
      (_, i) => `SP-${String(i).padStart(6, '0')}`,
    );
    const n = makeRestatementNotice({ ...input, affectedServicePointIds: ids, cause: 'rollback' });
    expect(n.affected_service_point_ids.length).toBe(RESTATEMENT_MAX_LISTED);
    expect(n.affected_service_point_count).toBe(RESTATEMENT_MAX_LISTED + 5);
    expect(validateRestatementNotice(n).ok).toBe(true);
  });

  it.each([
    ['unknown view', { view: 'meter_weekly' }, '/view'],
    ['bad cause', { cause: 'whim' }, '/cause'],
    ['bad local date', { local_date: '2025-1-15' }, '/local_date'],
  ])('rejects %s', (_name, overrides, path) => {
    const r = validateRestatementNotice({ ...makeRestatementNotice(input), ...overrides });
    expect(r.ok ? undefined : r.path).toBe(path);
  });
});
