import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOG_LINES,
  formatStatusTable,
  formatStopResult,
  parseInfraArgs,
  runInfraCli,
} from '../local/cli.ts';
import { UsageError } from '../local/errors.ts';

describe('parseInfraArgs', () => {
  it('parses each command', () => {
    expect(parseInfraArgs(['up'])).toEqual({ kind: 'up' });
    expect(parseInfraArgs(['down'])).toEqual({ kind: 'down' });
    expect(parseInfraArgs(['env'])).toEqual({ kind: 'env' });
    expect(parseInfraArgs(['status'])).toEqual({ kind: 'status', json: false });
    expect(parseInfraArgs(['status', '--json'])).toEqual({ kind: 'status', json: true });
  });

  it('parses logs with an optional service and line count in every spelling', () => {
    expect(parseInfraArgs(['logs'])).toEqual({
      kind: 'logs',
      services: ['kafka', 'redis', 'minio'],
      lines: DEFAULT_LOG_LINES,
    });
    expect(parseInfraArgs(['logs', 'redis', '-n', '5'])).toEqual({
      kind: 'logs',
      services: ['redis'],
      lines: 5,
    });
    expect(parseInfraArgs(['logs', '-n7', 'minio'])).toEqual({ kind: 'logs', services: ['minio'], lines: 7 });
    expect(parseInfraArgs(['logs', '--lines', '8'])).toMatchObject({ lines: 8 });
    expect(parseInfraArgs(['logs', '--lines=9', 'kafka'])).toEqual({
      kind: 'logs',
      services: ['kafka'],
      lines: 9,
    });
  });

  it('answers --help for the whole group and for each command', () => {
    expect(parseInfraArgs(['--help'])).toMatchObject({
      kind: 'help',
      text: expect.stringContaining('infra <command>') as unknown,
    });
    for (const cmd of ['up', 'down', 'status', 'logs', 'env']) {
      const parsed = parseInfraArgs([cmd, '--help']);
      expect(parsed.kind).toBe('help');
      expect(parsed.kind === 'help' && parsed.text.startsWith(`Usage: pnpm ami infra ${cmd}`)).toBe(true);
    }
    expect(parseInfraArgs(['logs', 'nonsense', '-h']).kind).toBe('help');
  });

  it.each([
    [[], /missing command/],
    [['start'], /unknown command "start"/],
    [['up', 'now'], /infra up: unexpected argument "now"/],
    [['status', '--yaml'], /unexpected argument "--yaml"/],
    [['logs', 'postgres'], /unknown service "postgres"/],
    [['logs', 'redis', 'kafka'], /at most one service/],
    [['logs', '-n'], /-n needs a number/],
    [['logs', '-n', '0'], /whole number from 1/],
    [['logs', '-n', '2.5'], /whole number from 1/],
    [['logs', '--follow'], /unknown option "--follow"/],
  ])('rejects %j with one clear line', (argv, message) => {
    let caught: unknown;
    try {
      parseInfraArgs(argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('runInfraCli', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
  }

  it('exits 2 with one stderr line on bad arguments', async () => {
    const c = capture();
    expect(await runInfraCli(['logs', '-n', 'x'], c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('').trimEnd().split('\n')).toHaveLength(1);
  });

  it('prints help on stdout and exits 0', async () => {
    const c = capture();
    expect(await runInfraCli(['env', '--help'], c.io)).toBe(0);
    expect(c.out.join('')).toContain('export NAME=value');
    expect(c.err).toEqual([]);
  });
});

describe('formatStatusTable', () => {
  it('aligns columns and shows "-" for a missing pid', () => {
    const table = formatStatusTable([
      {
        service: 'kafka',
        state: 'healthy',
        pid: 4242,
        address: '127.0.0.1:9092',
        reachable: true,
        logFile: null,
        detail: '7 topics',
      },
      {
        service: 'redis',
        state: 'external',
        pid: null,
        address: 'redis://cache:6379',
        reachable: true,
        logFile: null,
        detail: 'REDIS_URL is set',
      },
    ]);
    expect(table.split('\n')).toEqual([
      'SERVICE  STATE     PID   ADDRESS             DETAIL',
      'kafka    healthy   4242  127.0.0.1:9092      7 topics',
      'redis    external  -     redis://cache:6379  REDIS_URL is set',
    ]);
  });
});

describe('formatStopResult', () => {
  it('says what happened to each service', () => {
    expect(formatStopResult({ service: 'kafka', outcome: 'stopped', pid: 9 })).toBe('kafka: stopped (pid 9)');
    expect(formatStopResult({ service: 'redis', outcome: 'stale-pid-file', pid: 9 })).toMatch(
      /nothing signalled/,
    );
    expect(formatStopResult({ service: 'minio', outcome: 'not-running', pid: null })).toBe(
      'minio: was not running',
    );
  });
});
