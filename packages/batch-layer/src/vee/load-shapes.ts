/**
 * Class load shapes for the last-resort estimation method: per segment a normalised 96-slot shape
 * (mean 1 over the 96 quarter-hours of the wall clock) for weekdays and one for weekends/holidays.
 * The built-in table is a typical hourly class profile per segment, expanded to quarter-hours by
 * linear interpolation between hour centres; a JSON file (AMI_VEE_LOAD_SHAPES_FILE) replaces it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { SEGMENTS, type Segment } from '@ami/shared/domain';

export const WALL_QUARTERS = 96;

const ShapeArraySchema = Type.Array(Type.Number({ minimum: 0, maximum: 1e6 }), {
  minItems: 24,
  maxItems: 96,
  description: '24 hourly or 96 quarter-hourly factors (any scale; normalised to mean 1)',
});
const SegmentShapeSchema = Type.Object(
  { weekday: ShapeArraySchema, weekend: ShapeArraySchema },
  { additionalProperties: false },
);
/** Format of AMI_VEE_LOAD_SHAPES_FILE: shapes for every segment. */
export const LoadShapesSpecSchema = Type.Object(
  { residential: SegmentShapeSchema, commercial: SegmentShapeSchema, industrial: SegmentShapeSchema },
  { additionalProperties: false },
);
export type LoadShapesSpec = Static<typeof LoadShapesSpecSchema>;

/** Normalised shapes: `[segment].weekday/weekend[q]`, q = wall-clock quarter-hour 0…95, mean 1. */
export type LoadShapes = Readonly<
  Record<Segment, { readonly weekday: Float64Array; readonly weekend: Float64Array }>
>;

/** Built-in hourly class profiles (relative demand by local hour). */
export const DEFAULT_LOAD_SHAPES_SPEC: LoadShapesSpec = {
  residential: {
    weekday: [
      0.5, 0.45, 0.43, 0.42, 0.44, 0.55, 0.9, 1.3, 1.15, 0.85, 0.75, 0.75, 0.8, 0.75, 0.72, 0.8, 1.05, 1.5,
      1.85, 1.8, 1.6, 1.4, 1.1, 0.75,
    ],
    weekend: [
      0.6, 0.52, 0.48, 0.46, 0.46, 0.48, 0.58, 0.8, 1.1, 1.3, 1.3, 1.25, 1.25, 1.15, 1.05, 1.05, 1.2, 1.5,
      1.7, 1.65, 1.5, 1.35, 1.1, 0.8,
    ],
  },
  commercial: {
    weekday: [
      0.4, 0.38, 0.38, 0.38, 0.4, 0.5, 0.85, 1.35, 1.65, 1.75, 1.8, 1.8, 1.75, 1.8, 1.8, 1.75, 1.6, 1.35, 1.0,
      0.75, 0.6, 0.5, 0.45, 0.42,
    ],
    weekend: [
      0.5, 0.48, 0.48, 0.48, 0.48, 0.5, 0.55, 0.65, 0.8, 0.95, 1.0, 1.0, 1.0, 0.98, 0.95, 0.9, 0.85, 0.78,
      0.7, 0.62, 0.58, 0.55, 0.52, 0.5,
    ],
  },
  industrial: {
    weekday: [
      0.7, 0.7, 0.7, 0.7, 0.72, 0.85, 1.15, 1.25, 1.25, 1.25, 1.25, 1.2, 1.15, 1.25, 1.25, 1.25, 1.2, 1.15,
      1.1, 1.05, 1.0, 0.95, 0.8, 0.72,
    ],
    weekend: [
      0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.88, 0.92, 0.96, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.97, 0.94, 0.92,
      0.9, 0.89, 0.88, 0.87, 0.86, 0.85,
    ],
  },
};

/** 24 hourly or 96 quarter-hourly factors → 96 factors with mean 1; throws for other lengths or all zeros. */
export function normaliseShape(factors: readonly number[]): Float64Array {
  const out = new Float64Array(WALL_QUARTERS);
  if (factors.length === WALL_QUARTERS) {
    for (let q = 0; q < WALL_QUARTERS; q++) out[q] = factors[q]!;
  } else if (factors.length === 24) {
    // Quarter centre at hour q/4 + 1/8; hour centres at h + 1/2; interpolate cyclically.
    for (let q = 0; q < WALL_QUARTERS; q++) {
      const x = q / 4 + 0.125 - 0.5;
      const h0 = Math.floor(x);
      const frac = x - h0;
      const a = factors[(h0 + 24) % 24]!;
      const b = factors[(h0 + 25) % 24]!;
      out[q] = a + (b - a) * frac;
    }
  } else {
    throw new Error(`a load shape needs 24 or 96 factors, got ${factors.length}`);
  }
  let sum = 0;
  for (let q = 0; q < WALL_QUARTERS; q++) sum += out[q]!;
  if (!(sum > 0)) throw new Error('a load shape must not be all zeros');
  const k = WALL_QUARTERS / sum;
  for (let q = 0; q < WALL_QUARTERS; q++) out[q] = out[q]! * k;
  return out;
}

/** Builds normalised shapes from a spec (the built-in one or a file's content). */
export function buildLoadShapes(spec: LoadShapesSpec): LoadShapes {
  const entries = SEGMENTS.map((seg) => {
    const s = spec[seg];
    try {
      return [seg, { weekday: normaliseShape(s.weekday), weekend: normaliseShape(s.weekend) }] as const;
    } catch (err) {
      throw new Error(`load shape of ${seg}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  });
  return Object.fromEntries(entries) as unknown as LoadShapes;
}

export const DEFAULT_LOAD_SHAPES: LoadShapes = buildLoadShapes(DEFAULT_LOAD_SHAPES_SPEC);
