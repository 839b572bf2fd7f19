/**
 * The shapes of the public API's responses that the whole-platform tests read (e2e, scale-out,
 * chaos). The API's own TypeBox schemas are the reference; these are the fields the tests check.
 */

export type PointStatus = 'authoritative' | 'provisional' | 'missing';

/** A point of GET /v1/meters/{id}/series. */
export interface MeterSeriesPoint {
  start: string;
  kwh: number | null;
  status: PointStatus;
  quality?: { actual: number; estimated: number; edited: number; missing: number; outage: number };
}

/** A point of GET /v1/grid/{level}/{id}/series. */
export interface GridSeriesPoint {
  start: string;
  kwh: number | null;
  status: PointStatus;
  meters_reported: number | null;
}

/** A series response: the batch watermark and catalog version it was served at, and its points. */
export interface SeriesResponse<P = MeterSeriesPoint> {
  version?: string | null;
  watermark: string | null;
  points: P[];
}
