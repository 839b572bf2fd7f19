// ESLint flat config: typescript-eslint with type information, so async mistakes
// (floating promises, promises passed where callbacks are expected) fail the build.
// Formatting is Prettier's job (see docs/adr/0004-linter-and-formatter.md). The local rule
// `ami/sealed-layers` keeps the packages' walls closed (eslint-rules/sealed-layers.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import sealedLayers from './eslint-rules/sealed-layers.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'bench/results/**', 'coverage/**', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Each workspace package is a sealed layer: other packages import only its declared exports
    // (eslint-rules/sealed-layers.js, docs/architecture.md "Contracts").
    files: ['**/*.ts'],
    plugins: { ami: { rules: { 'sealed-layers': sealedLayers } } },
    rules: { 'ami/sealed-layers': 'error' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // the Kafka client comparison of ADR 0010: plain Node scripts outside the workspace
    files: ['bench/kafka-clients/**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'performance', 'setTimeout', 'setInterval', 'clearInterval', 'URL'].map((g) => [
          g,
          'readonly',
        ]),
      ),
    },
  },
);
