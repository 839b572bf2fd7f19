/**
 * @ami/shared/catalog — the catalog of the published batch views (SPEC 5 "Publishing", 6): object
 * layout, manifest schemas, which local days a snapshot has published (the one rule every layer uses),
 * and the reader the serving layer pins one catalog version with per request.
 * The writer (publish, rollback, garbage collection, watermark) is @ami/batch-layer/catalog.
 */
export * from './layout.ts';
export * from './schema.ts';
export * from './store.ts';
export * from './published.ts';
export * from './pinned.ts';
export * from './reader.ts';
export * from './settings.ts';
