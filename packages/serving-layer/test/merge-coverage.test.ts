/**
 * The merge rule per published local day (src/merge/coverage.ts): an isolated day published before
 * the watermark (a late read for an old day) is authoritative and takes nothing away from the
 * published range; an unpublished gap day before the watermark is provisional when the realtime
 * view holds it, else missing; with one run of published days the answers are those of the single
 * watermark cut. Europe/Stockholm.
 */
import { describe, expect, it } from 'vitest';
import { publishedDaysFrom } from '@ami/shared/catalog';
import {
  HOUR_MS,
  INTERVAL_MS,
  intervalsInLocalDay,
  localDatesBetween,
  localDayBounds,
  localMonthBounds,
} from '@ami/shared/time';
import {
  batchDatesOf,
  batchIntervalsIn,
  coversInterval,
  mergeGridSeries,
  mergeMeterSeries,
  publishedCoverage,
  qualityOfClass,
  realtimeDatesOf,
  seriesBuckets,
  watermarkCoverage,
  type AuthoritativeGridWindow,
  type AuthoritativeMeterCell,
  type ProvisionalGridWindow,
  type ProvisionalMeterInterval,
} from '../src/merge/index.ts';

const TZ = 'Europe/Stockholm';
const Q = INTERVAL_MS;
const day = (date: string) => localDayBounds(date, TZ);
const MARCH = localDatesBetween('2026-03-01', '2026-03-31');
const W = day('2026-03-31').endMs; // the watermark: 2026-04-01T00:00+02:00

const dayCell = (date: string, wh: number): AuthoritativeMeterCell => ({
  ...day(date),
  wh,
  quality: { ...qualityOfClass('A'), actual: intervalsInLocalDay(date, TZ) },
});
const ivCells = (date: string, wh: number): AuthoritativeMeterCell[] => {
  const out: AuthoritativeMeterCell[] = [];
  for (let s = day(date).startMs; s < day(date).endMs; s += Q)
    out.push({ startMs: s, endMs: s + Q, wh, quality: qualityOfClass('A') });
  return out;
};
const reads = (startMs: number, endMs: number, wh: number): ProvisionalMeterInterval[] => {
  const out: ProvisionalMeterInterval[] = [];
  for (let s = startMs; s < endMs; s += Q) out.push({ startMs: s, wh, estimated: false });
  return out;
};
const coverageOf = (days: readonly string[]) => publishedCoverage(publishedDaysFrom(days), TZ);

describe('batch coverage', () => {
  it('is the single watermark cut when the published days form one run', () => {
    const c = coverageOf(MARCH);
    const w = watermarkCoverage(W);
    expect(c.ranges).toEqual(w.ranges);
    const span = { startMs: day('2026-02-27').startMs, endMs: day('2026-04-02').endMs };
    expect(batchDatesOf(c, span, TZ)).toEqual(localDatesBetween('2026-02-27', '2026-03-31'));
    expect(realtimeDatesOf(c, span, TZ)).toEqual(['2026-04-01', '2026-04-02']);
    expect(watermarkCoverage(null).ranges).toEqual([]);
    expect(coverageOf([]).ranges).toEqual([]);
  });

  it('answers an isolated old day from the batch and leaves the gap around it to the realtime view', () => {
    const c = coverageOf(['2026-02-10', ...MARCH]);
    expect(coversInterval(c, day('2026-02-09').startMs)).toBe(true); // before the first published day
    expect(coversInterval(c, day('2026-02-10').endMs - Q)).toBe(true);
    expect(coversInterval(c, day('2026-02-11').startMs)).toBe(false);
    expect(coversInterval(c, day('2026-02-28').endMs - Q)).toBe(false);
    expect(coversInterval(c, day('2026-03-01').startMs)).toBe(true);
    expect(coversInterval(c, W - Q)).toBe(true);
    expect(coversInterval(c, W)).toBe(false);
    const feb = localMonthBounds('2026-02', TZ);
    expect(batchIntervalsIn(c, feb)).toBe(10 * 96);
    expect(realtimeDatesOf(c, feb, TZ)).toEqual(localDatesBetween('2026-02-11', '2026-02-28'));
    // a gap inside the published range: 2026-03-11 unpublished, 03-12 published
    const gap = coverageOf(MARCH.filter((d) => d !== '2026-03-11'));
    const span = { startMs: day('2026-03-10').startMs, endMs: day('2026-03-12').endMs };
    expect(batchDatesOf(gap, span, TZ)).toEqual(['2026-03-10', '2026-03-12']);
    expect(realtimeDatesOf(gap, span, TZ)).toEqual(['2026-03-11']);
  });
});

