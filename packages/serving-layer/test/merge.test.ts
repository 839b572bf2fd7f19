/**
 * The SPEC 6 merge rule at the watermark for every step, on DST days (Europe/Stockholm 2026-03-29:
 * 92 intervals, 2026-10-25: 100), with the batch days behind, and with nothing anywhere.
 */
import { describe, expect, it } from 'vitest';
import {
  HOUR_MS,
  INTERVAL_MS,
  intervalsInLocalDay,
  localDatesOfMonth,
  localDayBounds,
  localMonthBounds,
  parseIsoInstant,
} from '@ami/shared/time';
import {
  localDatesOfRange,
  mergeGridSeries,
  mergeMeterSeries,
  qualityOfClass,
  qualityTotal,
  seriesBuckets,
  splitSpan,
  type AuthoritativeGridWindow,
  type AuthoritativeMeterCell,
  type ProvisionalMeterInterval,
  type QualityClass,
} from '../src/merge/index.ts';

const TZ = 'Europe/Stockholm';
const Q = INTERVAL_MS;
const at = (iso: string) => {
  const ms = parseIsoInstant(iso);
  if (Number.isNaN(ms)) throw new Error(iso);
  return ms;
};
const day = (date: string) => localDayBounds(date, TZ);

/** One batch interval cell. */
const iv = (startMs: number, wh: number, q: QualityClass = 'A'): AuthoritativeMeterCell => ({
  startMs,
  endMs: startMs + Q,
  wh,
  quality: qualityOfClass(q),
});
/** One batch cell of a whole local day: `n` intervals of class A with `wh` in total, rest as given. */
const dayCell = (date: string, wh: number, extra: Partial<Record<'estimated' | 'missing', number>> = {}) => {
  const n = intervalsInLocalDay(date, TZ);
  const estimated = extra.estimated ?? 0;
  const missing = extra.missing ?? 0;
  return {
    ...day(date),
    wh,
    quality: { actual: n - estimated - missing, estimated, edited: 0, missing, outage: 0 },
  };
};
/** Realtime reads for every interval of [startMs, endMs), `wh` each. */
const reads = (startMs: number, endMs: number, wh: number): ProvisionalMeterInterval[] => {
  const out: ProvisionalMeterInterval[] = [];
  for (let s = startMs; s < endMs; s += Q) out.push({ startMs: s, wh, estimated: false });
  return out;
};

describe('buckets', () => {
  it('are whole UTC windows for 15m and 1h, local days and months for 1d and 1mo', () => {
    expect(seriesBuckets(day('2026-03-29').startMs, day('2026-03-29').endMs, '15m', TZ)).toHaveLength(92);
    expect(seriesBuckets(day('2026-10-25').startMs, day('2026-10-25').endMs, '1h', TZ)).toHaveLength(25);
    const days = seriesBuckets(at('2026-03-28T12:00:00+01:00'), at('2026-03-30T00:00:00+02:00'), '1d', TZ);
    expect(days).toEqual([day('2026-03-28'), day('2026-03-29')]);
    expect(days[1]!.endMs - days[1]!.startMs).toBe(23 * HOUR_MS);
    const months = seriesBuckets(at('2026-03-15T00:00:00Z'), at('2026-04-02T00:00:00Z'), '1mo', TZ);
    expect(months).toEqual([localMonthBounds('2026-03', TZ), localMonthBounds('2026-04', TZ)]);
  });

  it('widen a request boundary inside a window to the whole window', () => {
    const b = seriesBuckets(at('2026-03-10T10:07:00Z'), at('2026-03-10T11:01:00Z'), '1h', TZ);
    expect(b).toEqual([
      { startMs: at('2026-03-10T10:00:00Z'), endMs: at('2026-03-10T11:00:00Z') },
      { startMs: at('2026-03-10T11:00:00Z'), endMs: at('2026-03-10T12:00:00Z') },
    ]);
  });

  it('split a span at the watermark into the dates each side reads', () => {
    const span = { startMs: day('2026-03-28').startMs, endMs: day('2026-03-31').endMs };
    const { batch, realtime } = splitSpan(span, day('2026-03-30').startMs);
    expect(localDatesOfRange(batch, TZ)).toEqual(['2026-03-28', '2026-03-29']);
    expect(localDatesOfRange(realtime, TZ)).toEqual(['2026-03-30', '2026-03-31']);
    expect(localDatesOfRange(splitSpan(span, null).batch, TZ)).toEqual([]);
    expect(localDatesOfRange(splitSpan(span, null).realtime, TZ)).toHaveLength(4);
  });
});

