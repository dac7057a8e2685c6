import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { dropFiles, e2eModel, file, MNIST, waitForDefaults } from './helpers';

test.describe.configure({ mode: 'serial' });

const LENET = ['/features/features.0/Conv', '/features/features.4/Conv', '/classifier/classifier.1/Gemm', '/classifier/classifier.3/Gemm', '/classifier/classifier.5/Gemm'];
const layerRow = (page: Page, name: string) => page.locator(`[data-testid="precision-row"][data-layer="${name}"]`);
const mixedRows = (page: Page) => page.locator('[data-testid="variant-row"][data-kind="mixed"]');
const accuracyOf = async (page: Page, selector: string) => Number(await page.locator(selector).getByTestId('v-accuracy').getAttribute('data-accuracy'));

/** Evaluate the original on `n` samples, the terms every new variant is then compared on. */
async function evaluateOriginal(page: Page, n: number): Promise<void> {
  await page.getByTestId('limit').fill(String(n));
  await page.getByTestId('evaluate').click();
  await expect(page.getByTestId('accuracy')).toContainText(`/ ${n} correct`, { timeout: 180_000 });
}

test('the per-layer table builds a variant with exactly those precisions', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await expect(page.getByTestId('precision-row')).toHaveCount(5);
  await expect(page.getByTestId('precision-row').first()).toContainText('156'); // conv1: 6×1×5×5 + 6
  await evaluateOriginal(page, 200);

  await layerRow(page, LENET[0]!).getByTestId('precision-select').selectOption('fp32');
  await layerRow(page, LENET[2]!).getByTestId('precision-select').selectOption('binary');
  await expect(page.getByTestId('q-scheme')).toHaveValue('mixed'); // choosing per layer switches the scheme
  await expect(page.getByTestId('q-mixed-summary')).toContainText('3 int8 · 1 binary · 1 fp32');
  await page.getByTestId('q-samples').fill('128');
  await page.getByTestId('mixed-build').click();

  const v = mixedRows(page);
  await expect(v).toHaveCount(1, { timeout: 120_000 });
  await expect(v).toHaveAttribute('data-variant', 'lenet-mnist-mixed-f8b88');
  await expect(v).toContainText('mixed · 3 int8 · 1 binary · 1 fp32');
  await expect(v).toHaveClass(/current/);
  await expect(v.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 180_000 });
  await expect(page.getByTestId('q-progress')).toBeHidden({ timeout: 60_000 });
  await expect(v.getByTestId('v-accuracy')).toContainText('200 samples');
  // The binary fc1 reads ReLU outputs (sign +1 everywhere), so every image gets the same class: the
  // accuracy is that class's share of the 200 labels, whichever class it is.
  const labels = readFileSync(`${MNIST}/t10k-labels-idx1-ubyte`).subarray(8, 8 + 200);
  const shares = Array.from({ length: 10 }, (_, k) => (100 * labels.filter((l) => l === k).length / 200).toFixed(4));
  expect(shares).toContain(await v.getByTestId('v-accuracy').getAttribute('data-accuracy'));
  await expect(v.getByTestId('v-download')).toHaveAttribute('data-format', 'studio'); // a binary layer: the studio's format
  expect(Number(await v.getByTestId('v-ratio').getAttribute('data-ratio'))).toBeGreaterThan(4);
  await expect(page.getByTestId('layer-table')).toContainText('Gemm · binary');
  await expect(page.getByTestId('layer-table')).toContainText('Conv · int8');
  await page.getByTestId('mixed-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/08-mixed-manual.png', fullPage: true });
});

