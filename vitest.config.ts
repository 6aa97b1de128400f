import { defineConfig } from 'vitest/config';

// Three projects, one command (`npm test`): unit and construct tests need nothing running;
// integration tests talk to an AWS API emulator over HTTP; end-to-end tests boot the local platform.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/e2e/**', 'node_modules/**'],
          globalSetup: ['test/support/platform-bundles-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: [
            'test/support/platform-bundles-setup.ts',
            'test/integration/global-setup.ts',
          ],
          setupFiles: ['test/integration/endpoint-env.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
