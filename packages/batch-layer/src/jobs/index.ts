/**
 * BullMQ scheduling of the batch layer (SPEC 5): job definitions, the worker, schedulers and the
 * client used by the CLI and the API.
 */
export * from './definitions.ts';
export * from './settings.ts';
export * from './enqueue.ts';
export * from './day-lock.ts';
export * from './archive-gate.ts';
export * from './build-day.ts';
export * from './sweep.ts';
export * from './nightly.ts';
export * from './backfill.ts';
export * from './schedulers.ts';
export * from './worker.ts';
export * from './client.ts';
export * from './metrics.ts';
