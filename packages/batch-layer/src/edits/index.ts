/**
 * The append-only, audited edit store (SPEC 5 "editing"): manual interval edits and operators'
 * storm releases, as immutable S3 records that mark their day dirty for the late-data sweep.
 */
export * from './object-log.ts';
export * from './edit-input.ts';
export * from './edit-store.ts';
export * from './storm-releases.ts';
export * from './settings.ts';
