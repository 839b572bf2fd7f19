/**
 * @ami/shared — what every layer shares: configuration, client factories, logging, metrics,
 * and (in their own subpath modules) the data contracts, time semantics, energy arithmetic and
 * domain tables. Hot paths should import the subpath (`@ami/shared/time`, …) rather than this
 * barrel, which loads every client library.
 */
export * from './config/index.ts';
export * from './clients/index.ts';
export * from './log.ts';
export * from './metrics.ts';
