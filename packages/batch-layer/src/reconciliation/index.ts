/**
 * Reconciliation (SPEC 5): per local day and transformer, provisional vs authoritative energy, with
 * the differences VEE explains and the unexplained ones.
 */
export * from './compare.ts';
export * from './reconcile.ts';
export * from './settings.ts';
