import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_READ_LIMITS,
  REASON_CODE_LIST,
  validateRead,
  type ReadValidation,
  type ValidRead,
} from '../../src/contracts/index.ts';
import { NOW_MS, TZ, ctx, dailyRead, intervalRead, json, without } from './fixtures.ts';

function accepted(result: ReadValidation): ValidRead {
  if (!result.ok) throw new Error(`expected a valid read, got ${result.reason}: ${result.detail}`);
  return result.read;
}

function rejected(result: ReadValidation) {
  if (result.ok) throw new Error('expected a rejection, got a valid read');
  return result;
}

describe('validateRead: valid reads', () => {
  it('accepts an INTERVAL read and carries parsed instants and integer Wh', () => {
    const read = accepted(validateRead(json(intervalRead()), ctx));
    expect(read.read_type).toBe('INTERVAL');
    expect(read.meter_id).toBe('MTR-000001');
    expect(read.intervalStartMs).toBe(Date.parse('2025-01-15T08:15:00Z'));
    expect(read.intervalEndMs).toBe(Date.parse('2025-01-15T08:30:00Z'));
    expect(read.readTsMs).toBe(Date.parse('2025-01-15T08:31:02.123Z'));
    expect([read.consumptionWh, read.deliveredWh, read.receivedWh]).toEqual([250, 300, 50]);
  });

  it('accepts the same message as a Buffer', () => {
    const read = accepted(validateRead(Buffer.from(json(intervalRead())), ctx));
    expect(read.consumptionWh).toBe(250);
  });

  it('accepts instants written with an offset and parses them to the same instant', () => {
    const read = accepted(
      validateRead(
        json(
          intervalRead({
            interval_start: '2025-01-15T09:15:00+01:00',
            interval_end: '2025-01-15T09:30:00+01:00',
            read_ts: '2025-01-15T03:31:02.123-05:00',
          }),
        ),
        ctx,
      ),
    );
    expect(read.intervalStartMs).toBe(Date.parse('2025-01-15T08:15:00Z'));
    expect(read.readTsMs).toBe(Date.parse('2025-01-15T08:31:02.123Z'));
  });

  it('accepts a prosumer interval with negative net consumption', () => {
    const read = accepted(
      validateRead(json(intervalRead({ consumption_kwh: -0.2, delivered_kwh: 0.1, received_kwh: 0.3 })), ctx),
    );
    expect(read.consumptionWh).toBe(-200);
  });

  it('accepts read_ts equal to interval_end and a timestamp within the future skew', () => {
    accepted(validateRead(json(intervalRead({ read_ts: '2025-01-15T08:30:00Z' })), ctx));
    const start = NOW_MS - 10 * 60_000; // interval ends 5 min from now, read "now + 4 min"
    const aligned = start - (start % 900_000);
    const s = new Date(aligned).toISOString();
    const e = new Date(aligned + 900_000).toISOString();
    const r = new Date(aligned + 900_000).toISOString();
    accepted(validateRead(json(intervalRead({ interval_start: s, interval_end: e, read_ts: r })), ctx));
  });

  it('accepts a net difference that independent rounding explains (1 Wh)', () => {
    // 1.6 Wh − 0.4 Wh = 1.2 Wh: rounded separately 2 − 0 = 2 vs 1
    const read = accepted(
      validateRead(
        json(intervalRead({ consumption_kwh: 0.0012, delivered_kwh: 0.0016, received_kwh: 0.0004 })),
        ctx,
      ),
    );
    expect(read.consumptionWh).toBe(1);
  });

  it('accepts a DAILY register at local midnight with null voltage and power quality', () => {
    const read = accepted(validateRead(json(dailyRead()), ctx));
    expect(read.read_type).toBe('DAILY');
    expect(read.intervalStartMs).toBe(read.intervalEndMs);
    expect(read.voltage_v).toBeNull();
    expect(read.deliveredWh).toBe(12_400_500);
    expect(read.consumptionWh).toBe(12_345_678);
  });

  it('accepts a DAILY register with a measured voltage and a power-quality code', () => {
    accepted(validateRead(json(dailyRead({ voltage_v: 229.9, power_quality_code: 3 })), ctx));
  });

  it.each([
    ['spring-forward day 2025-03-30 (23 h)', '2025-03-29T23:00:00Z'],
    ['day after spring-forward 2025-03-31', '2025-03-30T22:00:00Z'],
    ['the same written with its local offset', '2025-03-31T00:00:00+02:00'],
    ['fall-back day 2025-10-26 (25 h)', '2025-10-25T22:00:00Z'],
    ['day after fall-back 2025-10-27', '2025-10-26T23:00:00Z'],
  ])('accepts a DAILY register at local midnight on DST edges: %s', (_name, instant) => {
    const read = accepted(
      validateRead(
        json(dailyRead({ interval_start: instant, interval_end: instant, read_ts: '2025-11-01T00:00:00Z' })),
        { ...ctx, nowMs: Date.parse('2025-11-02T00:00:00Z') },
      ),
    );
    expect(read.intervalStartMs).toBe(Date.parse(instant));
  });

  it('judges local midnight in the zone it is given', () => {
    const ny = dailyRead({
      interval_start: '2025-01-15T05:00:00Z',
      interval_end: '2025-01-15T05:00:00Z',
      read_ts: '2025-01-15T05:10:00Z',
    });
    accepted(validateRead(json(ny), { ...ctx, timeZone: 'America/New_York' }));
    expect(rejected(validateRead(json(ny), ctx)).reason).toBe('BAD_REGISTER_INSTANT');
    const utc = dailyRead({ interval_start: '2025-01-15T00:00:00Z', interval_end: '2025-01-15T00:00:00Z' });
    accepted(validateRead(json(utc), { ...ctx, timeZone: 'UTC' }));
  });
});

