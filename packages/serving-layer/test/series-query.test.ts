/** Query checks of the series routes beyond the schema: instants, order, range limit per step. */
import { describe, expect, it } from 'vitest';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '@ami/shared/time';
import {
  EARLIEST_QUERY_MS,
  LATEST_QUERY_MS,
  MAX_RANGE_DAYS,
  parseSeriesQuery,
} from '../src/routes/series.ts';

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as { statusCode: number; message: string; details?: Record<string, unknown> };
  }
  throw new Error('no error thrown');
};

describe('parseSeriesQuery', () => {
  it('parses instants with any offset', () => {
    expect(
      parseSeriesQuery({ from: '2026-03-29T00:00:00+01:00', to: '2026-03-29T22:00:00Z', step: '1h' }),
    ).toEqual({
      fromMs: Date.UTC(2026, 2, 28, 23),
      toMs: Date.UTC(2026, 2, 29, 22),
      step: '1h',
    });
  });

  it('rejects impossible instants and from ≥ to with 400', () => {
    expect(
      err(() => parseSeriesQuery({ from: '2026-02-30T00:00:00Z', to: '2026-03-01T00:00:00Z', step: '1d' })),
    ).toMatchObject({
      statusCode: 400,
      message:
        'query parameter "from" must be an ISO-8601 instant with offset (Z or ±HH:MM), e.g. ' +
        '2026-03-01T00:00:00+01:00 naming a real date and time; received "2026-02-30T00:00:00Z"',
    });
    expect(
      err(() =>
        parseSeriesQuery({ from: '2026-03-01T00:00:00Z', to: '2026-03-01T01:00:00+01:00', step: '15m' }),
      ),
    ).toMatchObject({
      statusCode: 400,
      message:
        'query parameter "to" must be after "from" (2026-03-01T00:00:00Z); received "2026-03-01T01:00:00+01:00"',
    });
  });

  it('rejects instants outside years 0002–9998 with 400 naming the allowed range', () => {
    // found by a utility's own test: these answered 500 (RangeError: instant out of range)
    for (const [from, to, bad] of [
      ['9999-12-31T00:00:00Z', '9999-12-31T12:00:00Z', 'from'],
      ['0001-01-01T00:00:00Z', '0001-01-01T12:00:00Z', 'from'],
      ['9998-12-31T00:00:00Z', '9999-01-01T00:00:00Z', 'to'],
      ['0002-01-01T01:00:00+02:00', '0002-01-01T12:00:00Z', 'from'],
    ] as const) {
      const e = err(() => parseSeriesQuery({ from, to, step: '1h' }));
      expect(e).toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(
          new RegExp(
            `^query parameter "${bad}" must be at or after 0002-01-01T00:00:00Z and before ` +
              '9999-01-01T00:00:00Z; received "[0-9]{4}-',
          ),
        ) as unknown,
        details: { in: 'querystring', issues: [{ field: bad }] },
      });
    }
    expect(
      parseSeriesQuery({ from: '9998-12-31T00:00:00Z', to: '9998-12-31T12:00:00Z', step: '1h' }).step,
    ).toBe('1h');
    expect(
      parseSeriesQuery({ from: '0002-01-01T00:00:00Z', to: '0002-01-01T12:00:00Z', step: '1h' }).step,
    ).toBe('1h');
    // a margin of ≥ 300 days to the time library's range: every local day and month around from/to fits
    expect(EARLIEST_QUERY_MS - MIN_INSTANT_MS).toBeGreaterThan(300 * 86_400_000);
    expect(MAX_INSTANT_MS - LATEST_QUERY_MS).toBeGreaterThan(300 * 86_400_000);
  });

  it('limits the range per step', () => {
    const day = 86_400_000;
    const from = '2026-01-01T00:00:00Z';
    for (const [step, days] of Object.entries(MAX_RANGE_DAYS) as [keyof typeof MAX_RANGE_DAYS, number][]) {
      const ok = new Date(Date.parse(from) + days * day).toISOString();
      const over = new Date(Date.parse(from) + days * day + 1000).toISOString();
      expect(parseSeriesQuery({ from, to: ok, step }).step).toBe(step);
      const e = err(() => parseSeriesQuery({ from, to: over, step }));
      expect(e.statusCode).toBe(400);
      expect(e.message).toBe(
        `query parameter "to" must be at most ${days} days after "from" with step ${step}; received "${over}"`,
      );
    }
  });
});
