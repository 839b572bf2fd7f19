import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLockHolder, withLock } from '../local/lock.ts';
import { procStat } from '../local/procfs.ts';

const dir = mkdtempSync(join(tmpdir(), 'ami-infra-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { timeoutMs: 10_000, log: () => undefined, purpose: 'test' };

describe('parseLockHolder', () => {
  it('reads a complete holder record and rejects anything else', () => {
    expect(parseLockHolder('{"pid":12,"startTime":34,"purpose":"infra up"}')).toEqual({
      pid: 12,
      startTime: 34,
      purpose: 'infra up',
    });
    expect(parseLockHolder('{"pid":12}')).toBeNull();
    expect(parseLockHolder('')).toBeNull();
  });
});

describe('withLock', () => {
  it('runs concurrent holders one after the other and removes the file afterwards', async () => {
    const file = join(dir, 'serial.lock');
    const events: string[] = [];
    const job = (name: string) =>
      withLock(file, quiet, async () => {
        events.push(`${name}:in`);
        await new Promise((r) => setTimeout(r, 300));
        events.push(`${name}:out`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(events).toHaveLength(4);
    expect(events[0]?.endsWith(':in') && events[1]?.endsWith(':out')).toBe(true);
    expect(events[1]?.[0]).toBe(events[0]?.[0]);
    expect(existsSync(file)).toBe(false);
  });

  it('takes over the lock of a holder that no longer exists', async () => {
    const file = join(dir, 'stale.lock');
    writeFileSync(file, JSON.stringify({ pid: 2 ** 31 - 2, startTime: 1, purpose: 'crashed up' }));
    expect(await withLock(file, quiet, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('treats a live pid with another start time as a recycled pid (stale)', async () => {
    const file = join(dir, 'recycled.lock');
    const startTime = (procStat(process.pid)?.startTime ?? 0) + 1;
    writeFileSync(file, JSON.stringify({ pid: process.pid, startTime, purpose: 'old' }));
    expect(await withLock(file, quiet, () => Promise.resolve(1))).toBe(1);
  });

  it('waits for a live holder and gives up with a clear error at the timeout', async () => {
    const file = join(dir, 'held.lock');
    const holder = {
      pid: process.pid,
      startTime: procStat(process.pid)?.startTime ?? 0,
      purpose: 'someone else',
    };
    writeFileSync(file, JSON.stringify(holder));
    await expect(withLock(file, { ...quiet, timeoutMs: 600 }, () => Promise.resolve())).rejects.toThrow(
      /timed out .*\(held by pid \d+: someone else\)/,
    );
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(holder);
  });

  it('releases the lock when the body throws', async () => {
    const file = join(dir, 'throws.lock');
    await expect(withLock(file, quiet, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(file)).toBe(false);
  });
});
