import { expect, test } from '@playwright/test';
import { dropFiles, file, idx, MNIST, waitForDefaults } from './helpers';

test.describe.configure({ mode: 'serial' });

test('opens on the bundled LeNet and MNIST, evaluates, and compiles each pipeline once', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('device-badge')).toBeVisible();
  await waitForDefaults(page);
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-mnist.onnx');
  await expect(page.getByTestId('layer-table').locator('tbody tr')).not.toHaveCount(0);
  await expect(page.getByTestId('layer-table')).toContainText('Conv');
  await page.screenshot({ path: 'test-results/screens/01-loaded.png', fullPage: true });

  await page.getByTestId('limit').fill('640');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('progress')).toBeVisible();
  await expect(page.getByTestId('accuracy')).toContainText('%', { timeout: 180_000 });
  const acc = Number((await page.getByTestId('accuracy').locator('.value').textContent())!.replace(/[^\d.]/g, ''));
  expect(acc).toBeGreaterThan(95);
  await expect(page.getByTestId('accuracy')).toContainText('/ 640 correct');
  await expect(page.getByTestId('latency-b1')).toContainText('ms');
  await expect(page.getByTestId('latency-b64')).toContainText('ms');
  // GPU memory at the largest batch run as itself: LeNet's weights and batch 64's activations.
  await expect(page.getByTestId('gpu-memory')).toContainText('batch 64');
  await expect(page.getByTestId('gpu-memory').locator('.sub')).toContainText(/weights \d+\.\d KiB .* activations \d+\.\d+ MiB/);
  // Where the time goes: every LeNet step that runs a kernel (two conv, two pool, three Gemm), with its share.
  await page.getByTestId('layer-times').locator('summary').click();
  await expect(page.getByTestId('layer-time')).toHaveCount(7);
  await expect(page.getByTestId('op-share').filter({ hasText: 'Conv' })).toHaveCount(1);
  await page.screenshot({ path: 'test-results/screens/02-evaluated.png', fullPage: true });

  // A second evaluation must reuse every compiled pipeline.
  const compiles = async () => Number((await page.getByTestId('device-card').textContent())!.match(/(\d+) compiled/)![1]);
  const before = await compiles();
  // conv+relu, maxpool, and gemm+relu / gemm in the small-M (latency at batch 1) and tiled (batch 64)
  // forms: the pipelines src/engine/pipelines.browser.test.ts lists from the plans' dispatches, six on
  // a GPU and five on a software adapter (the last Gemm keeps the small form at batch 64 there).
  const software = /fallback/i.test((await page.getByTestId('device-card').textContent())!);
  expect(before).toBe(software ? 5 : 6);
  await page.getByTestId('limit').fill('64');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 64 correct', { timeout: 180_000 });
  expect(await compiles()).toBe(before);
  // Both runs are kept in the variant's history (the dashboard charts them).
  await expect(page.getByTestId('history-count')).toContainText('2 measurements of this variant are kept');
});

test('cancel stops an evaluation and keeps earlier state', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('progress')).toBeVisible();
  await page.getByTestId('job-cancel').click(); // the job bar's Cancel, whichever card started the job
  await expect(page.getByTestId('notice-info')).toContainText('stopped');
  await expect(page.getByTestId('evaluate')).toBeEnabled();
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-mnist.onnx');
});

test('bad files get clear messages and the page keeps working', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);

  await dropFiles(page, [{ name: 'notes.txt', bytes: new TextEncoder().encode('hello, this is not a model') }]);
  await expect(page.getByTestId('notice-error').last()).toContainText('notes.txt');

  const lenet = file('fixtures/lenet-mnist.onnx');
  await dropFiles(page, [{ name: 'truncated.onnx', bytes: lenet.bytes.slice(0, 2000) }]);
  await expect(page.getByTestId('notice-error').last()).toContainText('truncated.onnx');

  await dropFiles(page, [file('/usr/share/libonnx-testdata/data/node/test_lstm_defaults/model.onnx', 'lstm.onnx')]);
  await expect(page.getByTestId('notice-error').last()).toContainText('LSTM');

  // A dataset of the wrong shape for the loaded model.
  await dropFiles(page, [{ name: 'imgs-idx3-ubyte', bytes: idx([5, 32, 32]) }, { name: 'lbls-idx1-ubyte', bytes: idx([5], (i) => i) }]);
  await expect(page.getByTestId('notice-error').last()).toContainText('784');
  await page.screenshot({ path: 'test-results/screens/03-errors.png', fullPage: true });

  // Nothing already loaded was lost, and evaluation still works.
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-mnist.onnx');
  await expect(page.getByTestId('loaded-dataset')).toContainText('10000');
  await page.getByTestId('limit').fill('64');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 64 correct', { timeout: 180_000 });
});

test('dropping a real model and a gzipped dataset loads both', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  const { gzipSync } = await import('node:zlib');
  const images = file(`${MNIST}/t10k-images-idx3-ubyte`);
  const labels = file(`${MNIST}/t10k-labels-idx1-ubyte`);
  await dropFiles(page, [
    file('fixtures/mlp-mnist.onnx'),
    { name: 'test-images.gz', bytes: gzipSync(images.bytes.slice(0, 16 + 784 * 200)) },
    { name: 'test-labels.gz', bytes: gzipSync(labels.bytes.slice(0, 8 + 200)) },
  ]);
  // A sliced IDX keeps its header count, so the studio must refuse it as truncated.
  await expect(page.getByTestId('notice-error').last()).toContainText('truncated');
  await expect(page.getByTestId('loaded-model')).toHaveText('mlp-mnist.onnx');
  await dropFiles(page, [{ name: 'test-images.gz', bytes: gzipSync(images.bytes) }, { name: 'test-labels.gz', bytes: gzipSync(labels.bytes) }]);
  await expect(page.getByTestId('loaded-dataset')).toContainText('test-images.gz');
  await expect(page.getByTestId('layer-table')).toContainText('Gemm');
  await page.getByTestId('limit').fill('128');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 128 correct', { timeout: 180_000 });
});

test('a lost GPU device is replaced and nothing is lost', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await page.evaluate(() => (window as unknown as { __studio: { loseDevice(): Promise<void> } }).__studio.loseDevice());
  await expect(page.getByTestId('notice-warning')).toContainText('GPU device lost');
  await expect(page.getByTestId('loaded-model')).toHaveText('lenet-mnist.onnx');
  await page.getByTestId('limit').fill('64');
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText('/ 64 correct', { timeout: 180_000 });
});

test('without WebGPU the page explains how to enable it', async ({ page }) => {
  await page.addInitScript(() => { Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }); });
  await page.goto('/');
  await expect(page.getByTestId('no-webgpu')).toContainText('enable-unsafe-webgpu');
  await page.screenshot({ path: 'test-results/screens/04-no-webgpu.png' });
});
