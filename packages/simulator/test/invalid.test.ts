import { describe, expect, it } from 'vitest';
import { validateRead } from '@ami/shared/contracts';
import { DAY_MS, INTERVAL_MS, formatIsoOffset, parseIsoInstant } from '@ami/shared/time';
import { intervalRead } from '../src/encode.ts';
import { futureTimestamp } from '../src/invalid.ts';

const TZ = 'America/Chicago';
const startMs = Date.UTC(2026, 2, 10, 15, 0); // 2026-03-10 10:00 local (CDT)
const readTsMs = startMs + INTERVAL_MS + 42_000;
const prefix =
  '{"meter_id":"MTR-000001","service_point_id":"SP-000001","customer_id":"CUST-000001",' +
  '"transformer_id":"TX-0001","feeder_id":"FDR-01","read_type":"INTERVAL","interval_start":"';
const message = intervalRead(
  prefix,
  formatIsoOffset(startMs, TZ),
  formatIsoOffset(startMs + INTERVAL_MS, TZ),
  250,
  0,
  '240.1',
  0,
  formatIsoOffset(readTsMs, TZ),
);
const src = { message, startMs, readTsMs, timeZone: TZ };

const shifted = (m: string) => {
  const r = JSON.parse(m) as { interval_start: string; interval_end: string; read_ts: string };
  return {
    startMs: parseIsoInstant(r.interval_start),
    endMs: parseIsoInstant(r.interval_end),
    readTsMs: parseIsoInstant(r.read_ts),
  };
};

describe('futureTimestamp', () => {
  it('starts from a valid read', () => {
    expect(validateRead(message, { nowMs: readTsMs, timeZone: TZ }).ok).toBe(true);
  });

  it('dates the copy 2–30 whole days after the simulated produce time when no clock is given', () => {
    for (const pick of [0, 0.5, 0.999]) {
      const bad = futureTimestamp(src, pick);
      const s = shifted(bad.message);
      const days = (s.startMs - startMs) / DAY_MS;
      expect(Number.isInteger(days) && days >= 2 && days <= 30).toBe(true);
      expect(bad.variant).toBe(`plus_${days}_days`);
      expect(s.endMs - s.startMs).toBe(INTERVAL_MS);
      expect(s.readTsMs - s.startMs).toBe(readTsMs - startMs);
      expect(validateRead(bad.message, { nowMs: readTsMs, timeZone: TZ })).toMatchObject({
        ok: false,
        reason: 'FUTURE_TIMESTAMP',
      });
    }
  });

  it('stays in the future of a platform clock that is ahead of simulated time (replay of past days)', () => {
    const nowMs = startMs + 40 * DAY_MS + 7 * 60_000; // a replay 40 days later
    for (const pick of [0, 0.3, 0.999]) {
      const bad = futureTimestamp({ ...src, nowMs }, pick);
      const s = shifted(bad.message);
      expect(s.startMs).toBeGreaterThanOrEqual(nowMs + 2 * DAY_MS - INTERVAL_MS);
      expect((s.startMs - startMs) % INTERVAL_MS).toBe(0); // still aligned to the 15-minute grid
      expect(validateRead(bad.message, { nowMs, timeZone: TZ })).toMatchObject({
        ok: false,
        reason: 'FUTURE_TIMESTAMP',
      });
      // ...whereas the copy dated from simulated time alone would be valid by then.
      const naive = futureTimestamp(src, pick);
      expect(validateRead(naive.message, { nowMs, timeZone: TZ }).ok).toBe(true);
    }
  });
});
