/**
 * @ami/batch-layer/testing — fixtures the batch layer offers to OTHER packages' tests (serving-layer,
 * cli, the root cross-package tests); not for production code. The batch pipeline on the real
 * services with isolated topics and prefixes (simulate a fleet, archive it through Kafka, rebuild days
 * with a test day builder) and small hand-made batch-view days for catalog tests.
 */
export * from './pipeline.ts';
export { dayInputs, writeViewFile } from '../catalog/support.ts';
