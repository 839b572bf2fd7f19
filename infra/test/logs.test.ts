import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLogTail, rotateLog, tailLines } from '../local/logs.ts';

const dir = mkdtempSync(join(tmpdir(), 'ami-infra-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tailLines', () => {
  it('returns the last n lines, ignoring the final newline', () => {
    expect(tailLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(tailLines('a\nb', 5)).toEqual(['a', 'b']);
    expect(tailLines('a\n', 0)).toEqual([]);
    expect(tailLines('', 3)).toEqual([]);
  });
});

describe('readLogTail', () => {
  it('reads the end of a file, never returning a line cut by the byte limit', () => {
    const file = join(dir, 'big.log');
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(readLogTail(file, 3)).toEqual(lines.slice(-3));
    const limited = readLogTail(file, 500, 2_000);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited).toEqual(lines.slice(-limited.length));
  });

  it('is empty for a missing file', () => {
    expect(readLogTail(join(dir, 'missing.log'), 10)).toEqual([]);
  });
});

describe('rotateLog', () => {
  it('moves a log over the limit to .1 and leaves small ones alone', () => {
    const file = join(dir, 'svc.log');
    writeFileSync(file, 'small');
    rotateLog(file, 100);
    expect(readFileSync(file, 'utf8')).toBe('small');
    writeFileSync(file, 'y'.repeat(200));
    rotateLog(file, 100);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.1`, 'utf8')).toHaveLength(200);
  });
});
