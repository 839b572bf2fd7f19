import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  READ_VERSION_KEY_LENGTH,
  compareReadVersions,
  pickLatest,
  readIdentityKey,
  readVersionContent,
  readVersionKey,
  sameReadIdentity,
  validateRead,
  versionDigest,
  versionDigestPrefix,
  type ReadVersion,
} from '../../src/contracts/index.ts';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '../../src/time/index.ts';
import { ctx, intervalRead, json } from './fixtures.ts';

const T0 = Date.parse('2025-01-15T08:15:00Z');

/** Versions of ONE reading, drawn from small domains so that ties on every field are frequent. */
const versionOfOneReading: fc.Arbitrary<ReadVersion> = fc.record({
  meter_id: fc.constant('MTR-000001'),
  read_type: fc.constant('INTERVAL' as const),
  intervalStartMs: fc.constant(T0),
  readTsMs: fc.constantFrom(T0 + 900_000, T0 + 960_000, T0 + 86_400_000),
  consumptionWh: fc.integer({ min: -2, max: 2 }),
  deliveredWh: fc.integer({ min: 0, max: 2 }),
  receivedWh: fc.integer({ min: 0, max: 2 }),
  estimated_flag: fc.boolean(),
  voltage_v: fc.constantFrom(null, 229.5, 230, 231.25),
  power_quality_code: fc.constantFrom(null, 0, 7),
  service_point_id: fc.constantFrom('SP-1', 'SP-2'),
  customer_id: fc.constantFrom('C-1', 'C-2'),
  transformer_id: fc.constantFrom('TX-1', 'TX-2'),
  feeder_id: fc.constant('F-1'),
});

/** Any version of any reading, over wide domains. */
const anyVersion: fc.Arbitrary<ReadVersion> = fc.record({
  meter_id: fc.constantFrom('MTR-000001', 'MTR-000002', 'A'),
  read_type: fc.constantFrom('INTERVAL' as const, 'DAILY' as const),
  intervalStartMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  readTsMs: fc.oneof(
    fc.integer({ min: MIN_INSTANT_MS, max: MAX_INSTANT_MS - 1 }),
    fc.constantFrom(MIN_INSTANT_MS, MAX_INSTANT_MS - 1, 0, T0),
  ),
  consumptionWh: fc.oneof(
    fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(-(2 ** 52) + 1, 2 ** 52 - 1),
  ),
  deliveredWh: fc.integer({ min: 0, max: 10_000_000 }),
  receivedWh: fc.integer({ min: 0, max: 10_000_000 }),
  estimated_flag: fc.boolean(),
  voltage_v: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 500, noNaN: true })),
  power_quality_code: fc.oneof(fc.constant(null), fc.nat()),
  service_point_id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/),
  customer_id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/),
  transformer_id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/),
  feeder_id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,10}$/),
});

