/**
 * Restatement notices (SPEC 5): derived from the catalog history by the relay, produced on
 * `ami.batch.restatements` at least once.
 */
export * from './plan.ts';
export * from './service-point-diff.ts';
export * from './cursor.ts';
export * from './relay.ts';
export * from './settings.ts';