describe('meter merge, 15m', () => {
  it('labels intervals before the watermark authoritative, after it provisional, absent ones missing', () => {
    const w = day('2026-03-11').startMs; // batch has published up to 2026-03-10
    const buckets = seriesBuckets(w - 2 * Q, w + 3 * Q, '15m', TZ);
    const points = mergeMeterSeries({
      buckets,
      watermarkMs: w,
      // the batch estimated the last interval of the day; a cell after the watermark is ignored
      authoritative: [iv(w - 2 * Q, 110), iv(w - Q, 95, 'E'), iv(w, 999_999)],
      // realtime: a read before the watermark is ignored, the second interval after it has none, the
      // third is a head-end estimate
      provisional: [
        { startMs: w - Q, wh: 777, estimated: false },
        { startMs: w, wh: 120, estimated: false },
        { startMs: w + 2 * Q, wh: 130, estimated: true },
      ],
    });
    expect(points.map((p) => [p.status, p.wh])).toEqual([
      ['authoritative', 110],
      ['authoritative', 95],
      ['provisional', 120],
      ['missing', null],
      ['provisional', 130],
    ]);
    expect(points[1]!.quality).toEqual({ actual: 0, estimated: 1, edited: 0, missing: 0, outage: 0 });
    expect(points[2]!.quality).toEqual({ actual: 1, estimated: 0, edited: 0, missing: 0, outage: 0 });
    expect(points[3]!.quality).toEqual({ actual: 0, estimated: 0, edited: 0, missing: 1, outage: 0 });
    expect(points[4]!.quality).toEqual({ actual: 0, estimated: 1, edited: 0, missing: 0, outage: 0 });
  });

  it('takes nothing from the realtime view before the watermark, even when the batch lacks the interval', () => {
    const w = day('2026-03-11').startMs;
    const points = mergeMeterSeries({
      buckets: seriesBuckets(w - Q, w, '15m', TZ),
      watermarkMs: w,
      authoritative: [],
      provisional: [{ startMs: w - Q, wh: 50, estimated: false }],
    });
    expect(points).toEqual([
      {
        startMs: w - Q,
        endMs: w,
        wh: null,
        status: 'missing',
        quality: { actual: 0, estimated: 0, edited: 0, missing: 1, outage: 0 },
      },
    ]);
  });
});

