/**
 * The lint rule that keeps the layers sealed (eslint-rules/sealed-layers.js): fixtures of imports it
 * must accept and imports it must reject, on a small made-up workspace, then the rule as
 * eslint.config.js configures it on this repository's real package.json files — so a wildcard
 * export or a reach into a layer's internals would be caught by `pnpm lint`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import sealedLayers from '../../eslint-rules/sealed-layers.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const ROOT = '/ws';
const workspace = {
  '@ami/shared': { dir: 'packages/shared', exports: ['.', './time'] },
  '@ami/speed-layer': { dir: 'packages/speed-layer', exports: ['.', './realtime-view', './testing'] },
  '@ami/serving-layer': { dir: 'packages/serving-layer', exports: ['.'] },
  '@ami/test': { dir: 'test', exports: [] },
};
const options = [{ root: ROOT, workspace }];
const file = (rel: string) => join(ROOT, rel);

const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
});

tester.run('ami/sealed-layers', sealedLayers, {
  valid: [
    // declared entry points, from production code of another layer
    {
      code: "import { RealtimeView } from '@ami/speed-layer/realtime-view';",
      filename: file('packages/serving-layer/src/routes/series.ts'),
      options,
    },
    {
      code: "import { x } from '@ami/shared';",
      filename: file('packages/serving-layer/src/app.ts'),
      options,
    },
    {
      code: "export * from '@ami/shared/time';",
      filename: file('packages/speed-layer/src/index.ts'),
      options,
    },
    // relative imports inside the own package, from src and from the package's own tests
    {
      code: "import { k } from './keys.ts';",
      filename: file('packages/speed-layer/src/realtime-view/a.ts'),
      options,
    },
    {
      code: "import { k } from '../src/realtime-view/keys.ts';",
      filename: file('packages/speed-layer/test/keys.test.ts'),
      options,
    },
    // the root test support, from a package's test and bench files
    {
      code: "import { uniqueName } from '../../../test/support/config.ts';",
      filename: file('packages/serving-layer/test/app.int.test.ts'),
      options,
    },
    {
      code: "import { freePort } from '../../../test/support/platform.ts';",
      filename: file('packages/serving-layer/bench/serve.bench.ts'),
      options,
    },
    // a layer's deliberate test fixtures, from the root tests
    {
      code: "import { seedAlert } from '@ami/speed-layer/testing';",
      filename: file('test/fuzz/api.int.test.ts'),
      options,
    },
    // packages outside the workspace are not the rule's business
    { code: "import Fastify from 'fastify';", filename: file('packages/serving-layer/src/app.ts'), options },
  ],
  invalid: [
    {
      code: "import { fenceKey } from '@ami/speed-layer/realtime-view/keys';",
      filename: file('packages/serving-layer/src/sources/provisional.ts'),
      options,
      errors: [{ messageId: 'notExported' }],
    },
    {
      code: "export { a } from '@ami/shared/partitioner';",
      filename: file('packages/speed-layer/src/index.ts'),
      options,
      errors: [{ messageId: 'notExported' }],
    },
    {
      code: "const m = await import('@ami/speed-layer/config');",
      filename: file('packages/serving-layer/bench/serve.bench.ts'),
      options,
      errors: [{ messageId: 'notExported' }],
    },
    {
      code: "type K = import('@ami/speed-layer/alerts/keys').AlertKeys;",
      filename: file('packages/serving-layer/src/alerts/sse.ts'),
      options,
      errors: [{ messageId: 'notExported' }],
    },
    {
      code: "import { x } from '@ami/nowhere';",
      filename: file('packages/serving-layer/src/app.ts'),
      options,
      errors: [{ messageId: 'unknownPackage' }],
    },
    // relative reaches into another package: from src, from another package's tests, from the root tests
    {
      code: "import { daysKey } from '../../../speed-layer/src/realtime-view/keys.ts';",
      filename: file('packages/serving-layer/src/sources/provisional.ts'),
      options,
      errors: [{ messageId: 'relativeIntoPackage' }],
    },
    {
      code: "import { seed } from '../../speed-layer/test/support/realtime-seed.ts';",
      filename: file('packages/serving-layer/test/series.int.test.ts'),
      options,
      errors: [{ messageId: 'relativeIntoPackage' }],
    },
    {
      code: "import { Archiver } from '../../packages/speed-layer/src/index.ts';",
      filename: file('test/e2e/platform.int.test.ts'),
      options,
      errors: [{ messageId: 'relativeIntoPackage' }],
    },
    // nor a layer's test fixtures
    {
      code: "import { seedAlert } from '@ami/speed-layer/testing';",
      filename: file('packages/serving-layer/src/routes/alerts.ts'),
      options,
      errors: [{ messageId: 'testingInProduction' }],
    },
    // production code may not use the root test support
    {
      code: "import { uniqueName } from '../../../test/support/config.ts';",
      filename: file('packages/serving-layer/src/app.ts'),
      options,
      errors: [{ messageId: 'relativeIntoPackage' }],
    },
  ],
});

describe('the rule as configured for this repository', () => {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  // No type information needed: lint only with the sealed-layers rule on snippets placed at real paths.
  const eslint = new ESLint({
    cwd: repo,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { ami: { rules: { 'sealed-layers': sealedLayers } } },
        rules: { 'ami/sealed-layers': 'error' },
      },
    ],
  });
  const lint = async (code: string, at: string) =>
    (await eslint.lintText(code, { filePath: join(repo, at) }))[0]!.messages.map((m) => m.message);

  it("rejects an internal module of another layer and names the layer's exports", async () => {
    const messages = await lint(
      "import { daysKey } from '@ami/speed-layer/realtime-view/keys';\n",
      'packages/serving-layer/src/sources/example.ts',
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('is not an entry point of @ami/speed-layer');
    expect(messages[0]).toContain('@ami/speed-layer/realtime-view');
  });

  it('accepts the declared entry points of the real packages', async () => {
    const messages = await lint(
      "import { createRedis } from '@ami/shared/clients';\nimport { buildApp } from '@ami/serving-layer';\n",
      'test/e2e/example.int.test.ts',
    );
    expect(messages).toEqual([]);
  });
});
