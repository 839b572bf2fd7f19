/**
 * Service voltage around 230 V: a meter's own offset, minus the feeder's sag under load (deeper at
 * the feeder end and at peak demand), plus measurement noise. Kept in decivolts (one decimal).
 */

/** Nominal voltage (V). */
export const NOMINAL_V = 230;

/**
 * Average voltage over an interval in decivolts. `feederLoad` is the feeder's load relative to its
 * peak (0–1), `maxSagV` the feeder's sag at full load at its end, `position` 0 (substation) … 1 (end).
 */
export function voltageDecivolts(
  offsetV: number,
  maxSagV: number,
  position: number,
  feederLoad: number,
  noiseV: number,
): number {
  const v = NOMINAL_V + 2 + offsetV - maxSagV * position * feederLoad + noiseV;
  return Math.round(Math.min(260, Math.max(195, v)) * 10);
}

/** Decivolts as a JSON number with one decimal ('229.4'). */
export function formatDecivolts(dv: number): string {
  const whole = Math.floor(dv / 10);
  return `${whole}.${dv - whole * 10}`;
}