const versions = fc.oneof(versionOfOneReading, anyVersion);
const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const byteCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('compareReadVersions is a total order over version contents', () => {
  it('antisymmetric, and 0 exactly for equal content', () => {
    fc.assert(
      fc.property(versions, versions, (a, b) => {
        expect(sign(compareReadVersions(a, b)) + sign(compareReadVersions(b, a))).toBe(0);
        expect(compareReadVersions(a, b) === 0).toBe(readVersionContent(a) === readVersionContent(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('reflexive', () => {
    fc.assert(
      fc.property(versions, (a) => {
        expect(compareReadVersions(a, { ...a })).toBe(0);
      }),
    );
  });

  it('transitive', () => {
    fc.assert(
      fc.property(versionOfOneReading, versionOfOneReading, versionOfOneReading, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareReadVersions) as [ReadVersion, ReadVersion, ReadVersion];
        expect(compareReadVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareReadVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareReadVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareReadVersions(x, y) < 0 || compareReadVersions(y, z) < 0) {
          expect(compareReadVersions(x, z)).toBeLessThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('applies SPEC 3.2: later read_ts wins, then larger consumption', () => {
    fc.assert(
      fc.property(versionOfOneReading, versionOfOneReading, (a, b) => {
        if (a.readTsMs !== b.readTsMs) {
          expect(sign(compareReadVersions(a, b))).toBe(sign(a.readTsMs - b.readTsMs));
        } else if (a.consumptionWh !== b.consumptionWh) {
          expect(sign(compareReadVersions(a, b))).toBe(sign(a.consumptionWh - b.consumptionWh));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('versionDigestPrefix', () => {
  it('is the first 32 bits of versionDigest', () => {
    fc.assert(
      fc.property(versions, (a) => {
        expect(versionDigestPrefix(a)).toBe(Number.parseInt(versionDigest(a).slice(0, 8), 16));
      }),
    );
  });
});

describe('readVersionKey', () => {
  it('is fixed-width lower-case hex', () => {
    fc.assert(
      fc.property(versions, (a) => {
        const key = readVersionKey(a);
        expect(key).toHaveLength(READ_VERSION_KEY_LENGTH);
        expect(key).toMatch(/^[0-9a-f]+$/);
      }),
    );
  });

  it('plain string order ≡ compareReadVersions', () => {
    fc.assert(
      fc.property(versions, versions, (a, b) => {
        expect(byteCompare(readVersionKey(a), readVersionKey(b))).toBe(sign(compareReadVersions(a, b)));
      }),
      { numRuns: 5000 },
    );
  });

  it('sorting by key equals sorting by compareReadVersions', () => {
    fc.assert(
      fc.property(fc.array(versionOfOneReading, { maxLength: 30 }), (list) => {
        const byCompare = [...list].sort(compareReadVersions).map(readVersionContent);
        const byKey = [...list]
          .sort((a, b) => byteCompare(readVersionKey(a), readVersionKey(b)))
          .map(readVersionContent);
        expect(byKey).toEqual(byCompare);
      }),
    );
  });

  it('orders the extremes of its domain and refuses values outside it', () => {
    const base = { ...versionOfOneReading, ...sample() };
    const lo = readVersionKey({ ...base, readTsMs: MIN_INSTANT_MS, consumptionWh: 2 ** 52 - 1 });
    const hi = readVersionKey({ ...base, readTsMs: MAX_INSTANT_MS - 1, consumptionWh: -(2 ** 52) + 1 });
    expect(lo < hi).toBe(true);
    expect(() => readVersionKey({ ...base, readTsMs: MAX_INSTANT_MS })).toThrow(RangeError);
    expect(() => readVersionKey({ ...base, consumptionWh: 2 ** 52 })).toThrow(RangeError);
    expect(() => readVersionKey({ ...base, readTsMs: 1.5 })).toThrow(RangeError);
  });
});

function sample(): ReadVersion {
  const r = validateRead(json(intervalRead()), ctx);
  if (!r.ok) throw new Error(r.reason);
  return r.read;
}

describe('pickLatest convergence', () => {
  it('folding any permutation of versions (with duplicates) gives the same winner, the maximum key', () => {
    fc.assert(
      fc.property(
        fc
          .array(versionOfOneReading, { minLength: 1, maxLength: 12 })
          .chain((vs) =>
            fc.tuple(fc.constant(vs), fc.array(fc.nat({ max: vs.length - 1 }), { maxLength: 6 })),
          ),
        fc.array(fc.nat(), { minLength: 2, maxLength: 4 }),
        ([vs, dupIdx], seeds) => {
          const withDups = [...vs, ...dupIdx.map((i) => ({ ...vs[i]! }))];
          const maxKey = withDups.map(readVersionKey).reduce((m, k) => (k > m ? k : m));
          const winners = seeds.map((seed) => {
            const order = shuffle(withDups, seed);
            return order.reduce<ReadVersion | undefined>((cur, cand) => pickLatest(cur, cand), undefined)!;
          });
          for (const w of winners) {
            expect(readVersionContent(w)).toBe(readVersionContent(winners[0]!));
            expect(readVersionKey(w)).toBe(maxKey);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('an identical duplicate changes nothing (the stored object is kept)', () => {
    const stored = sample();
    const duplicate = { ...stored };
    expect(pickLatest(stored, duplicate)).toBe(stored);
    expect(pickLatest(undefined, duplicate)).toBe(duplicate);
  });

  it('a correction with a later read_ts wins even with smaller consumption', () => {
    const stored = sample();
    const correction = { ...stored, readTsMs: stored.readTsMs + 1, consumptionWh: 0 };
    expect(pickLatest(stored, correction)).toBe(correction);
    expect(pickLatest(correction, stored)).toBe(correction);
  });
});

describe('readIdentityKey', () => {
  it('is the same for a reading whose instants are written with different offsets', () => {
    const a = validateRead(json(intervalRead()), ctx);
    const b = validateRead(
      json(
        intervalRead({
          interval_start: '2025-01-15T09:15:00+01:00',
          interval_end: '2025-01-15T09:30:00+01:00',
          read_ts: '2025-01-15T09:31:02.123+01:00',
        }),
      ),
      ctx,
    );
    if (!a.ok || !b.ok) throw new Error('fixtures must be valid');
    expect(readIdentityKey(a.read)).toBe('MTR-000001|INTERVAL|1736928900000');
    expect(readIdentityKey(b.read)).toBe(readIdentityKey(a.read));
    expect(sameReadIdentity(a.read, b.read)).toBe(true);
    expect(readVersionKey(a.read)).toBe(readVersionKey(b.read));
  });

  it('differs by read_type and interval_start', () => {
    const r = sample();
    expect(readIdentityKey({ ...r, read_type: 'DAILY' })).not.toBe(readIdentityKey(r));
    expect(readIdentityKey({ ...r, intervalStartMs: r.intervalStartMs + 900_000 })).not.toBe(
      readIdentityKey(r),
    );
  });
});

/** Deterministic Fisher–Yates with a small LCG, so a failing case replays from fast-check's seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
