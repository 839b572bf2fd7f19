/** ISO-8601 parsing (against Date.parse) and the canonical UTC and offset forms. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIsoOffset, formatIsoUtc, parseIsoInstant } from '../../src/time/index.ts';
import { MAX_TEST_MS, MIN_TEST_MS, reference } from './reference.ts';

const two = (n: number): string => String(n).padStart(2, '0');
const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;

/** Well-formed strings of the accepted grammar, with every optional part varied. */
const validIso = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    dayFraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z'),
      fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
        .map(([sign, h, m]) => `${sign}${two(h)}:${two(m)}`),
    ),
    t: fc.constantFrom('T', 't'),
  })
  .map(({ year, month, dayFraction, hour, minute, second, fraction, zone, t }) => {
    const day = 1 + Math.floor(dayFraction * daysIn(year, month));
    const date = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
    return `${date}${t}${two(hour)}:${two(minute)}:${two(second)}${fraction === undefined ? '' : `.${fraction}`}${zone}`;
  });

describe('parseIsoInstant', () => {
  it('agrees with Date.parse on every well-formed string', () => {
    fc.assert(
      fc.property(validIso, (s) => {
        const ms = parseIsoInstant(s);
        expect(Number.isNaN(ms)).toBe(false);
        expect(ms).toBe(Date.parse(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('never disagrees with Date.parse on mutated strings (it may only reject more)', () => {
    const mutated = fc
      .tuple(
        validIso,
        fc.nat(),
        fc.constantFrom('delete', 'replace', 'insert'),
        fc.constantFrom(...'0159:-+.TZ Wx'),
      )
      .map(([s, at, op, c]) => {
        const i = at % (s.length + 1);
        if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
        if (op === 'replace') return s.slice(0, i) + c + s.slice(i + 1);
        return s.slice(0, i) + c + s.slice(i);
      });
    fc.assert(
      fc.property(mutated, (s) => {
        const ms = parseIsoInstant(s);
        if (!Number.isNaN(ms)) expect(ms).toBe(Date.parse(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects anything but a full date-time with seconds and an explicit offset', () => {
    for (const s of [
      '',
      '2026-03-29',
      '2026-03-29T03:00',
      '2026-03-29T03:00Z',
      '2026-03-29T03:00:00', // no offset: never guessed
      '2026-03-29 03:00:00Z',
      '2026-03-29T03:00:00+0200',
      '2026-03-29T03:00:00+02',
      '2026-03-29T03:00:00.Z',
      '2026-03-29T03:00:00.1234567890Z',
      '2026-02-29T00:00:00Z', // not a leap year
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-01T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00+01:60',
      '2026-01-01T00:00:00ZZ',
      '2026-01-01T00:00:00Z ',
      ' 2026-01-01T00:00:00Z',
      '+02026-01-01T00:00:00Z',
      '2026-1-01T00:00:00Z',
      '２０２６-01-01T00:00:00Z',
      '2026-01-01T00:00:00+01:00[Europe/Stockholm]',
    ]) {
      expect(parseIsoInstant(s), s).toBeNaN();
    }
  });

  it('reads offsets, fractions and lower-case separators', () => {
    expect(parseIsoInstant('2026-03-29T03:00:00+02:00')).toBe(Date.UTC(2026, 2, 29, 1));
    expect(parseIsoInstant('2026-03-29T03:00:00.5+02:00')).toBe(Date.UTC(2026, 2, 29, 1, 0, 0, 500));
    expect(parseIsoInstant('2026-03-29T03:00:00.123999Z')).toBe(Date.UTC(2026, 2, 29, 3, 0, 0, 123));
    expect(parseIsoInstant('2026-03-29t03:00:00z')).toBe(Date.UTC(2026, 2, 29, 3));
    expect(parseIsoInstant('2026-01-01T00:00:00-00:00')).toBe(Date.UTC(2026, 0, 1));
    expect(parseIsoInstant('2024-02-29T23:59:59-05:45')).toBe(Date.UTC(2024, 2, 1, 5, 44, 59));
  });
});

describe('formatIsoUtc', () => {
  it('is toISOString without a zero millisecond part, and parses back', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_510_400_000, max: 253_402_214_399_999 }), (ms) => {
        const iso = formatIsoUtc(ms);
        expect(iso).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'));
        expect(parseIsoInstant(iso)).toBe(ms);
      }),
      { numRuns: 3000 },
    );
  });

  it('has one canonical form', () => {
    expect(formatIsoUtc(Date.UTC(2026, 2, 29, 1))).toBe('2026-03-29T01:00:00Z');
    expect(formatIsoUtc(Date.UTC(2026, 2, 29, 1, 0, 0, 250))).toBe('2026-03-29T01:00:00.250Z');
    expect(formatIsoUtc(Date.UTC(2026, 2, 29, 1, 0, 0, 7))).toBe('2026-03-29T01:00:00.007Z');
  });

  it('refuses non-instants', () => {
    expect(() => formatIsoUtc(NaN)).toThrow(RangeError);
    expect(() => formatIsoUtc(1.5)).toThrow(RangeError);
    expect(() => formatIsoUtc(8.64e15)).toThrow(RangeError);
  });
});

describe('formatIsoOffset', () => {
  const zones = ['Europe/Stockholm', 'America/New_York', 'Asia/Kathmandu', 'UTC', 'Pacific/Chatham'] as const;

  it('is the local wall time with the zone offset (as Intl gives it), and parses back', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: MIN_TEST_MS, max: MAX_TEST_MS }), (tz, ms) => {
        const iso = formatIsoOffset(ms, tz);
        expect(iso).toBe(reference(ms, tz).iso);
        expect(parseIsoInstant(iso)).toBe(ms);
      }),
      { numRuns: 3000 },
    );
  });

  it('writes offset zero as +00:00 and non-hour offsets exactly', () => {
    expect(formatIsoOffset(Date.UTC(2026, 0, 1), 'UTC')).toBe('2026-01-01T00:00:00+00:00');
    expect(formatIsoOffset(Date.UTC(2026, 0, 1), 'Asia/Kathmandu')).toBe('2026-01-01T05:45:00+05:45');
    expect(formatIsoOffset(Date.UTC(2026, 0, 1, 0, 0, 0, 1), 'America/New_York')).toBe(
      '2025-12-31T19:00:00.001-05:00',
    );
  });

  it('falls back to UTC for local-mean-time offsets that are not whole minutes', () => {
    const ms = Date.UTC(1870, 0, 1);
    expect(reference(ms, 'Europe/Stockholm').offsetMs % 60_000).not.toBe(0);
    expect(formatIsoOffset(ms, 'Europe/Stockholm')).toBe('1870-01-01T00:00:00Z');
    expect(parseIsoInstant(formatIsoOffset(ms, 'Europe/Stockholm'))).toBe(ms);
  });
});
