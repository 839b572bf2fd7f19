/** The serving layer's merge of batch and realtime views into series points (pure; SPEC 6). */
export * from './buckets.ts';
export * from './quality.ts';
export * from './watermark-split.ts';
export * from './coverage.ts';
export * from './meter-series.ts';
export * from './grid-series.ts';
export * from './dates.ts';
