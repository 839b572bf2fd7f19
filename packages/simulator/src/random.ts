/**
 * Seeded randomness. Every random choice of the simulator is a pure function of (seed, stream, a, b)
 * through `hash4`, so a value does not depend on the order in which the simulator asks for it:
 * two runs with the same seed produce the same fleet, the same signals and the same faults.
 */

/** 32-bit avalanche mix (lowbias32 by Chris Wellons). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A uniform unsigned 32-bit integer from four integer inputs. */
export function hash4(seed: number, stream: number, a: number, b: number): number {
  let h = mix32(seed ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(stream + 1, 0x85ebca6b));
  h = mix32(h ^ Math.imul(a + 1, 0xc2b2ae35));
  return mix32(h ^ Math.imul(b + 1, 0x27d4eb2f));
}

const TWO_POW_32 = 4_294_967_296;

/** A uniform number in [0, 1) from (seed, stream, a, b). */
export function uniform(seed: number, stream: number, a: number, b: number): number {
  return hash4(seed, stream, a, b) / TWO_POW_32;
}

/** A uniform integer in [lo, hi] (inclusive) from (seed, stream, a, b). */
export function uniformInt(
  seed: number,
  stream: number,
  a: number,
  b: number,
  lo: number,
  hi: number,
): number {
  return lo + Math.floor(uniform(seed, stream, a, b) * (hi - lo + 1));
}

/** An approximately standard-normal number (sum of four uniforms, scaled) from (seed, stream, a, b). */
export function gaussian(seed: number, stream: number, a: number, b: number): number {
  const h1 = hash4(seed, stream, a, b);
  const h2 = mix32(h1 ^ 0x68e31da4);
  const s = (h1 & 0xffff) + (h1 >>> 16) + (h2 & 0xffff) + (h2 >>> 16);
  // Four uniforms on [0, 65535]: mean 131070, variance 4 · 65536² / 12.
  return (s - 131_070) / 37_837.2;
}

/** A sequential generator (mulberry32) for places where a stream of values is drawn in a fixed order. */
export function sequence(seed: number, stream: number): () => number {
  let state = hash4(seed, stream, 0, 0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}

/** Named random streams, so two uses of the seed never draw the same numbers. */
export const STREAM = {
  topology: 1,
  loadNoise: 2,
  pvCloud: 3,
  voltageNoise: 4,
  readDelay: 5,
  faultPick: 6,
  faultDetail: 7,
  dayFaults: 8,
  transformerFaults: 9,
  invalid: 10,
  control: 11,
} as const;
