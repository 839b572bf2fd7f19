import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REASON_CODE_LIST, validateEvent, type EventValidation } from '../../src/contracts/index.ts';
import { buildEventCodeTable, DEFAULT_EVENT_CODES, defaultEventCodeTable } from '../../src/domain/index.ts';
import { NOW_MS, event, json, without } from './fixtures.ts';

const ctx = { nowMs: NOW_MS, eventCodes: defaultEventCodeTable };

function rejected(result: EventValidation) {
  if (result.ok) throw new Error('expected a rejection, got a valid event');
  return result;
}

describe('validateEvent', () => {
  it('accepts every code of the SPEC table and attaches its definition', () => {
    for (const def of DEFAULT_EVENT_CODES) {
      const r = validateEvent(json(event({ event_code: def.code })), ctx);
      if (!r.ok) throw new Error(`${def.code}: ${r.reason}`);
      expect(r.event.definition.name).toBe(def.name);
      expect(r.event.eventTsMs).toBe(Date.parse('2025-01-15T08:31:02Z'));
    }
  });

  it('accepts an empty description and an offset timestamp', () => {
    const r = validateEvent(json(event({ event_desc: '', event_ts: '2025-01-15T09:31:02+01:00' })), ctx);
    expect(r.ok && r.event.eventTsMs).toBe(Date.parse('2025-01-15T08:31:02Z'));
  });

  it('UNKNOWN_EVENT_CODE for a code not in the table', () => {
    const f = rejected(validateEvent(json(event({ event_code: 9999 })), ctx));
    expect([f.reason, f.path]).toEqual(['UNKNOWN_EVENT_CODE', '/event_code']);
  });

  it('uses the configured table', () => {
    const custom = buildEventCodeTable([
      { code: 9999, name: 'DOOR_OPEN', description: 'x', severity: 'INFO', outage: 'none', alert: false },
    ]);
    expect(validateEvent(json(event({ event_code: 9999 })), { ...ctx, eventCodes: custom }).ok).toBe(true);
    expect(rejected(validateEvent(json(event()), { ...ctx, eventCodes: custom })).reason).toBe(
      'UNKNOWN_EVENT_CODE',
    );
  });

  it.each([
    ['missing event_ts', without(event(), 'event_ts'), '/event_ts', 'required'],
    ['code as string', event({ event_code: '3840' }), '/event_code', 'type'],
    ['fractional code', event({ event_code: 3840.5 }), '/event_code', 'type'],
    ['null meter_id', event({ meter_id: null }), '/meter_id', 'type'],
    ['huge description', event({ event_desc: 'x'.repeat(1000) }), '/event_desc', 'maxLength'],
    ['extra field', event({ severity: 'CRITICAL' }), '/severity', 'additionalProperties'],
  ])('SCHEMA_VIOLATION: %s', (_name, message, path, keyword) => {
    const f = rejected(validateEvent(json(message), ctx));
    expect([f.reason, f.path, f.keyword]).toEqual(['SCHEMA_VIOLATION', path, keyword]);
  });

  it('MALFORMED_JSON, NOT_AN_OBJECT and MESSAGE_TOO_LARGE as for reads', () => {
    expect(rejected(validateEvent('{', ctx)).reason).toBe('MALFORMED_JSON');
    expect(rejected(validateEvent('[1]', ctx)).reason).toBe('NOT_AN_OBJECT');
    expect(rejected(validateEvent(json(event()), { ...ctx, maxMessageBytes: 10 })).reason).toBe(
      'MESSAGE_TOO_LARGE',
    );
  });

  it('DUPLICATE_KEY for a key written twice, as for reads (same parser)', () => {
    const text = json(event()).replace('}', ',"event_code":4242}');
    const f = rejected(validateEvent(Buffer.from(text), ctx));
    expect([f.reason, f.path]).toEqual(['DUPLICATE_KEY', '/event_code']);
  });

  it('BAD_TIMESTAMP, FUTURE_TIMESTAMP and OUT_OF_RANGE on event_ts', () => {
    expect(rejected(validateEvent(json(event({ event_ts: '2025-01-15T08:31:02' })), ctx)).reason).toBe(
      'BAD_TIMESTAMP',
    );
    expect(rejected(validateEvent(json(event({ event_ts: '2025-01-16T12:06:00Z' })), ctx)).reason).toBe(
      'FUTURE_TIMESTAMP',
    );
    expect(rejected(validateEvent(json(event({ event_ts: '1990-01-01T00:00:00Z' })), ctx)).reason).toBe(
      'OUT_OF_RANGE',
    );
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(event())), fc.jsonValue(), (field, value) => {
        const r = validateEvent(json({ ...event(), [field]: value }), ctx);
        expect(r.ok || REASON_CODE_LIST.includes(r.reason)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