describe('validateRead: one reason code per kind of invalid message', () => {
  it('MESSAGE_TOO_LARGE for a message over the byte limit (default and configured)', () => {
    const huge = json(intervalRead({ meter_id: 'M'.repeat(20_000) }));
    expect(rejected(validateRead(huge, ctx)).reason).toBe('MESSAGE_TOO_LARGE');
    expect(rejected(validateRead(Buffer.from(huge), ctx)).reason).toBe('MESSAGE_TOO_LARGE');
    expect(rejected(validateRead(json(intervalRead()), { ...ctx, maxMessageBytes: 100 })).reason).toBe(
      'MESSAGE_TOO_LARGE',
    );
  });

  it('counts UTF-8 bytes, not characters, for string input', () => {
    const text = json(intervalRead({ meter_id: 'é'.repeat(3000) })); // 6000 bytes of é, ≈ 6.4 kB total
    expect(rejected(validateRead(text, { ...ctx, maxMessageBytes: 4000 })).reason).toBe('MESSAGE_TOO_LARGE');
    expect(rejected(validateRead(text, ctx)).reason).toBe('SCHEMA_VIOLATION');
  });

  it.each([
    ['truncated', '{"meter_id": "MTR-1", "read_type": "INTER'],
    ['empty', ''],
    ['garbage', 'not json at all'],
    ['trailing garbage', `${json(intervalRead())}}`],
    ['single quotes', "{'meter_id': 'x'}"],
  ])('MALFORMED_JSON: %s', (_name, text) => {
    expect(rejected(validateRead(text, ctx)).reason).toBe('MALFORMED_JSON');
  });

  it('MALFORMED_JSON for a Kafka tombstone (null value)', () => {
    expect(rejected(validateRead(null, ctx)).detail).toContain('tombstone');
  });

  it('MALFORMED_JSON for binary garbage bytes', () => {
    expect(rejected(validateRead(Buffer.from([0xff, 0xfe, 0x00, 0x7b]), ctx)).reason).toBe('MALFORMED_JSON');
  });

  it.each([['[]'], ['null'], ['42'], ['"a read"'], ['true'], [`[${json(intervalRead())}]`]])(
    'NOT_AN_OBJECT: %s',
    (text) => {
      const f = rejected(validateRead(text, ctx));
      expect(f.reason).toBe('NOT_AN_OBJECT');
      expect(f.path).toBe('');
    },
  );

  it('DUPLICATE_KEY for a key written twice, whichever value comes last (JSON.parse keeps the last)', () => {
    const text = json(intervalRead());
    for (const second of ['"consumption_kwh":0.25', '"consumption_kwh":9', '"consumption_kwh":"x"']) {
      const f = rejected(validateRead(Buffer.from(text.replace('}', `,${second}}`)), ctx));
      expect([f.reason, f.path]).toEqual(['DUPLICATE_KEY', '/consumption_kwh']);
      expect(f.detail).toContain('"consumption_kwh"');
    }
  });

  it('DUPLICATE_KEY comes before the schema: a duplicated unknown field is a duplicate first', () => {
    const text = json(intervalRead({ comment: 1 })).replace('}', ',"comment":2}');
    expect(rejected(validateRead(text, ctx)).reason).toBe('DUPLICATE_KEY');
  });

  it.each([
    ['missing field', without(intervalRead(), 'read_ts'), '/read_ts', 'required'],
    ['missing read_type', without(intervalRead(), 'read_type'), '/read_type', 'required'],
    ['wrong type (number as string)', intervalRead({ consumption_kwh: '0.25' }), '/consumption_kwh', 'type'],
    ['wrong type (boolean as string)', intervalRead({ estimated_flag: 'false' }), '/estimated_flag', 'type'],
    ['wrong type (id as number)', intervalRead({ meter_id: 12345 }), '/meter_id', 'type'],
    ['unknown read_type EVENT', intervalRead({ read_type: 'EVENT' }), '/read_type', 'enum'],
    ['read_type in lower case', intervalRead({ read_type: 'interval' }), '/read_type', 'enum'],
    ['huge string in an id', intervalRead({ meter_id: 'M'.repeat(5000) }), '/meter_id', 'maxLength'],
    [
      'extra field with a huge string',
      intervalRead({ comment: 'x'.repeat(5000) }),
      '/comment',
      'additionalProperties',
    ],
    ['null id', intervalRead({ meter_id: null }), '/meter_id', 'type'],
    ['null voltage on an INTERVAL read', intervalRead({ voltage_v: null }), '/voltage_v', 'type'],
    ['null energy', intervalRead({ delivered_kwh: null }), '/delivered_kwh', 'type'],
    ['null timestamp', intervalRead({ interval_start: null }), '/interval_start', 'type'],
    ['id with a space', intervalRead({ transformer_id: 'TX 1' }), '/transformer_id', 'pattern'],
    ['id with a Redis hash tag', intervalRead({ meter_id: '{MTR-1}' }), '/meter_id', 'pattern'],
    ['empty id', intervalRead({ feeder_id: '' }), '/feeder_id', 'pattern'],
    [
      'fractional power-quality code',
      intervalRead({ power_quality_code: 1.5 }),
      '/power_quality_code',
      'type',
    ],
    [
      'negative power-quality code',
      intervalRead({ power_quality_code: -1 }),
      '/power_quality_code',
      'minimum',
    ],
    ['DAILY with a string voltage', dailyRead({ voltage_v: '230' }), '/voltage_v', 'anyOf'],
  ])('SCHEMA_VIOLATION: %s → %s %s', (_name, message, path, keyword) => {
    const f = rejected(validateRead(json(message), ctx));
    expect(f.reason).toBe('SCHEMA_VIOLATION');
    expect(f.path).toBe(path);
    expect(f.keyword).toBe(keyword);
    expect(f.detail).toContain(path);
    expect(f.detail.length).toBeLessThan(300);
  });

  it('SCHEMA_VIOLATION for a number that overflows to Infinity', () => {
    const text = json(intervalRead()).replace('"consumption_kwh":0.25', '"consumption_kwh":1e400');
    const f = rejected(validateRead(text, ctx));
    expect([f.reason, f.path]).toEqual(['SCHEMA_VIOLATION', '/consumption_kwh']);
  });

  it.each([
    ['interval_start', 'no offset', '2025-01-15T08:15:00'],
    ['interval_start', 'date only', '2025-01-15'],
    ['interval_start', 'epoch millis as text', '1736928900000'],
    ['interval_start', 'impossible date', '2025-02-30T08:15:00Z'],
    ['interval_start', 'space instead of T and no offset', '2025-01-15 08:15:00'],
    ['interval_end', 'no offset', '2025-01-15T08:30:00'],
    ['read_ts', 'hour 24', '2025-01-15T24:00:00Z'],
  ])('BAD_TIMESTAMP: %s with %s', (field, _name, value) => {
    const f = rejected(validateRead(json(intervalRead({ [field]: value })), ctx));
    expect([f.reason, f.path]).toEqual(['BAD_TIMESTAMP', `/${field}`]);
  });

  it.each([
    ['08:10', '2025-01-15T08:10:00Z', '2025-01-15T08:25:00Z'],
    ['seconds off', '2025-01-15T08:15:30Z', '2025-01-15T08:30:30Z'],
    ['a millisecond off', '2025-01-15T08:15:00.001Z', '2025-01-15T08:30:00.001Z'],
  ])('MISALIGNED_INTERVAL: %s', (_name, start, end) => {
    const f = rejected(validateRead(json(intervalRead({ interval_start: start, interval_end: end })), ctx));
    expect([f.reason, f.path]).toEqual(['MISALIGNED_INTERVAL', '/interval_start']);
  });

  it.each([
    ['30 minutes', '2025-01-15T08:45:00Z'],
    ['zero length', '2025-01-15T08:15:00Z'],
    ['end before start', '2025-01-15T08:00:00Z'],
  ])('BAD_INTERVAL_LENGTH: %s', (_name, end) => {
    const f = rejected(validateRead(json(intervalRead({ interval_end: end })), ctx));
    expect([f.reason, f.path]).toEqual(['BAD_INTERVAL_LENGTH', '/interval_end']);
  });

  it('BAD_REGISTER_INSTANT: DAILY with interval_end ≠ interval_start', () => {
    const f = rejected(validateRead(json(dailyRead({ interval_end: '2025-01-15T23:00:00Z' })), ctx));
    expect([f.reason, f.path]).toEqual(['BAD_REGISTER_INSTANT', '/interval_end']);
  });

  it.each([
    ['UTC midnight (01:00 local)', '2025-01-15T00:00:00Z'],
    ['local 00:15', '2025-01-14T23:15:00Z'],
    ['the pre-DST midnight offset on a summer day', '2025-07-01T23:00:00Z'],
  ])('BAD_REGISTER_INSTANT: DAILY not at a local midnight: %s', (_name, instant) => {
    const f = rejected(
      validateRead(json(dailyRead({ interval_start: instant, interval_end: instant, read_ts: instant })), {
        ...ctx,
        nowMs: Date.parse('2025-08-01T00:00:00Z'),
      }),
    );
    expect([f.reason, f.path]).toEqual(['BAD_REGISTER_INSTANT', '/interval_start']);
  });

  it('BAD_REGISTER_INSTANT (not a throw) when the zone cannot be evaluated', () => {
    const f = rejected(validateRead(json(dailyRead()), { ...ctx, timeZone: 'Not/AZone' }));
    expect(f.reason).toBe('BAD_REGISTER_INSTANT');
    expect(f.detail).toContain('cannot be checked');
  });

  it('FUTURE_TIMESTAMP: interval_start beyond now + 5 min', () => {
    const f = rejected(
      validateRead(
        json(
          intervalRead({
            interval_start: '2025-01-16T12:15:00Z',
            interval_end: '2025-01-16T12:30:00Z',
            read_ts: '2025-01-16T12:31:00Z',
          }),
        ),
        ctx,
      ),
    );
    expect([f.reason, f.path]).toEqual(['FUTURE_TIMESTAMP', '/interval_start']);
  });

  it('FUTURE_TIMESTAMP: read_ts beyond now + skew while the interval is in the past', () => {
    const f = rejected(validateRead(json(intervalRead({ read_ts: '2025-01-16T12:05:00.001Z' })), ctx));
    expect([f.reason, f.path]).toEqual(['FUTURE_TIMESTAMP', '/read_ts']);
    accepted(validateRead(json(intervalRead({ read_ts: '2025-01-16T12:05:00Z' })), ctx));
  });

  it('FUTURE_TIMESTAMP honours a configured skew', () => {
    const msg = json(intervalRead({ read_ts: '2025-01-16T12:01:00Z' }));
    accepted(validateRead(msg, ctx));
    expect(rejected(validateRead(msg, { ...ctx, maxFutureSkewMs: 0 })).reason).toBe('FUTURE_TIMESTAMP');
  });

  it('NET_MISMATCH: consumption ≠ delivered − received beyond rounding', () => {
    const f = rejected(validateRead(json(intervalRead({ consumption_kwh: 0.5 })), ctx));
    expect([f.reason, f.path]).toEqual(['NET_MISMATCH', '/consumption_kwh']);
    expect(f.detail).toContain('500 Wh');
  });

  it('NET_MISMATCH with zero tolerance catches a 1 Wh difference', () => {
    const msg = json(intervalRead({ consumption_kwh: 0.251 }));
    accepted(validateRead(msg, ctx));
    const strict = { ...DEFAULT_READ_LIMITS, netToleranceWh: 0 };
    expect(rejected(validateRead(msg, { ...ctx, limits: strict })).reason).toBe('NET_MISMATCH');
  });

  it.each([
    [
      'negative delivered',
      intervalRead({ delivered_kwh: -0.1, received_kwh: 0, consumption_kwh: -0.1 }),
      '/delivered_kwh',
    ],
    ['negative received', intervalRead({ received_kwh: -0.05, consumption_kwh: 0.35 }), '/received_kwh'],
    [
      'interval energy above the cap',
      intervalRead({ consumption_kwh: 20_000, delivered_kwh: 20_000, received_kwh: 0 }),
      '/delivered_kwh',
    ],
    [
      'negative interval consumption above the cap',
      intervalRead({ consumption_kwh: -10_000.001, delivered_kwh: 0, received_kwh: 10_000.001 }),
      '/received_kwh',
    ],
    ['voltage above the band', intervalRead({ voltage_v: 9999 }), '/voltage_v'],
    ['negative voltage', intervalRead({ voltage_v: -5 }), '/voltage_v'],
    ['read_ts before interval_end', intervalRead({ read_ts: '2025-01-15T08:29:59.999Z' }), '/read_ts'],
    [
      'an instant before 2000',
      intervalRead({
        interval_start: '1999-12-31T23:45:00Z',
        interval_end: '2000-01-01T00:00:00Z',
        read_ts: '2000-01-01T00:01:00Z',
      }),
      '/interval_start',
    ],
    [
      'DAILY register above the register cap',
      dailyRead({ delivered_kwh: 2e9, consumption_kwh: 2e9 - 54.822 }),
      '/delivered_kwh',
    ],
    ['DAILY voltage out of band', dailyRead({ voltage_v: 600 }), '/voltage_v'],
  ])('OUT_OF_RANGE: %s', (_name, message, path) => {
    const f = rejected(validateRead(json(message), ctx));
    expect([f.reason, f.path]).toEqual(['OUT_OF_RANGE', path]);
  });

  it('OUT_OF_RANGE honours configured limits', () => {
    const msg = json(intervalRead({ consumption_kwh: 5, delivered_kwh: 5, received_kwh: 0, voltage_v: 240 }));
    accepted(validateRead(msg, ctx));
    const tight = { ...DEFAULT_READ_LIMITS, maxIntervalWh: 4_000 };
    expect(rejected(validateRead(msg, { ...ctx, limits: tight })).reason).toBe('OUT_OF_RANGE');
    const band = { ...DEFAULT_READ_LIMITS, minVoltageV: 180, maxVoltageV: 235 };
    expect(rejected(validateRead(msg, { ...ctx, limits: band })).path).toBe('/voltage_v');
  });

  it('reports the first failure in the documented order (schema before timestamps before ranges)', () => {
    const many = intervalRead({ meter_id: 7, interval_start: 'bad', voltage_v: 9999 });
    expect(rejected(validateRead(json(many), ctx)).reason).toBe('SCHEMA_VIOLATION');
    const timeAndRange = intervalRead({ interval_start: 'bad', voltage_v: 9999 });
    expect(rejected(validateRead(json(timeAndRange), ctx)).reason).toBe('BAD_TIMESTAMP');
    const rangeAndNet = intervalRead({ voltage_v: 9999, consumption_kwh: 7 });
    expect(rejected(validateRead(json(rangeAndNet), ctx)).reason).toBe('OUT_OF_RANGE');
  });
});

describe('validateRead never throws', () => {
  it('for arbitrary text and bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array().map((b) => Buffer.from(b)),
        ),
        (input) => {
          const r = validateRead(input, ctx);
          expect(r.ok || REASON_CODE_LIST.includes(r.reason)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('for valid reads with any field replaced by any JSON value', () => {
    const fields = Object.keys(intervalRead());
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), fc.boolean(), (field, value, daily) => {
        const base = daily ? dailyRead() : intervalRead();
        const r = validateRead(json({ ...base, [field]: value }), { ...ctx, timeZone: TZ });
        expect(r.ok || REASON_CODE_LIST.includes(r.reason)).toBe(true);
        if (!r.ok) expect(typeof r.detail).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});
