import { expect, test, type Locator, type Page } from '@playwright/test';
import { readFileSync, statSync } from 'node:fs';
import { dropFiles, e2eModel, file, MNIST, waitForDefaults } from './helpers';

test.describe.configure({ mode: 'serial' });

const row = (page: Page, kind: 'original' | 'int8' | 'binary') => page.locator(`[data-testid="variant-row"][data-kind="${kind}"]`);
const accuracyOf = async (r: Locator) => Number(await r.getByTestId('v-accuracy').getAttribute('data-accuracy'));
const sizeOfDownload = async (page: Page, r: Locator) => {
  const [download] = await Promise.all([page.waitForEvent('download'), r.getByTestId('v-download').click()]);
  return { name: download.suggestedFilename(), bytes: statSync((await download.path())!).size };
};

test('quantizes LeNet to int8 and compares it with the original', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await expect(row(page, 'original')).toHaveCount(1);

  // The original, evaluated on the same samples the new variant will be.
  await page.getByTestId('limit').fill('256');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 256 correct', { timeout: 180_000 });
  await expect(row(page, 'original').getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/);
  const original = await accuracyOf(row(page, 'original'));

  await page.getByTestId('q-granularity').selectOption('channel');
  await page.getByTestId('q-calibration').selectOption('minmax');
  await page.getByTestId('q-samples').fill('128');
  await page.getByTestId('quantize').click();
  await expect(page.getByTestId('q-progress')).toBeVisible();

  // Quantizing selects the new variant and evaluates it with no further clicks.
  const int8 = row(page, 'int8');
  await expect(page.getByTestId('q-progress')).toContainText('Evaluating', { timeout: 120_000 });
  await expect(int8).toHaveAttribute('data-variant', 'lenet-mnist-int8-pc-sym-minmax128');
  await expect(int8).toHaveClass(/current/);
  await page.screenshot({ path: 'test-results/screens/05-quantize.png', fullPage: true });
  await expect(int8.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 180_000 });
  await expect(page.getByTestId('q-progress')).toBeHidden({ timeout: 60_000 });
  await expect(int8).toHaveClass(/current/);
  await expect(int8.getByTestId('v-accuracy')).toContainText('256 samples');
  expect(Math.abs((await accuracyOf(int8)) - original)).toBeLessThanOrEqual(1);
  await expect(int8.getByTestId('v-delta')).toContainText('pts');
  const ratio = Number((await int8.getByTestId('v-ratio').textContent())!.match(/([\d.]+)×/)![1]);
  expect(ratio).toBeGreaterThanOrEqual(3.8);
  // Both on the dashboard's accuracy-vs-size chart.
  await page.getByTestId('view-dashboard').click();
  await expect(page.getByTestId('chart-weights')).toHaveAttribute('data-points', '2');
  await page.getByTestId('view-workbench').click();

  // Downloads: the int8 file is smaller than the original's.
  const q = await sizeOfDownload(page, int8);
  const o = await sizeOfDownload(page, row(page, 'original'));
  expect(q.name).toMatch(/int8.*\.onnx$/);
  expect(o.name).toBe('lenet-mnist.onnx');
  expect(q.bytes).toBeGreaterThan(0);
  expect(q.bytes).toBeLessThan(o.bytes);

  // Weight histograms: original against int8, for another layer.
  const picker = page.getByTestId('weights-layer');
  const layers = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(layers.length).toBeGreaterThan(1);
  await picker.selectOption(layers[1]!);
  const chart = page.getByTestId('weights-chart');
  await expect(chart).toHaveAttribute('data-series', '2');
  await expect(chart.locator('.svg-legend span')).toHaveCount(2);
  await chart.scrollIntoViewIfNeeded(); // cards off screen are not laid out (content-visibility), so their charts draw when seen
  await expect.poll(() => chart.locator('svg rect').evaluateAll((rs) => rs.filter((r) => Number(r.getAttribute('height')) > 0).length)).toBeGreaterThan(2);
  await page.getByTestId('variants-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/06-variants.png', fullPage: true });

  // Selecting the original shows its summary; the int8 variant stays listed.
  await row(page, 'original').getByTestId('v-select').click();
  await expect(row(page, 'original')).toHaveClass(/current/);
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-mnist.onnx');
  await expect(chart).toHaveAttribute('data-series', '1');
});

