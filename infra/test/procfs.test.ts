import { describe, expect, it } from 'vitest';
import {
  cmdlineMatches,
  isAlive,
  parseCmdline,
  parseProcStat,
  procCmdline,
  procStat,
} from '../local/procfs.ts';

describe('parseProcStat', () => {
  it('reads state and start time, even when the command name has spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    expect(parseProcStat(`4242 (weird (name) x) ${fields.join(' ')}\n`)).toEqual({
      state: 'S',
      startTime: 123456,
    });
  });

  it('returns null for garbage', () => {
    expect(parseProcStat('no parens here')).toBeNull();
    expect(parseProcStat('1 (x) S 2')).toBeNull();
  });
});

describe('parseCmdline', () => {
  it('splits NUL-separated arguments and keeps empty ones', () => {
    expect(parseCmdline('redis-server\0--save\0\0--port\x006379\0')).toEqual([
      'redis-server',
      '--save',
      '',
      '--port',
      '6379',
    ]);
    expect(parseCmdline('')).toEqual([]);
  });
});

describe('cmdlineMatches', () => {
  const argv = ['/usr/bin/java', '-cp', '/c/libs/*', 'kafka.Kafka', '/c/kafka/server.properties'];

  it('needs every marker as a whole argument', () => {
    expect(cmdlineMatches(argv, ['kafka.Kafka', '/c/kafka/server.properties'])).toBe(true);
    expect(cmdlineMatches(argv, ['kafka.Kafka', '/other/kafka/server.properties'])).toBe(false);
    expect(cmdlineMatches(argv, ['kafka'])).toBe(false);
  });

  it('never matches with no markers', () => {
    expect(cmdlineMatches(argv, [])).toBe(false);
  });
});

describe('/proc readers', () => {
  it('see this process as alive with its own argv', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(procStat(process.pid)?.startTime).toBeGreaterThan(0);
    expect(procCmdline(process.pid)?.[0]).toContain('node');
  });

  it('treat impossible pids as not alive', () => {
    expect(isAlive(0)).toBe(false);
    expect(isAlive(-1)).toBe(false);
    expect(isAlive(2 ** 31 - 2)).toBe(false);
    expect(procCmdline(2 ** 31 - 2)).toBeNull();
  });
});
