import { describe, expect, it, vi } from 'vitest';
import { SIM_HELP, UsageError, parseOutageArgs, parseSimArgs, runSimCli } from '../src/index.ts';

describe('live mode arguments', () => {
  it('defaults: not live; with --live until stopped, speedup 1, paced from today', () => {
    const files = parseSimArgs(['--to', 'files', '--out', '/tmp/x']);
    expect(files).toMatchObject({ live: false, days: 1, speedup: 1, pacedFrom: undefined });
    const live = parseSimArgs(['--to', 'kafka', '--live']);
    expect(live).toMatchObject({
      live: true,
      days: Infinity,
      speedup: 1,
      pacedFrom: undefined,
      controlPort: undefined,
      metricsPort: undefined,
      topologyOut: undefined,
    });
  });

  it('takes every live flag', () => {
    const o = parseSimArgs([
      '--to',
      'kafka',
      '--live',
      '--days',
      '3',
      '--start',
      '2026-05-01',
      '--paced-from',
      '2026-05-03',
      '--speedup',
      '360.5',
      '--control-port',
      '0',
      '--metrics-port=9464',
      '--topology-out',
      '/tmp/topo.jsonl',
    ]);
    expect(o).toMatchObject({
      live: true,
      days: 3,
      start: '2026-05-01',
      pacedFrom: '2026-05-03',
      speedup: 360.5,
      controlPort: 0,
      metricsPort: 9464,
      topologyOut: '/tmp/topo.jsonl',
    });
    expect(parseSimArgs(['--to', 'files', '--out', '/tmp/x', '--topology-out', '/tmp/t'])).toMatchObject({
      topologyOut: '/tmp/t',
    });
  });

  it.each([
    [['--to', 'files', '--out', '/tmp/x', '--live'], '--live needs --to kafka'],
    [['--to', 'kafka', '--live', '--rate', '100'], '--rate cannot be combined with --live'],
    [['--to', 'kafka', '--speedup', '10'], '--speedup needs --live'],
    [['--to', 'kafka', '--paced-from', '2026-05-01'], '--paced-from needs --live'],
    [['--to', 'kafka', '--control-port', '0'], '--control-port needs --live'],
    [['--to', 'kafka', '--metrics-port', '0'], '--metrics-port needs --live'],
    [['--to', 'kafka', '--live', '--speedup', '0.5'], '--speedup must be a number from 1'],
    [['--to', 'kafka', '--live', '--speedup', 'fast'], '--speedup must be a number from 1'],
    [['--to', 'kafka', '--live', '--paced-from', '2026-02-30'], '--paced-from must be a date'],
    [['--to', 'kafka', '--live', '--control-port', '70000'], '--control-port must be between 0 and 65535'],
    [['--to', 'kafka', '--live', '--metrics-port', '-1'], '--metrics-port must be an integer'],
    [['--to', 'kafka', '--live=yes'], '--live takes no value'],
    // one producer since the move to @platformatic/kafka: the old --producer option is gone
    [['--to', 'kafka', '--producer', 'wire'], 'unknown option --producer'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseSimArgs(argv)).toThrow(UsageError);
    expect(() => parseSimArgs(argv)).toThrow(message);
  });

  it('exits 2 with one line on stderr for a bad live argument', async () => {
    let err = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      expect(await runSimCli(['--to', 'kafka', '--live', '--speedup', '0'])).toBe(2);
      expect(await runSimCli(['outage', '--minutes', 'x', '--control', 'http://127.0.0.1:9'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err.trim().split('\n')).toHaveLength(2);
  });

  it('documents the live flags and the outage command in --help', () => {
    for (const flag of [
      '--live',
      '--paced-from',
      '--speedup',
      '--control-port',
      '--metrics-port',
      '--topology-out',
      'pnpm ami sim outage',
    ]) {
      expect(SIM_HELP).toContain(flag);
    }
  });
});

describe('sim outage arguments', () => {
  it('parses the control URL, transformer and minutes (both optional)', () => {
    expect(parseOutageArgs(['--control', 'http://127.0.0.1:4000/'])).toEqual({
      control: 'http://127.0.0.1:4000',
      request: {},
      help: false,
    });
    expect(
      parseOutageArgs(['--control=http://127.0.0.1:4000', '--transformer', 'TX-00007', '--minutes', '90']),
    ).toEqual({
      control: 'http://127.0.0.1:4000',
      request: { transformer_id: 'TX-00007', minutes: 90 },
      help: false,
    });
    expect(parseOutageArgs(['--help']).help).toBe(true);
  });

  it.each([
    [[], '--control URL is required'],
    [['--control', 'localhost:4000'], '--control must be'],
    [['--control', 'http://127.0.0.1:4000', '--minutes', '1441'], '--minutes must be an integer 1–1440'],
    [['--control', 'http://127.0.0.1:4000', '--transformer', ' '], '--transformer needs'],
    [['--control', 'http://127.0.0.1:4000', 'TX-00001'], 'unexpected argument'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseOutageArgs(argv)).toThrow(message);
  });
});