describe('meter merge, 1h', () => {
  it('assembles a bucket the watermark cuts from both sides and labels it provisional', () => {
    const hour = at('2026-03-10T10:00:00Z');
    const w = hour + 2 * Q; // (the merge accepts any interval boundary as watermark)
    const points = mergeMeterSeries({
      buckets: seriesBuckets(hour - HOUR_MS, hour + HOUR_MS, '1h', TZ),
      watermarkMs: w,
      authoritative: [
        ...[0, 1, 2, 3].map((k) => iv(hour - HOUR_MS + k * Q, 10)),
        iv(hour, 100, 'M'),
        iv(hour + Q, 0, 'X'),
        iv(hour + 2 * Q, 5000), // after the watermark: the realtime view answers
      ],
      provisional: [
        { startMs: hour + Q, wh: 7000, estimated: true }, // before the watermark: the batch answers
        { startMs: hour + 2 * Q, wh: 30, estimated: false },
        { startMs: hour + 3 * Q, wh: 40, estimated: true }, // a head-end estimate
      ],
    });
    expect(points[0]).toMatchObject({ status: 'authoritative', wh: 40 });
    expect(points[0]!.quality.actual).toBe(4);
    expect(points[1]).toEqual({
      startMs: hour,
      endMs: hour + HOUR_MS,
      status: 'provisional',
      wh: 170,
      quality: { actual: 1, estimated: 1, edited: 1, missing: 1, outage: 0 },
    });
  });

  it('gives 23 hourly buckets on 2026-03-29 and 25 on 2026-10-25, split at the watermark', () => {
    for (const [date, hours] of [
      ['2026-03-29', 23],
      ['2026-10-25', 25],
    ] as const) {
      const d = day(date);
      const w = d.startMs + 10 * HOUR_MS;
      const points = mergeMeterSeries({
        buckets: seriesBuckets(d.startMs, d.endMs, '1h', TZ),
        watermarkMs: w,
        authoritative: reads(d.startMs, w, 1).map((r) => iv(r.startMs, r.wh)),
        provisional: reads(w, d.endMs, 2),
      });
      expect(points).toHaveLength(hours);
      expect(points.filter((p) => p.status === 'authoritative')).toHaveLength(10);
      expect(points.filter((p) => p.status === 'provisional')).toHaveLength(hours - 10);
      expect(points.reduce((s, p) => s + (p.wh ?? 0), 0)).toBe(40 + (hours - 10) * 8);
    }
  });
});

describe('meter merge, 1d', () => {
  it('counts 92 and 100 intervals on the DST days and labels days by the watermark', () => {
    const w = day('2026-03-30').startMs;
    const points = mergeMeterSeries({
      buckets: seriesBuckets(day('2026-03-28').startMs, day('2026-03-30').endMs, '1d', TZ),
      watermarkMs: w,
      authoritative: [dayCell('2026-03-28', 9600), dayCell('2026-03-29', 9000, { estimated: 2 })],
      provisional: reads(w, w + 10 * Q, 50),
    });
    expect(points.map((p) => p.status)).toEqual(['authoritative', 'authoritative', 'provisional']);
    expect(points.map((p) => p.wh)).toEqual([9600, 9000, 500]);
    expect(points.map((p) => qualityTotal(p.quality))).toEqual([96, 92, 96]);
    expect(points[1]!.quality).toEqual({ actual: 90, estimated: 2, edited: 0, missing: 0, outage: 0 });
    expect(points[2]!.quality).toEqual({ actual: 10, estimated: 0, edited: 0, missing: 86, outage: 0 });

    const autumn = day('2026-10-25');
    const [p] = mergeMeterSeries({
      buckets: seriesBuckets(autumn.startMs, autumn.endMs, '1d', TZ),
      watermarkMs: autumn.startMs,
      authoritative: [],
      provisional: reads(autumn.startMs, autumn.endMs, 3),
    });
    expect(p).toMatchObject({ status: 'provisional', wh: 300, quality: { actual: 100, missing: 0 } });
  });

  it('serves days after a watermark days behind from the realtime view', () => {
    const w = day('2026-03-08').startMs; // batch stopped after 2026-03-07
    const points = mergeMeterSeries({
      buckets: seriesBuckets(day('2026-03-06').startMs, day('2026-03-11').endMs, '1d', TZ),
      watermarkMs: w,
      authoritative: [dayCell('2026-03-06', 1000), dayCell('2026-03-07', 2000)],
      provisional: [
        ...reads(day('2026-03-08').startMs, day('2026-03-08').endMs, 10),
        ...reads(day('2026-03-09').startMs, day('2026-03-09').endMs, 20),
        ...reads(day('2026-03-10').startMs, day('2026-03-10').startMs + HOUR_MS, 30),
      ],
    });
    expect(points.map((p) => [p.status, p.wh])).toEqual([
      ['authoritative', 1000],
      ['authoritative', 2000],
      ['provisional', 960],
      ['provisional', 1920],
      ['provisional', 120],
      ['missing', null],
    ]);
  });

  it('says missing for a published day whose intervals are all missing', () => {
    const [p] = mergeMeterSeries({
      buckets: [day('2026-03-10')],
      watermarkMs: day('2026-03-11').startMs,
      authoritative: [dayCell('2026-03-10', 0, { missing: 96 })],
      provisional: [],
    });
    expect(p).toMatchObject({ status: 'missing', wh: null, quality: { missing: 96, actual: 0 } });
  });
});