describe('meter merge per published day', () => {
  const published = ['2026-02-10', ...MARCH];
  const coverage = coverageOf(published);

  it('keeps every March day authoritative and makes the isolated 2026-02-10 authoritative', () => {
    const buckets = seriesBuckets(day('2026-02-09').startMs, day('2026-04-01').endMs, '1d', TZ);
    const authoritative = [dayCell('2026-02-10', 777), ...MARCH.map((d) => dayCell(d, 1000))];
    const before = mergeMeterSeries({
      buckets,
      watermarkMs: W,
      coverage: coverageOf(MARCH),
      authoritative: MARCH.map((d) => dayCell(d, 1000)),
      provisional: [],
    });
    const after = mergeMeterSeries({ buckets, watermarkMs: W, coverage, authoritative, provisional: [] });
    const status = (ps: typeof after, date: string) => ps.find((p) => p.startMs === day(date).startMs)!;
    for (const d of MARCH) {
      expect(status(after, d)).toEqual(status(before, d));
      expect(status(after, d)).toMatchObject({ status: 'authoritative', wh: 1000 });
    }
    expect(status(after, '2026-02-10')).toMatchObject({
      status: 'authoritative',
      wh: 777,
      quality: { actual: 96, missing: 0 },
    });
    expect(status(before, '2026-02-10')).toMatchObject({ status: 'missing', wh: null });
    // before the first published day: the batch answers with nothing, as before
    expect(status(after, '2026-02-09')).toMatchObject({ status: 'missing', wh: null });
    expect(status(after, '2026-04-01')).toMatchObject({ status: 'missing', wh: null });
  });

  it('serves an unpublished gap day before the watermark from the realtime view, else missing', () => {
    const buckets = seriesBuckets(day('2026-02-10').startMs, day('2026-02-12').endMs, '1d', TZ);
    const base = {
      buckets,
      watermarkMs: W,
      coverage,
      authoritative: [dayCell('2026-02-10', 777)],
    };
    const realtime = [
      ...reads(day('2026-02-10').startMs, day('2026-02-10').startMs + HOUR_MS, 999), // ignored: published
      ...reads(day('2026-02-11').startMs, day('2026-02-11').startMs + 2 * HOUR_MS, 10),
    ];
    const withRt = mergeMeterSeries({ ...base, provisional: realtime });
    expect(withRt.map((p) => [p.status, p.wh])).toEqual([
      ['authoritative', 777],
      ['provisional', 80],
      ['missing', null],
    ]);
    expect(withRt[1]!.quality).toEqual({ actual: 8, estimated: 0, edited: 0, missing: 88, outage: 0 });
    const without = mergeMeterSeries({ ...base, provisional: [] });
    expect(without.map((p) => [p.status, p.wh])).toEqual([
      ['authoritative', 777],
      ['missing', null],
      ['missing', null],
    ]);
    expect(without[1]!.quality.missing).toBe(96);
  });

  it('labels hourly buckets per day across a gap inside the published range', () => {
    const gapCoverage = coverageOf(MARCH.filter((d) => d !== '2026-03-11'));
    const buckets = seriesBuckets(
      day('2026-03-10').endMs - HOUR_MS,
      day('2026-03-12').startMs + HOUR_MS,
      '1h',
      TZ,
    );
    const points = mergeMeterSeries({
      buckets,
      watermarkMs: W,
      coverage: gapCoverage,
      authoritative: [...ivCells('2026-03-10', 5), ...ivCells('2026-03-11', 6), ...ivCells('2026-03-12', 7)],
      provisional: reads(day('2026-03-11').startMs, day('2026-03-11').startMs + HOUR_MS, 3),
    });
    expect(points).toHaveLength(26);
    expect(points[0]).toMatchObject({ status: 'authoritative', wh: 20 });
    // 03-11: its batch cells are not published (ignored); the first hour from the realtime view
    expect(points[1]).toMatchObject({ status: 'provisional', wh: 12, quality: { actual: 4 } });
    expect(points.slice(2, 25).every((p) => p.status === 'missing')).toBe(true);
    expect(points[25]).toMatchObject({ status: 'authoritative', wh: 28 });
  });

  it('takes a whole published month from meter_monthly and labels a month with a gap provisional', () => {
    const buckets = seriesBuckets(localMonthBounds('2026-02', TZ).startMs, W, '1mo', TZ);
    const marchIntervals = MARCH.reduce((n, d) => n + intervalsInLocalDay(d, TZ), 0);
    const points = mergeMeterSeries({
      buckets,
      watermarkMs: W,
      coverage,
      authoritative: [
        dayCell('2026-02-10', 777),
        {
          ...localMonthBounds('2026-03', TZ),
          wh: 31_000,
          quality: { ...qualityOfClass('A'), actual: marchIntervals },
        },
      ],
      provisional: reads(day('2026-02-20').startMs, day('2026-02-20').startMs + Q, 4),
    });
    expect(points.map((p) => [p.status, p.wh])).toEqual([
      ['provisional', 781],
      ['authoritative', 31_000],
    ]);
    expect(points[0]!.quality).toMatchObject({ actual: 97, missing: 28 * 96 - 97 });
  });

  it('rejects a batch cell that reaches into an unpublished day', () => {
    const gapCoverage = coverageOf(MARCH.filter((d) => d !== '2026-03-11'));
    expect(() =>
      mergeMeterSeries({
        buckets: [localMonthBounds('2026-03', TZ)],
        watermarkMs: W,
        coverage: gapCoverage,
        authoritative: [{ ...localMonthBounds('2026-03', TZ), wh: 1, quality: qualityOfClass('A') }],
        provisional: [],
      }),
    ).toThrow(/unpublished day/);
  });

  it('gives the same answers as the watermark cut when the published days form one run', () => {
    const buckets = seriesBuckets(day('2026-03-29').startMs, day('2026-04-01').endMs, '1h', TZ);
    const input = {
      buckets,
      watermarkMs: W,
      authoritative: [...ivCells('2026-03-29', 1), ...ivCells('2026-03-31', 2)],
      provisional: reads(day('2026-03-30').startMs, day('2026-04-01').startMs + 3 * HOUR_MS, 9),
    };
    expect(mergeMeterSeries({ ...input, coverage: coverageOf(MARCH) })).toEqual(mergeMeterSeries(input));
    expect(mergeMeterSeries({ ...input, watermarkMs: null, coverage: coverageOf([]) })).toEqual(
      mergeMeterSeries({ ...input, watermarkMs: null }),
    );
  });
});

