/**
 * The pure part of a lease (no Redis): what a valid lease is, the arguments its scripts take,
 * how often a held lease is renewed, and how a script's reply reads.
 */

/** Which lease and who asks: the lease key and the owner's token (unique per holder). */
export interface LeaseRef {
  readonly key: string;
  readonly owner: string;
}

/** A lease with its time to live: it expires `ttlMs` after it was last taken or renewed. */
export interface LeaseSpec extends LeaseRef {
  readonly ttlMs: number;
}

/** Shortest renewal period of an auto-renewed lease (ms). */
export const MIN_RENEW_EVERY_MS = 100;

/** Throws a RangeError unless `lease` names a key and an owner. */
export function checkLeaseRef(lease: LeaseRef): void {
  if (lease.key === '') throw new RangeError('lease: empty key');
  if (lease.owner === '') throw new RangeError(`lease ${lease.key}: empty owner token`);
}

/** The TTL as the scripts take it (ARGV), after checking it is a positive whole number of ms. */
export function ttlArg(lease: LeaseSpec): string {
  checkLeaseRef(lease);
  if (!Number.isSafeInteger(lease.ttlMs) || lease.ttlMs <= 0) {
    throw new RangeError(`lease ${lease.key}: TTL must be a positive whole number of ms, got ${lease.ttlMs}`);
  }
  return String(lease.ttlMs);
}

/** How often a held lease is renewed: three times per TTL, at most every MIN_RENEW_EVERY_MS. */
export function renewalIntervalMs(ttlMs: number): number {
  return Math.max(MIN_RENEW_EVERY_MS, Math.floor(ttlMs / 3));
}

/** A lease script's reply as a boolean (1: done by the holder; 0: not the holder). */
export function leaseReply(reply: unknown): boolean {
  if (reply === 1) return true;
  if (reply === 0) return false;
  throw new Error(`lease script returned ${String(reply)}, expected 0 or 1`);
}
