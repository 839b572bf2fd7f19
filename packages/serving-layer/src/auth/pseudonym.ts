/**
 * Stable customer-id pseudonyms for roles that may not see customer identifiers (SPEC 6: analysts).
 * HMAC-SHA-256 keyed with AMI_API_PSEUDONYM_SECRET: the same id always maps to the same pseudonym
 * (joins and group-bys still work across requests and restarts), and without the secret the id
 * cannot be recovered by hashing candidate ids.
 */
import { createHmac } from 'node:crypto';

export type Pseudonymiser = (customerId: string) => string;

/** 'cust-' + 20 base32hex-like characters (100 bits of the HMAC): collisions are negligible. */
export function createPseudonymiser(secret: string): Pseudonymiser {
  if (secret.length < 16) throw new Error('pseudonym secret must be at least 16 characters');
  return (customerId: string): string => {
    const mac = createHmac('sha256', secret).update(customerId, 'utf8').digest();
    // 100 bits as 20 lowercase base-32 digits (0-9a-v), stable and URL-safe.
    let bits = 0n;
    for (let i = 0; i < 13; i++) bits = (bits << 8n) | BigInt(mac[i] ?? 0);
    bits >>= 4n;
    return `cust-${bits.toString(32).padStart(20, '0')}`;
  };
}
