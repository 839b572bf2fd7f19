/**
 * VEE (validation, estimation, editing) of the batch layer (SPEC 5): pure rules over one meter's
 * local day as typed arrays. See README.md for the rules, their order, parameters and codes.
 */
export * from './codes.ts';
export * from './model.ts';
export * from './params.ts';
export * from './load-shapes.ts';
export * from './day-layout.ts';
export * from './registers.ts';
export * from './outage.ts';
export * from './history-stats.ts';
export * from './validate-alignment.ts';
export * from './validate-known-meter.ts';
export * from './validate-range.ts';
export * from './validate-net.ts';
export * from './validate-spike.ts';
export * from './validate-stuck.ts';
export * from './validate-sum.ts';
export * from './estimate-outage.ts';
export * from './estimate-linear.ts';
export * from './estimate-like-day.ts';
export * from './estimate-load-shape.ts';
export * from './estimate-register.ts';
export * from './edits.ts';
export * from './head-end-estimates.ts';
export * from './reading-qualities.ts';
export * from './storm.ts';
export * from './billing-gate.ts';
export * from './run-vee.ts';
