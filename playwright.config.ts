import { defineConfig } from '@playwright/test';
// @ts-expect-error plain JS helper shared with vitest and the CLI
import { chromiumPath, CHROMIUM_ARGS } from './scripts/chromium.mjs';

const PORT = 5179;

export default defineConfig({
  testDir: 'e2e',
  timeout: 240_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  // Its own folder: Playwright empties outputDir at start, and test-results/ holds the unit and GPU parts' reports.
  outputDir: 'test-results/playwright',
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: { executablePath: chromiumPath() ?? undefined, args: CHROMIUM_ARGS },
    viewport: { width: 1360, height: 900 },
  },
  // The studio as users get it: the production build (npm start serves the same), built here so the
  // tests never see a stale dist/ (e2e/bundle.spec.ts reads its manifest).
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort --host localhost`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: false,
    timeout: 300_000,
  },
});
