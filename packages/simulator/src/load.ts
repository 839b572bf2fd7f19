/**
 * Load and generation shapes: demand by segment (daily and weekly shape, season) and PV output by
 * time of day and season. Each returns a dimensionless factor; the simulator multiplies it with a
 * meter's base demand or PV peak and its own noise.
 */
import type { Segment } from '@ami/shared/domain';

/** Hourly demand factors (mean ≈ 1), weekday and weekend, per segment. */
const HOURLY: Readonly<
  Record<Segment, { readonly weekday: readonly number[]; readonly weekend: readonly number[] }>
> = {
  residential: {
    weekday: [
      0.55, 0.5, 0.48, 0.47, 0.48, 0.6, 0.95, 1.35, 1.2, 0.85, 0.75, 0.75, 0.8, 0.75, 0.72, 0.8, 1.05, 1.5,
      1.8, 1.75, 1.6, 1.4, 1.1, 0.75,
    ],
    weekend: [
      0.65, 0.55, 0.5, 0.48, 0.48, 0.5, 0.6, 0.8, 1.1, 1.3, 1.3, 1.25, 1.25, 1.15, 1.05, 1.05, 1.2, 1.5, 1.7,
      1.65, 1.5, 1.35, 1.1, 0.8,
    ],
  },
  commercial: {
    weekday: [
      0.4, 0.38, 0.38, 0.38, 0.4, 0.5, 0.85, 1.35, 1.65, 1.75, 1.8, 1.8, 1.75, 1.8, 1.8, 1.75, 1.6, 1.35, 1.0,
      0.75, 0.6, 0.5, 0.45, 0.42,
    ],
    weekend: [
      0.38, 0.36, 0.36, 0.36, 0.36, 0.38, 0.42, 0.5, 0.6, 0.7, 0.75, 0.75, 0.75, 0.72, 0.7, 0.65, 0.6, 0.55,
      0.5, 0.45, 0.42, 0.4, 0.4, 0.38,
    ],
  },
  industrial: {
    weekday: [
      0.7, 0.7, 0.7, 0.7, 0.72, 0.85, 1.15, 1.25, 1.25, 1.25, 1.25, 1.2, 1.15, 1.25, 1.25, 1.25, 1.2, 1.15,
      1.1, 1.05, 1.0, 0.95, 0.8, 0.72,
    ],
    weekend: [
      0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.62, 0.65, 0.68, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.68, 0.66, 0.65, 0.64,
      0.63, 0.62, 0.61, 0.6, 0.6,
    ],
  },
};

/** Seasonal swing per segment: demand × (1 + amplitude · cos(2π (doy − 15) / 365)), winter peak. */
const SEASON_AMPLITUDE: Readonly<Record<Segment, number>> = {
  residential: 0.35,
  commercial: 0.15,
  industrial: 0.05,
};

/** Demand factor of `segment` at local fractional hour `hour` on ISO `weekday`, day of year `doy`. */
export function demandFactor(segment: Segment, hour: number, weekday: number, doy: number): number {
  const table = weekday >= 6 ? HOURLY[segment].weekend : HOURLY[segment].weekday;
  // Linear interpolation between hour centres (h + 0.5).
  const x = hour - 0.5;
  const h0 = Math.floor(x);
  const frac = x - h0;
  const a = table[(h0 + 24) % 24] ?? 1;
  const b = table[(h0 + 25) % 24] ?? 1;
  const season = 1 + SEASON_AMPLITUDE[segment] * Math.cos((2 * Math.PI * (doy - 15)) / 365);
  return (a + (b - a) * frac) * season;
}

/**
 * PV output as a fraction of the peak at local fractional hour `hour`, day of year `doy`, before
 * clouds: a sine over the daylight hours (longer and higher in summer, a Nordic latitude).
 */
export function solarFactor(hour: number, doy: number): number {
  const summer = Math.cos((2 * Math.PI * (doy - 172)) / 365); // 1 at midsummer, −1 at midwinter
  const halfDay = 6 + 3.5 * summer;
  const noon = 12.5;
  const x = (hour - (noon - halfDay)) / (2 * halfDay);
  if (x <= 0 || x >= 1) return 0;
  const height = 0.65 + 0.35 * summer;
  return height * Math.pow(Math.sin(Math.PI * x), 1.5);
}