test('sensitivity charts one bar per layer; auto fills the table and stays within the budget', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  const n = 200;
  await evaluateOriginal(page, n);
  const original = await accuracyOf(page, '[data-testid="variant-row"][data-kind="original"]');

  await page.getByTestId('sens-samples').fill(String(n));
  await page.getByTestId('q-samples').fill('128');
  await page.getByTestId('sensitivity').click();
  await expect(page.getByTestId('search-progress')).toBeVisible();
  const chart = page.getByTestId('sensitivity-chart');
  await expect(chart).toBeVisible({ timeout: 200_000 });
  await expect(page.getByTestId('search-progress')).toBeHidden();
  await expect(chart).toHaveAttribute('data-layers', '5');
  await expect(chart.locator('.recharts-bar-rectangle')).toHaveCount(5);
  for (const cell of await page.getByTestId('sens-int8').all()) await expect(cell).toContainText('pts');
  for (const cell of await page.getByTestId('sens-binary').all()) await expect(cell).toContainText('pts');
  await page.getByTestId('sens-series').selectOption('both');
  await expect(chart.locator('.recharts-bar-rectangle')).toHaveCount(10);
  await page.getByTestId('sens-series').selectOption('int8');
  await page.getByTestId('mixed-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/09-sensitivity.png', fullPage: true });

  // Put the table off its defaults, so Auto visibly fills it.
  await page.getByTestId('mixed-all-fp32').click();
  await expect(page.locator('[data-testid="precision-row"][data-precision="fp32"]')).toHaveCount(5);
  await page.getByTestId('auto-budget').fill('0.5');
  await page.getByTestId('auto').click();
  const result = page.getByTestId('auto-result');
  await expect(result).toBeVisible({ timeout: 200_000 });
  expect(Number(await result.getAttribute('data-drop'))).toBeLessThanOrEqual(0.5 + 1e-6);
  await expect(result).toHaveAttribute('data-samples', String(n));

  const v = mixedRows(page);
  await expect(v).toHaveCount(1);
  // Binary sensitivities were measured, so Auto may move int8 layers to binary (the name says it could).
  await expect(v).toHaveAttribute('data-variant', 'lenet-mnist-auto-0.5pts-bin');
  // When the job is done (made and evaluated), the table shows the choice Auto made, layer by layer, as the variant's summary says.
  await expect(v.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 180_000 });
  await expect(page.getByTestId('job')).toHaveCount(0, { timeout: 60_000 });
  const chosen = await page.getByTestId('precision-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-precision')!));
  for (const p of ['int8', 'binary', 'fp32']) {
    const n = chosen.filter((c) => c === p).length;
    if (n) await expect(v).toContainText(`${n} ${p}`);
  }
  await expect(page.getByTestId('q-scheme')).toHaveValue('mixed');
  await expect(v).toContainText('auto ≤ 0.5 pts');
  // Evaluated like any new variant, on the same 200 samples the search measured: within budget there too.
  await expect(v.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 180_000 });
  await expect(page.getByTestId('q-progress')).toBeHidden({ timeout: 60_000 });
  await expect(v.getByTestId('v-accuracy')).toContainText(`${n} samples`);
  const auto = await accuracyOf(page, '[data-testid="variant-row"][data-kind="mixed"]');
  expect(original - auto).toBeLessThanOrEqual(0.5 + 1e-6);
  expect(Math.abs((original - auto) - Number(await result.getAttribute('data-drop')))).toBeLessThan(1e-6);
  // Standard QDQ where the mix is int8/fp32 only; the studio's format where a layer is binary.
  await expect(v.getByTestId('v-download')).toHaveAttribute('data-format', chosen.includes('binary') ? 'studio' : 'onnx');
  await page.getByTestId('mixed-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/10-auto.png', fullPage: true });
});

