/** `ami up` argument parsing and the status line (pure). */
import { describe, expect, it } from 'vitest';
import { compactCount, lagText, statusLine, unpublishedGapDays } from '../src/platform/status.ts';
import { parseUpArgs } from '../src/up.ts';

describe('parseUpArgs', () => {
  it('has the documented defaults', () => {
    expect(parseUpArgs([])).toEqual({
      meters: 10_000,
      historyDays: 2,
      speedup: 60,
      faults: 'all',
      seed: 1,
      sim: true,
      keepInfra: false,
      help: false,
    });
  });
  it('reads every flag', () => {
    expect(
      parseUpArgs([
        '--meters',
        '500',
        '--history-days',
        '0',
        '--speedup',
        '3600',
        '--faults',
        'outage,tamper',
        '--seed',
        '7',
        '--no-sim',
        '--keep-infra',
      ]),
    ).toMatchObject({
      meters: 500,
      historyDays: 0,
      speedup: 3600,
      faults: 'outage,tamper',
      seed: 7,
      sim: false,
      keepInfra: true,
    });
  });
  it.each([
    [['--meters', '0'], /--meters must be between 1 and 1000000/],
    [['--meters', 'ten'], /--meters must be an integer/],
    [['--history-days', '15'], /--history-days must be between 0 and 14/],
    [['--speedup', '0.5'], /--speedup must be a number between 1 and 100000/],
    [['--faults', 'gremlins'], /unknown "gremlins"/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('%j is refused with one line', (argv, message) => {
    expect(() => parseUpArgs(argv)).toThrow(message);
  });
});

describe('status line', () => {
  const base = {
    nowMs: Date.parse('2026-11-23T14:02:11Z'),
    processes: [
      { name: 'speed-layer', state: 'running', pid: 1, restarts: 0, lastExit: undefined, logFile: '' },
      { name: 'api', state: 'restarting', pid: undefined, restarts: 1, lastExit: 'code 1', logFile: '' },
    ],
    sim: { clock: '2026-11-23T13:45:00.000Z', reads: 1_920_000, lagS: 1020 },
    controlUrl: 'http://127.0.0.1:40001',
    backfill: { state: 'running', done: 1, total: 2 },
    watermark: '2026-11-22T23:00:00.000Z',
    timeZone: 'Europe/Stockholm',
    version: 'v7',
    openAlerts: 3,
  } as const;
  it('shows processes, simulator, backfill, watermark, alerts and the control URL', () => {
    expect(statusLine(base)).toBe(
      '14:02:11 UTC · 1/2 up (api restarting) · sim 2026-11-23 13:45 (−17 min) 1.92 M reads · backfill 1/2 days · published through 2026-11-22 v7 · 3 open alerts · control http://127.0.0.1:40001',
    );
  });
  it('names the watermark day as published through, and the unpublished gap days before it', () => {
    // published: 2026-10-01 alone, then 2026-11-20..22 (watermark: end of 2026-11-22)
    const views = [
      {
        view: 'meter_daily',
        partitions: 4,
        firstPartition: 'date=2026-10-01',
        lastPartition: 'date=2026-11-22',
      },
      {
        view: 'meter_monthly',
        partitions: 2,
        firstPartition: 'month=2026-10',
        lastPartition: 'month=2026-11',
      },
    ];
    const gapDays = unpublishedGapDays(views);
    expect(gapDays).toBe(49); // 2026-10-02 … 2026-11-19
    expect(statusLine({ ...base, gapDays })).toContain(
      '· published through 2026-11-22 v7 (49 gap days unpublished) ·',
    );
    expect(statusLine({ ...base, gapDays: 1 })).toContain('(1 gap day unpublished)');
    expect(statusLine({ ...base, gapDays: 0 })).toContain('· published through 2026-11-22 v7 ·');
    expect(
      unpublishedGapDays([
        { partitions: 3, firstPartition: 'date=2026-11-20', lastPartition: 'date=2026-11-22' },
      ]),
    ).toBe(0);
    expect(unpublishedGapDays([])).toBeNull();
  });
  it('says when nothing is published and the backfill waits', () => {
    const line = statusLine({
      ...base,
      watermark: null,
      version: null,
      backfill: { state: 'waiting-for-history', done: 0, total: 0 },
      sim: null,
      openAlerts: 1,
    });
    expect(line).toContain('backfill waiting for history');
    expect(line).toContain('no batch views yet');
    expect(line).toContain('1 open alert ·');
  });
  it('formats counts and lags', () => {
    expect([999, 1234, 45_000, 2_500_000].map(compactCount)).toEqual(['999', '1.2 k', '45 k', '2.50 M']);
    expect([30, 1020, 9000, 200_000].map(lagText)).toEqual(['live', '−17 min', '−2.5 h', '−2.3 d']);
  });
});
