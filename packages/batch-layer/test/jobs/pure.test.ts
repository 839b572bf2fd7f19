/**
 * Pure parts of the batch jobs: payload checks, job ids, sweep planning, backfill ranges, local
 * yesterday and the settings parsers.
 */
import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { ConfigError } from '@ami/shared/config';
import {
  backfillDates,
  backfillJobId,
  buildDayJobId,
  loadBatchJobSettings,
  localYesterday,
  parseCron,
  parseJobData,
  planSweep,
} from '../../src/jobs/index.ts';

const TZ = 'Europe/Stockholm';

describe('job payloads', () => {
  it('accepts valid data and rejects the rest with an UnrecoverableError', () => {
    expect(parseJobData('build-day', { date: '2026-03-29', cause: 'edit' })).toEqual({
      date: '2026-03-29',
      cause: 'edit',
    });
    expect(parseJobData('sweep-dirty', {})).toEqual({});
    expect(parseJobData('backfill', { from: '2026-03-01', to: '2026-03-31' })).toEqual({
      from: '2026-03-01',
      to: '2026-03-31',
    });
    const bad: [Parameters<typeof parseJobData>[0], unknown, RegExp][] = [
      ['build-day', { date: '2026-02-29', cause: 'edit' }, /not a calendar date/],
      ['build-day', { date: '2026-3-01', cause: 'edit' }, /\/date/],
      ['build-day', { date: '2026-03-01', cause: 'nightly' }, /\/cause/],
      ['build-day', { date: '2026-03-01' }, /cause/],
      ['build-day', null, /invalid build-day payload/],
      ['nightly', { date: '2026-03-01' }, /invalid nightly payload/],
      ['backfill', { from: '2026-03-01', to: '2026-13-01' }, /not a calendar date/],
    ];
    for (const [name, data, msg] of bad) {
      let caught: unknown;
      try {
        parseJobData(name, data);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(data)).toBeInstanceOf(UnrecoverableError);
      expect((caught as Error).message).toMatch(msg);
    }
  });

  it('job ids are deterministic, colon-free, and refuse unsafe tokens', () => {
    expect(buildDayJobId({ date: '2026-03-29', cause: 'late_data' }, 'm1700000000000')).toBe(
      'build-day.2026-03-29.late_data.m1700000000000',
    );
    expect(backfillJobId({ from: '2026-03-01', to: '2026-03-31' }, 'op-1')).toBe(
      'backfill.2026-03-01.2026-03-31.op-1',
    );
    expect(() => buildDayJobId({ date: '2026-03-29', cause: 'edit' }, 'a:b')).toThrow(RangeError);
    expect(() => buildDayJobId({ date: '2026-03-29', cause: 'edit' }, '')).toThrow(RangeError);
  });
});

describe('planSweep', () => {
  // 2026-03-31 10:00 local (CEST): 2026-03-30 ended 10 h ago, 2026-03-31 is open
  const now = Date.parse('2026-03-31T08:00:00Z');
  const dirty = ['2026-03-31', '2026-03-27', '2026-03-30', '2026-03-29', '2026-03-28', '2026-04-02'].map(
    (date) => ({
      date,
      markedAtMs: 5,
    }),
  );

  it('takes closed days oldest first up to the cap and counts the rest', () => {
    const plan = planSweep(dirty, now, TZ, 3 * 3600_000, 2);
    expect(plan.days.map((d) => d.date)).toEqual(['2026-03-27', '2026-03-28']);
    expect(plan.deferred).toBe(2);
    expect(plan.open).toBe(2); // today and a future date
  });

  it('a day is closed only after its local end plus the close delay', () => {
    // 2026-03-30 ends at 2026-03-30T22:00Z (CEST); with an 11 h delay it is still open at 08:00Z
    expect(planSweep(dirty, now, TZ, 11 * 3600_000, 10).days.map((d) => d.date)).toEqual([
      '2026-03-27',
      '2026-03-28',
      '2026-03-29',
    ]);
    expect(planSweep(dirty, now, TZ, 10 * 3600_000, 10).days.map((d) => d.date)).toContain('2026-03-30');
    expect(planSweep([], now, TZ, 0, 10)).toEqual({ days: [], deferred: 0, open: 0 });
  });
});

describe('backfillDates', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it('lists every local date of the range, DST days included', () => {
    expect(backfillDates('2026-03-28', '2026-03-30', 10, now, TZ)).toEqual([
      '2026-03-28',
      '2026-03-29',
      '2026-03-30',
    ]);
    expect(backfillDates('2026-10-25', '2026-10-25', 1, now, TZ)).toEqual(['2026-10-25']);
  });
  it('rejects bad, empty, too long and unfinished ranges', () => {
    expect(() => backfillDates('2026-03-30', '2026-03-28', 10, now, TZ)).toThrow(/empty/);
    expect(() => backfillDates('2026-03-01', '2026-03-11', 10, now, TZ)).toThrow(/11 days exceeds/);
    expect(() => backfillDates('2026-11-20', '2026-11-23', 10, now, TZ)).toThrow(/not over/);
    expect(() => backfillDates('2026-02-30', '2026-03-01', 10, now, TZ)).toThrow(/not a local date/);
  });
});

describe('localYesterday', () => {
  it('is the local date before today in the zone, across midnight and DST', () => {
    // 23:30Z on 03-29 is 01:30 CEST on 03-30
    expect(localYesterday(Date.parse('2026-03-29T23:30:00Z'), TZ)).toBe('2026-03-29');
    expect(localYesterday(Date.parse('2026-03-29T21:30:00Z'), TZ)).toBe('2026-03-28');
    expect(localYesterday(Date.parse('2026-03-29T21:30:00Z'), 'UTC')).toBe('2026-03-28');
    expect(localYesterday(Date.parse('2026-01-01T00:30:00Z'), TZ)).toBe('2025-12-31');
  });
});

describe('settings', () => {
  it('defaults match the documented ones', () => {
    const s = loadBatchJobSettings({});
    expect(s).toMatchObject({
      queue: 'ami-batch',
      nightlyCron: '30 2 * * *',
      sweepEveryS: 300,
      attempts: 5,
      backoffMs: 10_000,
      schedule: true,
    });
  });
  it('reports every bad variable at once', () => {
    let err: unknown;
    try {
      loadBatchJobSettings({
        AMI_BATCH_QUEUE: 'a:b',
        AMI_BATCH_NIGHTLY_CRON: '30 2 *',
        AMI_BATCH_ATTEMPTS: '0',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.env).sort()).toEqual([
      'AMI_BATCH_ATTEMPTS',
      'AMI_BATCH_NIGHTLY_CRON',
      'AMI_BATCH_QUEUE',
    ]);
    expect(parseCron(' 0  */6 * * 1-5 ')).toBe('0 */6 * * 1-5');
  });
});
