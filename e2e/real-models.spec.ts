import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dropFiles, e2eModel, file, waitForDefaults } from './helpers';

test.describe.configure({ mode: 'serial' });

const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

// LeNet as exporters without dynamic_axes write it (src/model/fixed-batch-testing.ts), written by scripts/write-e2e-models.ts.

/** The first input's dims of an ONNX file: numbers, or the symbol's name. */
function inputDims(path: string): (number | string)[] {
  const m = onnx.ModelProto.decode(readFileSync(path));
  return (m.graph!.input![0]!.type!.tensorType!.shape!.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

/** Every request the page makes that fails or answers ≥ 400, and every console error. */
function watchFailures(page: Page): string[] {
  const failures: string[] = [];
  page.on('requestfailed', (r) => failures.push(`${r.url()} failed: ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.url()} answered ${r.status()}`); });
  page.on('console', (m) => { if (m.type() === 'error') failures.push(`console: ${m.text()}`); });
  return failures;
}

async function evaluate(page: Page, limit: number): Promise<void> {
  await page.getByTestId('limit').fill(String(limit));
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText(`/ ${limit} correct`, { timeout: 240_000 });
}

test('the studio starts without a failed request or a console error', async ({ page }) => {
  const failures = watchFailures(page);
  await page.goto('/');
  await waitForDefaults(page);
  expect(failures).toEqual([]);
});

test('a fixed-batch model is re-batched, says so, evaluates at batch 1 and 64, and exports its own signature', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await dropFiles(page, [file(e2eModel('lenet-baked-reshape.onnx'))]);
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-baked-reshape.onnx');
  const batching = page.getByTestId('batching');
  await expect(batching).toHaveAttribute('data-mode', 'rebatched');
  await expect(batching).toContainText("re-batched for any batch (the file fixes 1; rewrote Reshape 'flatten_baked' [1,400] → [-1,400])");
  await evaluate(page, 256);
  await expect(page.getByTestId('latency-b1')).toContainText('ms');
  await expect(page.getByTestId('latency-b64')).toContainText('ms');
  await page.screenshot({ path: 'test-results/screens/12-fixed-batch-rebatched.png', fullPage: true });

  const row = page.getByTestId('variant-row').first();
  const download = async () => {
    const [d] = await Promise.all([page.waitForEvent('download'), row.getByTestId('v-download').click()]);
    return inputDims((await d.path())!);
  };
  expect(await download()).toEqual([1, 1, 28, 28]);
  await page.getByTestId('export-dynamic-batch').locator('input').check();
  expect(await download()).toEqual(['batch', 1, 28, 28]);
});

test('a model whose batch a constant ties runs one image at a time, and batch-64 latency is not applicable', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await dropFiles(page, [file(e2eModel('lenet-tied-batch.onnx'))]);
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-tied-batch.onnx');
  const batching = page.getByTestId('batching');
  await expect(batching).toHaveAttribute('data-mode', 'fixed');
  await expect(batching).toContainText('runs 1 image at a time');
  await expect(batching).toContainText('tie_batch');
  await evaluate(page, 64);
  await expect(page.getByTestId('latency-b1')).toContainText('ms');
  await expect(page.getByTestId('latency-b64')).toContainText('n/a');
  await expect(page.getByTestId('latency-b64')).toContainText('runs 1 image at a time');
  await expect(page.getByTestId('export-dynamic-batch').locator('input')).toBeDisabled();
  await page.screenshot({ path: 'test-results/screens/13-fixed-batch-own-batch.png', fullPage: true });
});

test('a new model clears the previous results card and the notices about the previous model', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await evaluate(page, 64);
  await dropFiles(page, [{ name: 'broken.onnx', bytes: new TextEncoder().encode('not a model') }]);
  await expect(page.getByTestId('notice-error')).toHaveCount(1);
  await dropFiles(page, [file('fixtures/mlp-mnist.onnx')]);
  await expect(page.getByTestId('loaded-model')).toHaveText('mlp-mnist.onnx');
  await expect(page.getByTestId('notice-error')).toHaveCount(0);
  await expect(page.getByTestId('accuracy')).toHaveCount(0);
  // The new file opened a project of its own; LeNet's, with its results, stays in the list.
  await expect(page.getByTestId('project-select').locator('option')).toHaveCount(2);
});

test('the quantize panel says plainly whether calibration items are also evaluated', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  const overlap = page.getByTestId('q-overlap');
  await expect(overlap).toHaveAttribute('data-overlap', '256'); // all 10 000 evaluated, the last 256 calibrate
  await expect(overlap).toContainText('Overlap');
  await page.getByTestId('limit').fill('9744');
  await expect(overlap).toHaveAttribute('data-overlap', '0');
  await expect(overlap).toContainText('No overlap');
});
