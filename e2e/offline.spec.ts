/**
 * Offline and installable, on the production build: after one visit the service worker holds the
 * app and its bundled data; with the network cut (Playwright's offline mode, which the service
 * worker's own fetches obey too: a file it does not hold answers 503) the page reloads, restores the
 * project, evaluates it, and opens the bundled teacher as a new project. Chromium finds nothing
 * that keeps it from being installed.
 */
import { chromium, expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForDefaults } from './helpers';
// @ts-expect-error plain JS helper shared with vitest and the CLI
import { chromiumPath, CHROMIUM_ARGS } from '../scripts/chromium.mjs';

test('after one visit the studio works with the network cut, and can be installed', async ({ baseURL }) => {
  test.setTimeout(300_000);
  // A profile on disk, as a user's browser has: Chromium installs no app from an incognito context (Playwright's default).
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'studio-profile-')), {
    executablePath: chromiumPath() ?? undefined, args: CHROMIUM_ARGS, baseURL, viewport: { width: 1360, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto('/');
    await waitForDefaults(page);
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 60_000 }).toBe(true);

    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    expect(JSON.parse(manifest.data ?? '{}')).toMatchObject({ name: 'Compression Studio', display: 'standalone' });

    await context.setOffline(true);
    // The service worker's own network requests are cut too: a file it does not hold cannot come.
    const missing = await page.evaluate(async () => { const r = await fetch('/data/not-bundled.bin'); return { status: r.status, text: await r.text() }; });
    expect(missing).toEqual({ status: 503, text: 'This file is not available offline: open it once with the network on.' });

    const shell = page.waitForResponse((r) => new URL(r.url()).pathname === '/');
    await page.reload();
    expect((await shell).fromServiceWorker()).toBe(true);
    await waitForDefaults(page);
    await page.getByTestId('limit').fill('200');
    await page.getByTestId('evaluate').click();
    await expect(page.getByTestId('accuracy')).toContainText('/ 200 correct', { timeout: 120_000 });

    // Bundled data offline: the teacher's bytes come from the cache, whole, and open as a project.
    const size = await page.evaluate(async () => (await (await fetch('/data/models/cnn-studio-mnist.onnx')).arrayBuffer()).byteLength);
    expect(size).toBe(readFileSync('fixtures/cnn-studio-mnist.onnx').length);
    await page.getByTestId('train-card').scrollIntoViewIfNeeded();
    await page.getByTestId('train-load-teacher').click();
    await expect(page.getByTestId('loaded-model')).toHaveText('cnn-studio-mnist.onnx', { timeout: 120_000 });
    await expect(page.getByTestId('notice-error')).toHaveCount(0);
  } finally {
    await context.close();
  }
});
