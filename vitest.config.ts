import { defineConfig } from 'vitest/config';

// Two projects:
//  - unit: pure logic, no services (`*.test.ts`).
//  - integration: against the real Kafka, Redis, MinIO and DuckDB (`*.int.test.ts`), which
//    test/global-setup.ts provisions (or takes from KAFKA_BROKERS / REDIS_URL / S3_ENDPOINT).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'infra/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts', 'test/**/*.int.test.ts', 'infra/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