test('binarizes LeNet in the page: size ratio, accuracy, and a studio-format file the studio re-imports', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('200');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 200 correct', { timeout: 180_000 });

  await page.getByTestId('q-scheme').selectOption('binary');
  await expect(page.getByTestId('q-keep-first-last')).toBeChecked();
  await expect(page.getByTestId('q-activation-scale')).not.toBeChecked();
  await expect(page.getByTestId('q-samples')).toHaveCount(0); // binary needs no calibration data
  await expect(page.getByTestId('q-binary-note')).toContainText('onnxruntime cannot run it');
  await expect(page.getByTestId('quantize')).toHaveText('Binarize');
  await page.getByTestId('quantize').click();

  const bin = row(page, 'binary');
  await expect(bin).toHaveCount(1, { timeout: 60_000 });
  await expect(bin).toHaveClass(/current/);
  await expect(bin).toContainText('binary · XNOR · first/last fp32');
  await expect(bin.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 180_000 });
  await expect(page.getByTestId('q-progress')).toBeHidden({ timeout: 60_000 });
  await expect(bin.getByTestId('v-accuracy')).toContainText('200 samples');
  // conv2 reads ReLU outputs, so every image gets one class: 9, as the CPU references compute it
  // (src/compress/testing.ts, checked on all 10 000 images by src/compress/binary.test.ts). The page must
  // report exactly the share of 9s among the first 200 labels.
  const nines = readFileSync(`${MNIST}/t10k-labels-idx1-ubyte`).subarray(8, 8 + 200).filter((l) => l === 9).length;
  await expect(bin.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', (100 * nines / 200).toFixed(4));
  await expect(bin.getByTestId('v-delta')).toContainText('pts');
  // conv2, fc1, fc2 binarized (1 bit + a scale per channel), conv1 and fc3 float: about 19× smaller weights.
  expect(Number(await bin.getByTestId('v-ratio').getAttribute('data-ratio'))).toBeGreaterThan(10);
  await expect(page.getByTestId('v-format-note')).toContainText('onnxruntime cannot run');
  // conv1 and fc3 stayed float32: the layer table marks each with the reason the plan gave.
  const kept = page.getByTestId('layer-table').getByTestId('kept-float');
  await expect(kept).toHaveCount(2);
  await expect(kept.first()).toHaveAttribute('title', 'kept float32: the first layer stays float32 (keepFirstLast)');
  await expect(kept.last()).toHaveAttribute('title', 'kept float32: the last layer stays float32 (keepFirstLast)');
  await page.getByTestId('variants-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/07-binary.png', fullPage: true });

  // The download is the studio's format; dropped back, the studio reads it as a model.
  await expect(bin.getByTestId('v-download')).toHaveAttribute('data-format', 'studio');
  const [download] = await Promise.all([page.waitForEvent('download'), bin.getByTestId('v-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^lenet-mnist-binary-kfl\.onnx$/);
  const bytes = new Uint8Array(readFileSync((await download.path())!));
  expect(Buffer.from(bytes).includes('ai.compression-studio')).toBe(true);
  await dropFiles(page, [{ name: 'reimported-binary.onnx', bytes }]);
  await expect(page.getByTestId('loaded-model')).toHaveText('reimported-binary.onnx');
  await expect(page.getByTestId('layer-table')).toContainText('binary');
});

test('bad quantization settings get clear messages and nothing is lost', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('64');

  await page.getByTestId('q-samples').fill('0');
  await expect(page.getByTestId('q-samples-error')).toContainText('at least one sample');
  await page.getByTestId('quantize').click();
  await expect(page.getByTestId('notice-error').last()).toContainText('at least one sample');
  await expect(page.getByTestId('notice-error').last()).toContainText('Activations: dynamic');
  // Dynamic activations need no calibration: the sample fields go away, the count is kept for later.
  await page.getByTestId('q-activations').selectOption('dynamic');
  await expect(page.getByTestId('q-samples')).toHaveCount(0);
  await expect(page.getByTestId('q-samples-error')).toHaveCount(0);
  await page.getByTestId('q-activations').selectOption('static');
  await expect(page.getByTestId('q-samples')).toHaveValue('0');
  await page.getByTestId('q-samples').fill('20000');
  await page.getByTestId('quantize').click();
  await expect(page.getByTestId('notice-error').last()).toContainText('the dataset has 10000');
  await expect(row(page, 'int8')).toHaveCount(0);
  await expect(page.getByTestId('quantize')).toBeEnabled();

  // Cancel during calibration keeps what was there.
  await page.getByTestId('q-samples').fill('10000');
  await page.getByTestId('quantize').click();
  await expect(page.getByTestId('q-progress')).toBeVisible();
  await page.getByTestId('q-cancel').click();
  await expect(page.getByTestId('notice-info').last()).toContainText('Quantization was stopped');
  await expect(row(page, 'int8')).toHaveCount(0);
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-mnist.onnx');

  // Dynamic activations with zero calibration samples: fine, nothing to calibrate.
  await page.getByTestId('q-samples').fill('0');
  await page.getByTestId('q-activations').selectOption('dynamic');
  await page.getByTestId('quantize').click();
  await expect(row(page, 'int8')).toHaveAttribute('data-variant', 'lenet-mnist-int8-pc-sym-dynamic', { timeout: 60_000 });
  await expect(row(page, 'int8')).toContainText('int8 · per-channel · sym · dynamic');
  await expect(row(page, 'int8').getByTestId('v-accuracy')).toContainText('64 samples', { timeout: 180_000 });
  await expect(page.getByTestId('q-progress')).toBeHidden({ timeout: 60_000 });
  await page.getByTestId('q-activations').selectOption('static');

  // A model with no Conv or Gemm (Flatten → MatMul) has nothing to quantize.
  await dropMatMulOnlyModel(page);
  await expect(page.getByTestId('loaded-model')).toHaveText('matmul-only.onnx');
  await page.getByTestId('q-samples').fill('64');
  await page.getByTestId('quantize').click();
  await expect(page.getByTestId('notice-error').last()).toContainText('no layer of this model can be quantized');
  await expect(page.getByTestId('loaded-model')).toHaveText('matmul-only.onnx');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 64 correct', { timeout: 180_000 });
});

/** Flatten → MatMul (input [N, 1, 28, 28]), written in Node with the studio's builder and exporter (scripts/write-e2e-models.ts), dropped. */
async function dropMatMulOnlyModel(page: Page): Promise<void> {
  await dropFiles(page, [file(e2eModel('matmul-only.onnx'))]);
}
