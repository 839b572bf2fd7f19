import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Two projects run by default:
//  - unit: pure logic, no services (`*.test.ts`).
//  - integration: against the real Kafka, Redis, MinIO and DuckDB (`*.int.test.ts`), which
//    test/global-setup.ts provisions (or takes from KAFKA_BROKERS / REDIS_URL / S3_ENDPOINT).
// And one only when asked for by name (`pnpm test:chaos` = `vitest run --project chaos`):
//  - chaos: the whole platform under injected faults (`test/chaos/*.chaos.test.ts`) on a private
//    Kafka, Redis and MinIO that test/chaos/global-setup.ts starts on other ports (it stops and
//    restarts them, so it never uses the shared instance).
const chaosProject: TestProjectInlineConfiguration = {
  test: {
    name: 'chaos',
    include: ['test/chaos/**/*.chaos.test.ts'],
    globalSetup: ['test/chaos/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
};

/** True when the command line names the chaos project (`--project chaos` or `--project=chaos`). */
function chaosRequested(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--project=chaos' || (a === '--project' && argv[i + 1] === 'chaos'));
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'infra/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'test/fuzz/**/*.test.ts',
          ],
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
      ...(chaosRequested(process.argv) ? [chaosProject] : []),
    ],
  },
});
