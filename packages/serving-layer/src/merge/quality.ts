/**
 * Quality counts of a series point: how many of the bucket's 15-minute intervals (meter series) are
 * actual, estimated, edited, missing or outage (SPEC 5 classes A, E, M, X, O). The five counts add up
 * to the intervals of the bucket. Provisional intervals count as actual when the realtime view holds
 * a read, as estimated when that read carries the head-end's estimated_flag, as missing when it holds
 * none.
 */
export interface QualityCounts {
  actual: number;
  estimated: number;
  edited: number;
  missing: number;
  outage: number;
}

export type QualityClass = 'A' | 'E' | 'M' | 'X' | 'O';

export function emptyQuality(): QualityCounts {
  return { actual: 0, estimated: 0, edited: 0, missing: 0, outage: 0 };
}

/** Counts of one interval of class `q`. */
export function qualityOfClass(q: QualityClass): QualityCounts {
  const c = emptyQuality();
  switch (q) {
    case 'A':
      c.actual = 1;
      break;
    case 'E':
      c.estimated = 1;
      break;
    case 'M':
      c.edited = 1;
      break;
    case 'X':
      c.missing = 1;
      break;
    case 'O':
      c.outage = 1;
      break;
  }
  return c;
}

export function addQuality(into: QualityCounts, c: QualityCounts): void {
  into.actual += c.actual;
  into.estimated += c.estimated;
  into.edited += c.edited;
  into.missing += c.missing;
  into.outage += c.outage;
}

export function qualityTotal(c: QualityCounts): number {
  return c.actual + c.estimated + c.edited + c.missing + c.outage;
}

/** Intervals that carry a value (every class but missing). */
export function valuedIntervals(c: QualityCounts): number {
  return c.actual + c.estimated + c.edited + c.outage;
}