describe('meter merge, 1mo', () => {
  it('takes whole months before the watermark from the batch and assembles the month it cuts', () => {
    const w = day('2026-03-15').startMs;
    const before = localDatesOfMonth('2026-03').filter((d) => d < '2026-03-15');
    const marchIntervals = localDatesOfMonth('2026-03').reduce((s, d) => s + intervalsInLocalDay(d, TZ), 0);
    expect(marchIntervals).toBe(31 * 96 - 4);
    const points = mergeMeterSeries({
      buckets: seriesBuckets(localMonthBounds('2026-02', TZ).startMs, w + HOUR_MS, '1mo', TZ),
      watermarkMs: w,
      authoritative: [
        {
          ...localMonthBounds('2026-02', TZ),
          wh: 50_000,
          quality: { ...qualityOfClass('A'), actual: 28 * 96 },
        },
        ...before.map((d) => dayCell(d, 1000)),
      ],
      provisional: reads(w, w + HOUR_MS, 25),
    });
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ status: 'authoritative', wh: 50_000 });
    expect(points[1]).toMatchObject({ status: 'provisional', wh: 14 * 1000 + 100 });
    expect(qualityTotal(points[1]!.quality)).toBe(marchIntervals);
    expect(points[1]!.quality.actual).toBe(14 * 96 + 4);
    expect(points[1]!.quality.missing).toBe(marchIntervals - 14 * 96 - 4);
  });

  it('counts the days of a month the batch lacks as missing', () => {
    const w = localMonthBounds('2026-04', TZ).startMs;
    const [p] = mergeMeterSeries({
      buckets: [localMonthBounds('2026-03', TZ)],
      watermarkMs: w,
      authoritative: [dayCell('2026-03-31', 500)], // e.g. a meter_monthly row of one published day
      provisional: [],
    });
    expect(p).toMatchObject({
      status: 'authoritative',
      wh: 500,
      quality: { actual: 96, missing: 31 * 96 - 4 - 96 },
    });
  });
});

describe('meter merge, nothing anywhere', () => {
  it('is missing on both sides of the watermark and with no watermark at all', () => {
    for (const w of [null, day('2026-03-10').startMs, day('2026-03-12').startMs]) {
      const points = mergeMeterSeries({
        buckets: seriesBuckets(day('2026-03-10').startMs, day('2026-03-11').endMs, '1d', TZ),
        watermarkMs: w,
        authoritative: [],
        provisional: [],
      });
      expect(points.map((p) => [p.status, p.wh, p.quality.missing])).toEqual([
        ['missing', null, 96],
        ['missing', null, 96],
      ]);
    }
  });

  it('is provisional everywhere when nothing is published yet', () => {
    const d = day('2026-03-10');
    const [p] = mergeMeterSeries({
      buckets: [d],
      watermarkMs: null,
      authoritative: [dayCell('2026-03-10', 1)],
      provisional: reads(d.startMs, d.startMs + Q, 7),
    });
    expect(p).toMatchObject({ status: 'provisional', wh: 7, quality: { actual: 1, missing: 95 } });
  });
});

