import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
// @ts-expect-error plain JS helper shared with the e2e and CLI launchers
import { chromiumPath, CHROMIUM_ARGS } from './scripts/chromium.mjs';
import { testCommands } from './scripts/test-commands';

export default defineConfig({
  optimizeDeps: { include: ['onnx-proto', 'protobufjs/minimal'] },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.browser.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['src/**/*.browser.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath() ?? undefined, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
            commands: testCommands,
          },
        },
      },
    ],
  },
});
