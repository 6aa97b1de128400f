import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** functions/ never imports lib/ or CDK code: CDK code must never reach a Lambda bundle. */
const FUNCTIONS_BOUNDARY = [
  {
    group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'],
    message: 'functions/ must not import CDK code.',
  },
  { group: ['**/lib/**', '../../lib/*'], message: 'functions/ must not import lib/.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.local/',
      '.venv/',
      'localstack/emulator/.venv/',
      'localstack/localstack-host/.venv/',
      'dist/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly' } },
  },
  {
    // Boundary (DESIGN.md): CDK code must never reach a Lambda bundle.
    files: ['functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: FUNCTIONS_BOUNDARY }] },
  },
  {
    // Handlers use the runtime library as a consumer does: its entry points (runtime/index.ts,
    // runtime/<concern>/index.ts), never the files behind them.
    files: ['functions/services/**/*.ts', 'functions/platform/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...FUNCTIONS_BOUNDARY,
            {
              group: ['**/runtime/*/*', 'serverless-msa/runtime/*/*', 'serverless-msa/dist/**'],
              message:
                'Import the runtime from its entry points (runtime or runtime/<concern>), not its files.',
            },
          ],
        },
      ],
    },
  },
);