describe('meter merge guards', () => {
  it('rejects cells that cross the watermark or span buckets, and duplicate realtime intervals', () => {
    const d = day('2026-03-10');
    const buckets = seriesBuckets(d.startMs, d.endMs, '1h', TZ);
    const base = { buckets, watermarkMs: d.endMs, provisional: [] };
    expect(() => mergeMeterSeries({ ...base, authoritative: [dayCell('2026-03-10', 1)] })).toThrow(
      /several buckets/,
    );
    expect(() =>
      mergeMeterSeries({
        ...base,
        watermarkMs: d.startMs + HOUR_MS,
        authoritative: [dayCell('2026-03-10', 1)],
      }),
    ).toThrow(/crosses the watermark/);
    expect(() =>
      mergeMeterSeries({
        ...base,
        authoritative: [
          iv(d.startMs, 1),
          iv(d.startMs, 1),
          ...[1, 2, 3, 4].map((k) => iv(d.startMs + k * Q, 1)),
        ],
      }),
    ).toThrow(/cover 5 intervals/);
    expect(() =>
      mergeMeterSeries({
        ...base,
        watermarkMs: null,
        authoritative: [],
        provisional: [
          { startMs: d.startMs, wh: 1, estimated: false },
          { startMs: d.startMs, wh: 1, estimated: false },
        ],
      }),
    ).toThrow(/twice/);
  });
});

describe('grid merge', () => {
  const g = (startMs: number, over: Partial<AuthoritativeGridWindow> = {}): AuthoritativeGridWindow => ({
    startMs,
    wh: 1000,
    metersTotal: 10,
    metersReported: 9,
    estimated: 1,
    edited: 0,
    missing: 1,
    outage: 0,
    voltageAvg: 230,
    voltageMin: 228,
    voltageMax: 233,
    ...over,
  });

  it('merges a bucket the watermark cuts: energy, receipt rate, voltage over both sides', () => {
    const hour = at('2026-03-10T10:00:00Z');
    const w = hour + 2 * Q;
    const [p] = mergeGridSeries({
      buckets: seriesBuckets(hour, hour + HOUR_MS, '1h', TZ),
      watermarkMs: w,
      authoritative: [
        g(hour),
        g(hour + Q, { voltageAvg: 220, voltageMin: 210, metersReported: 10, missing: 0, estimated: 0 }),
      ],
      provisional: [
        {
          startMs: hour + 2 * Q,
          wh: 500,
          metersReported: 5,
          voltageSumCv: 5 * 24_000,
          voltageCount: 5,
          voltageMinCv: 23_500,
          voltageMaxCv: 24_500,
        },
        {
          startMs: hour + 3 * Q,
          wh: 0,
          metersReported: 0,
          voltageSumCv: 0,
          voltageCount: 0,
          voltageMinCv: null,
          voltageMaxCv: null,
        },
      ],
      provisionalMetersTotal: 10,
    });
    // voltage: 8 actual reads at 230, 10 at 220, 5 at 240 → (1840 + 2200 + 1200) / 23
    expect(p).toEqual({
      startMs: hour,
      endMs: hour + HOUR_MS,
      wh: 2500,
      status: 'provisional',
      metersTotal: 10,
      metersReported: 10,
      receiptRate: 0.6,
      voltageAvg: Math.round((5240 / 23) * 100) / 100,
      voltageMin: 210,
      voltageMax: 245,
    });
  });

  it('is authoritative before the watermark, missing where nobody reported, null rates without a total', () => {
    const d = day('2026-03-10');
    const w = d.startMs + Q;
    const points = mergeGridSeries({
      buckets: seriesBuckets(d.startMs, d.startMs + 3 * Q, '15m', TZ),
      watermarkMs: w,
      authoritative: [g(d.startMs)],
      provisional: [
        {
          startMs: w,
          wh: 0,
          metersReported: 0,
          voltageSumCv: 0,
          voltageCount: 0,
          voltageMinCv: null,
          voltageMaxCv: null,
        },
        {
          startMs: w + Q,
          wh: 300,
          metersReported: 3,
          voltageSumCv: 69_000,
          voltageCount: 3,
          voltageMinCv: 22_900,
          voltageMaxCv: 23_100,
        },
      ],
      provisionalMetersTotal: null,
    });
    expect(points.map((p) => [p.status, p.wh, p.receiptRate])).toEqual([
      ['authoritative', 1000, 0.9],
      ['missing', null, null],
      ['provisional', 300, null],
    ]);
    expect(points[2]).toMatchObject({
      metersReported: 3,
      metersTotal: null,
      voltageAvg: 230,
      voltageMin: 229,
    });
  });
});
