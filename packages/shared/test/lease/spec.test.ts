// The pure part of @ami/shared/lease: validation of a lease's key, owner and TTL, the renewal
// period of a held lease, and how a lease script's reply reads (no Redis needed).
import { describe, expect, it } from 'vitest';
import {
  MIN_RENEW_EVERY_MS,
  checkLeaseRef,
  leaseReply,
  renewalIntervalMs,
  ttlArg,
} from '../../src/lease/spec.ts';

describe('lease arguments', () => {
  it('passes the TTL to the scripts as whole milliseconds', () => {
    expect(ttlArg({ key: 'k', owner: 'a', ttlMs: 30_000 })).toBe('30000');
  });

  it('rejects an empty key or owner', () => {
    expect(() => checkLeaseRef({ key: '', owner: 'a' })).toThrow(RangeError);
    expect(() => checkLeaseRef({ key: 'k', owner: '' })).toThrow(RangeError);
    expect(() => ttlArg({ key: 'k', owner: '', ttlMs: 1000 })).toThrow(RangeError);
  });

  it('rejects a TTL that is not a positive whole number of ms', () => {
    for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ttlArg({ key: 'k', owner: 'a', ttlMs })).toThrow(RangeError);
    }
  });
});

describe('renewalIntervalMs', () => {
  it('renews three times per TTL', () => {
    expect(renewalIntervalMs(30_000)).toBe(10_000);
    expect(renewalIntervalMs(1_000)).toBe(333);
  });

  it('never renews more often than every MIN_RENEW_EVERY_MS', () => {
    expect(renewalIntervalMs(150)).toBe(MIN_RENEW_EVERY_MS);
    expect(renewalIntervalMs(1)).toBe(MIN_RENEW_EVERY_MS);
  });
});

describe('leaseReply', () => {
  it('reads 1 as held and 0 as not held', () => {
    expect(leaseReply(1)).toBe(true);
    expect(leaseReply(0)).toBe(false);
  });

  it('refuses any other reply', () => {
    expect(() => leaseReply('1')).toThrow();
    expect(() => leaseReply(null)).toThrow();
    expect(() => leaseReply(2)).toThrow();
  });
});