test('bad mixed-precision input gets clear messages; refused layers say why; cancel keeps everything', async ({ page }) => {
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('64');

  for (const [text, message] of [['-1', '0 or more points'], ['abc', 'must be a number'], ['', 'must be a number']] as const) {
    await page.getByTestId('auto-budget').fill(text);
    await expect(page.getByTestId('auto-budget-error')).toContainText(message);
    await expect(page.getByTestId('auto')).toBeDisabled();
    await expect(page.getByTestId('auto-budget')).toHaveValue(text); // what was typed stays to be fixed
  }
  await page.getByTestId('auto-budget').fill('0.5');
  await expect(page.getByTestId('auto-budget-error')).toHaveCount(0);
  await expect(page.getByTestId('auto')).toBeEnabled();

  await page.getByTestId('sens-samples').fill('0');
  await expect(page.getByTestId('sens-samples-error')).toContainText('whole number from 1 to 10000');
  await expect(page.getByTestId('sensitivity')).toBeDisabled();
  await page.getByTestId('sens-samples').fill('20000');
  await expect(page.getByTestId('sens-samples-error')).toContainText('whole number from 1 to 10000');

  // Zero calibration samples with an int8 layer in the mix: refused before anything runs.
  await page.getByTestId('precision-select').first().selectOption('binary');
  await page.getByTestId('q-samples').fill('0');
  await page.getByTestId('mixed-build').click();
  await expect(page.getByTestId('notice-error').last()).toContainText('at least one sample');
  // Sensitivity calibrates its int8 candidates too: the same message, before anything runs.
  await page.getByTestId('sens-samples').fill('200');
  await page.getByTestId('sensitivity').click();
  await expect(page.getByTestId('notice-error').last()).toContainText('Sensitivity needs calibration samples');
  await expect(page.getByTestId('notice-error').last()).toContainText('at least one sample');
  await expect(page.getByTestId('search-progress')).toHaveCount(0);
  // All layers binary: no calibration needed, so zero samples is fine.
  await page.getByTestId('mixed-all-binary').click();
  await expect(page.getByTestId('q-samples-error')).toHaveCount(0);
  await expect(page.getByTestId('q-int8-options')).toHaveCount(0);
  await page.getByTestId('mixed-all-int8').click();
  await page.getByTestId('q-samples').fill('128');

  // Cancel a sensitivity run: the table and the variants stay as they were.
  await page.getByTestId('sens-samples').fill('5000');
  await page.getByTestId('sensitivity').click();
  await expect(page.getByTestId('search-progress')).toBeVisible();
  await page.getByTestId('search-cancel').click();
  await expect(page.getByTestId('notice-info').last()).toContainText('sensitivity analysis was stopped');
  await expect(page.getByTestId('search-progress')).toBeHidden();
  await expect(page.getByTestId('sensitivity-chart')).toHaveCount(0);
  await expect(page.locator('[data-testid="variant-row"]')).toHaveCount(1);
  await expect(page.getByTestId('sensitivity')).toBeEnabled();

  // A layer that cannot be int8 or binary (Gemm with alpha ≠ 1): both options disabled, the reason shown.
  await dropScaledGemmModel(page);
  await expect(page.getByTestId('loaded-model')).toHaveText('scaled-gemm.onnx');
  const scaled = layerRow(page, 'scaled');
  await expect(scaled.getByTestId('precision-reason')).toHaveCount(2);
  await expect(scaled.locator('[data-testid="precision-reason"][data-precision="binary"]')).toContainText('alpha or beta ≠ 1 is not binarized');
  await expect(scaled.locator('option[value="binary"]')).toBeDisabled();
  await expect(scaled.locator('option[value="int8"]')).toBeDisabled();
  await expect(scaled).toHaveAttribute('data-precision', 'fp32');
  await expect(layerRow(page, 'plain').locator('option[value="binary"]')).toBeEnabled();
  await page.getByTestId('mixed-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/11-mixed-refusals.png', fullPage: true });
  await layerRow(page, 'plain').getByTestId('precision-select').selectOption('binary');
  await page.getByTestId('mixed-build').click();
  await expect(mixedRows(page)).toHaveCount(1, { timeout: 120_000 });
  await expect(mixedRows(page)).toContainText('1 binary · 1 fp32');
});

/** Flatten → Gemm (alpha 0.5, refused by int8 and binary) → Relu → Gemm, written in Node (scripts/write-e2e-models.ts) and dropped. */
async function dropScaledGemmModel(page: Page): Promise<void> {
  await dropFiles(page, [file(e2eModel('scaled-gemm.onnx'))]);
}
