/**
 * @ami/serving-layer/testing — fixtures the serving layer offers to OTHER packages' tests (the root
 * cross-package tests); not for production code. The API built in-process over the real services
 * with a development key per role, and small batch-view days published into a test catalog prefix.
 */
export * from './app.ts';
export { publishDay } from './catalog.ts';
