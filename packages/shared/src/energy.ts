/**
 * Energy arithmetic shared by every layer (SPEC 3.2): energy is summed as integer watt-hours.
 *
 * Why both layers get identical integers: a kWh value arrives as a JSON number, which every parser
 * turns into the same IEEE-754 double (JSON.parse, DuckDB, Arrow). `kwhToWh` multiplies that double by
 * 1000 (one correctly rounded IEEE multiplication, the same on every platform) and rounds half away
 * from zero. The speed layer calls this function on each read; the archiver calls the same function
 * and stores the integer, so the batch layer sums integers it never re-derives. Where SQL must
 * re-derive it, DuckDB's `CAST(round(kwh * 1000) AS BIGINT)` is the same computation: its `round` on
 * DOUBLE also rounds half away from zero of the same IEEE product (checked: both give 1001 for
 * 1.0005 kWh and −3 for −0.0025 kWh). Integer sums are exact and associative, so provisional and
 * authoritative totals can be compared for equality, not within a tolerance.
 *
 * Every value with at most three decimals round-trips: for each integer wh with |wh| ≤ 10^15
 * (10^12 kWh, far above any register), kwhToWh(wh / 1000) === wh, also after JSON.stringify /
 * JSON.parse (property-tested; exhaustively over ±5·10^5 and the ends of ±10^9). Beyond ≈ 4·10^15
 * Wh a double no longer holds kWh to 1 Wh precision, so larger values cannot be exact anyway.
 */

/** Largest |Wh| handled: beyond this, sums of many values could leave the exact-integer range of a double. */
export const MAX_ABS_WH = 2 ** 52 - 1;

/**
 * kWh → integer Wh: round half away from zero of kWh × 1000. Never returns −0.
 * Throws a RangeError for non-finite input or |result| > MAX_ABS_WH.
 */
export function kwhToWh(kwh: number): number {
  const wh = roundKwhToWh(kwh);
  if (!(Math.abs(wh) <= MAX_ABS_WH)) throw new RangeError(`energy out of range: ${kwh} kWh`);
  return wh;
}

/**
 * The same rounding without the range check, for hot paths that check the magnitude themselves
 * (returns ±Infinity or NaN where kwhToWh would throw).
 */
export function roundKwhToWh(kwh: number): number {
  const scaled = kwh * 1000;
  // Math.round rounds half towards +∞; mirroring negative values makes it half away from zero.
  // `+ 0` turns −0 into 0 so that Object.is and string forms agree.
  return (scaled < 0 ? -Math.round(-scaled) : Math.round(scaled)) + 0;
}

/** Integer Wh → kWh as a number (the double nearest to wh / 1000; JSON prints at most 3 decimals). */
export function whToKwh(wh: number): number {
  return wh / 1000;
}

/**
 * Integer Wh → kWh text with exactly three decimals ('1.234', '-0.005', '0.000'), computed on the
 * integer so no float formatting can round it. Throws a RangeError for a non-integer or unsafe value.
 */
export function formatKwh(wh: number): string {
  if (!Number.isSafeInteger(wh)) throw new RangeError(`not an integer Wh value: ${wh}`);
  const abs = Math.abs(wh);
  const whole = Math.floor(abs / 1000);
  const frac = abs - whole * 1000;
  const fracText = frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : `${frac}`;
  return `${wh < 0 ? '-' : ''}${whole}.${fracText}`;
}
