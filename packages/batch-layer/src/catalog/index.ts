/**
 * @ami/batch-layer/catalog — the writer side of the batch-view catalog (SPEC 5 "Publishing",
 * "Watermark"): atomic publish, rollback, retention and garbage collection, the watermark rule.
 * Readers use @ami/shared/catalog.
 */
export * from './watermark.ts';
export * from './manifest.ts';
export * from './retention.ts';
export * from './settings.ts';
export * from './hash-file.ts';
export * from './history.ts';
export * from './publisher.ts';
export * from './gc.ts';
