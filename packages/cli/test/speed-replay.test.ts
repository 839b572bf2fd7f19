import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli.ts';
import {
  REPLAY_HELP,
  SPEED_HELP,
  formatReplayReport,
  parseSpeedArgs,
  runSpeedCommand,
} from '../src/speed-replay.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('pnpm ami speed: arguments', () => {
  it('parses replay with its flags (a dry run unless --execute)', () => {
    expect(parseSpeedArgs(['replay'])).toEqual({ kind: 'replay', events: false, execute: false });
    expect(parseSpeedArgs(['replay', '--execute'])).toEqual({ kind: 'replay', events: false, execute: true });
    expect(parseSpeedArgs(['replay', '--events', '--execute'])).toEqual({
      kind: 'replay',
      events: true,
      execute: true,
    });
  });

  it('answers --help for the group and for replay', () => {
    expect(parseSpeedArgs(['--help'])).toEqual({ kind: 'help', text: SPEED_HELP });
    expect(parseSpeedArgs(['replay', '-h'])).toEqual({ kind: 'help', text: REPLAY_HELP });
    expect(REPLAY_HELP).toMatch(/^usage: pnpm ami speed replay/);
  });

  it.each([
    [[], /missing command/],
    [['rebuild'], /unknown command "rebuild"/],
    [['replay', '--yes'], /replay: .*--yes/],
    [['replay', 'now'], /replay: .*now/],
  ])('rejects %j with one line on stderr and exit 2', async (argv, message) => {
    const c = capture();
    expect(await runSpeedCommand(argv)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('')).toMatch(message);
    expect(c.err.join('').trimEnd().split('\n')).toHaveLength(1);
  });

  it('is registered as `ami speed` and prints its help with exit 0', async () => {
    const c = capture();
    expect(await runCli(['speed', 'replay', '--help'])).toBe(0);
    expect(c.out.join('')).toBe(`${REPLAY_HELP}\n`);
    c.out.length = 0;
    expect(await runCli(['--help'])).toBe(0);
    expect(c.out.join('')).toMatch(/\n {2}speed +Speed-layer operations/);
  });
});

describe('the report', () => {
  const report = {
    groupId: 'ami-speed-layer',
    keyPrefix: 'rv',
    fences: 2,
    keys: 40,
    topics: [
      {
        topic: 'ami.headend.reads',
        partitions: [
          { partition: 0, committed: '120', earliest: '20', latest: '120' },
          { partition: 1, committed: null, earliest: '0', latest: '7' },
        ],
      },
    ],
  };

  it('says what a dry run would do and that nothing changed', () => {
    expect(formatReplayReport({ ...report, executed: false })).toEqual([
      'realtime view (prefix rv): would delete 2 offset fence(s) and 40 other key(s)',
      'group ami-speed-layer, topic ami.headend.reads: would set offsets to the earliest retained (107 message(s) to replay)',
      '  partition 0: committed 120 -> 20 (log end 120)',
      '  partition 1: committed none -> 0 (log end 7)',
      'dry run: nothing changed; run again with --execute to do it',
    ]);
  });

  it('says what was done and what to do next', () => {
    const lines = formatReplayReport({ ...report, executed: true });
    expect(lines[0]).toBe('realtime view (prefix rv): deleted 2 offset fence(s) and 40 other key(s)');
    expect(lines.at(-1)).toMatch(/^done: start the speed layer/);
  });
});
