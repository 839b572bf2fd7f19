/** Customer segments (SPEC 3.4): load shapes, VEE range limits and analytics group by them. */
import { Type, type Static } from '@sinclair/typebox';

export const SEGMENTS = ['residential', 'commercial', 'industrial'] as const;
export const SegmentSchema = Type.Union(SEGMENTS.map((s) => Type.Literal(s)));
export type Segment = Static<typeof SegmentSchema>;