describe('grid merge per published day', () => {
  const g = (startMs: number, wh: number): AuthoritativeGridWindow => ({
    startMs,
    wh,
    metersTotal: 4,
    metersReported: 4,
    estimated: 0,
    edited: 0,
    missing: 0,
    outage: 0,
    voltageAvg: 230,
    voltageMin: 229,
    voltageMax: 231,
  });
  const rt = (startMs: number, wh: number, reported: number): ProvisionalGridWindow => ({
    startMs,
    wh,
    metersReported: reported,
    voltageSumCv: reported * 23_000,
    voltageCount: reported,
    voltageMinCv: reported > 0 ? 23_000 : null,
    voltageMaxCv: reported > 0 ? 23_000 : null,
  });

  it('answers the isolated day from grid_15m and a gap day from the realtime windows', () => {
    const coverage = coverageOf(['2026-02-10', ...MARCH]);
    const t10 = day('2026-02-10').startMs;
    const t11 = day('2026-02-11').startMs;
    const points = mergeGridSeries({
      buckets: seriesBuckets(t10, t11 + 2 * Q, '15m', TZ).filter(
        (b) => b.startMs < t10 + Q || b.startMs >= t11,
      ),
      watermarkMs: W,
      coverage,
      authoritative: [g(t10, 100), g(t11, 555)], // the 02-11 window is not published: ignored
      provisional: [rt(t10, 999, 4), rt(t11, 40, 2), rt(t11 + Q, 0, 0)],
      provisionalMetersTotal: 4,
    });
    expect(points.map((p) => [p.status, p.wh, p.receiptRate])).toEqual([
      ['authoritative', 100, 1],
      ['provisional', 40, 0.5],
      ['missing', null, null],
    ]);
  });
});
