// One lint configuration for the whole workspace. Type-aware rules read each
// package's tsconfig.test.json (sources and tests together), so a floating
// promise in a test is caught like one in a server.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const projects = ['./packages/*/tsconfig.test.json', './e2e/tsconfig.json', './scripts/tsconfig.json'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.cnpaas/**', 'test-results/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: projects, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The four that guard the event loop: every promise is awaited or handled on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Forwarding a caught value as it is (an ApiException, a socket error) is deliberate;
      // creating a non-Error is still refused.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Async is part of the contract for fastify handlers and for interface methods
      // that some implementations fulfil synchronously; an await is not required.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests read untyped JSON (API responses, reports, etcd's wire format) and
    // assert on its shape; typing every such read would add noise, not safety.
    // The promise rules above still apply to them.
    files: [
      '**/*.test.ts',
      '**/test/**/*.ts',
      '**/test-support/**/*.ts',
      '**/test-support.ts',
      'e2e/**/*.ts',
      '**/bench/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Keys and values are Buffers that tests print into messages as text.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Fixtures assert a literal's type to pick a generic's type argument; the rule
      // misreads those as no-ops, and its fix breaks the build.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Launchers and repo scripts are plain ESM for Node; no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);
