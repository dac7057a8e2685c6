import { expect, test, type Page } from '@playwright/test';
import { dropFiles, file, waitForDefaults } from './helpers';

test.describe.configure({ mode: 'serial' });

const card = (page: Page) => page.getByTestId('prune-card');
const picture = (page: Page) => page.getByTestId('prune-picture');

/** The default teacher (the studio's CNN) in place of LeNet: its conv2 is a real trained 16×8×5×5 layer. */
async function loadTeacher(page: Page): Promise<void> {
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('300');
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();
  await page.getByTestId('train-load-teacher').click();
  await expect(page.locator('[data-testid="variant-row"][data-variant="cnn-studio-mnist"]')).toHaveCount(1, { timeout: 120_000 });
}

test('shows the four granularities\' sparsity patterns on a real layer, and the filter groups', async ({ page }) => {
  test.setTimeout(300_000);
  await loadTeacher(page);
  await card(page).scrollIntoViewIfNeeded();
  await expect(page.getByTestId('prune-picture-layer')).toHaveValue('conv2', { timeout: 60_000 });
  const zeros: Record<string, number> = {};
  for (const g of ['fine', 'vector', 'kernel', 'filter', '2:4']) {
    await page.getByTestId('prune-granularity').selectOption(g);
    // 2:4 fixes its own sparsity (two of every four): the field is locked at it.
    if (g === '2:4') await expect(page.getByTestId('prune-sparsity')).toBeDisabled();
    else await page.getByTestId('prune-sparsity').fill('0.5');
    // Each picture is conv2's 16×8 grid of 5×5 kernels with what this granularity would remove in red.
    await expect(picture(page)).toHaveAttribute('data-granularity', g, { timeout: 30_000 }); // drawn for this granularity
    await expect.poll(async () => Number(await picture(page).getAttribute('data-zeros')), { timeout: 30_000 }).toBeGreaterThan(0);
    zeros[g] = Number(await picture(page).getAttribute('data-zeros'));
    await card(page).screenshot({ path: `test-results/screens/20-prune-${g === '2:4' ? '2of4' : g}.png` });
  }
  // Fine, vector and kernel remove half of conv2's 3200 weights; filter drops 8 of 16 filters and 4 of the 8
  // input channels conv1 no longer makes (3/4 of the weights); 2:4 exactly half.
  expect(zeros).toEqual({ fine: 1600, vector: 1600, kernel: 1600, filter: 2400, '2:4': 1600 });
  await page.getByTestId('prune-granularity').selectOption('filter');
  await expect(page.getByTestId('prune-groups')).toContainText('kept whole: it is the model\'s output');
  // A bad sparsity is named, and Prune waits for a valid one.
  await page.getByTestId('prune-sparsity').fill('1');
  await expect(page.getByTestId('prune-problem')).toContainText('sparsity must be in [0, 1) (got 1)');
  await expect(page.getByTestId('prune-run')).toBeDisabled();
});

test('measures per-layer sensitivity, charts it, and takes the per-layer ratios from it', async ({ page }) => {
  test.setTimeout(400_000);
  await loadTeacher(page);
  await card(page).scrollIntoViewIfNeeded();
  await page.getByTestId('prune-sensitivitySamples').fill('200');
  await page.getByTestId('prune-sensitivity-run').click();
  await expect(page.getByTestId('prune-sensitivity')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('prune-sensitivity')).toContainText('conv2');
  await page.getByTestId('prune-use-sensitivity').click();
  await expect(page.getByTestId('prune-layers')).toHaveValue(/fc1=0\.\d+/);
  await page.getByTestId('prune-sensitivity').screenshot({ path: 'test-results/screens/21-prune-sensitivity.png' });
});

test('prune → distil → int8: each step a variant made from the one before', async ({ page }) => {
  test.setTimeout(600_000);
  await loadTeacher(page);
  await card(page).scrollIntoViewIfNeeded();
  // Filter pruning really shrinks the model; one short fine-tuning epoch, distilled from the unpruned CNN.
  await page.getByTestId('prune-granularity').selectOption('filter');
  await page.getByTestId('prune-sparsity').fill('0.3');
  await page.getByTestId('prune-finetuneEpochs').fill('1');
  await page.getByTestId('prune-trainSamples').fill('1280');
  await page.getByTestId('prune-testSamples').fill('300');
  await page.getByTestId('prune-distill').check();
  await expect(page.getByTestId('prune-problem')).toHaveCount(0);
  await page.getByTestId('prune-run').click();
  const prunedName = 'cnn-studio-mnist-pruned-filter-30-l1-ft1d';
  const pruned = page.locator(`[data-testid="variant-row"][data-variant="${prunedName}"]`);
  await expect(pruned).toHaveCount(1, { timeout: 300_000 });
  await expect(pruned).toContainText('pruned · filter 30 % · l1 · 1 ep fine-tuned (distilled)');
  await expect(pruned.getByTestId('v-lineage')).toContainText('from cnn-studio-mnist');
  await expect(page.getByTestId('prune-last')).toContainText('parameters');
  await expect(page.getByTestId('prune-status')).toBeHidden({ timeout: 240_000 });
  expect(Number(await pruned.getByTestId('v-ratio').getAttribute('data-ratio'))).toBeGreaterThan(1.5);
  await page.getByTestId('prune-card').screenshot({ path: 'test-results/screens/22-prune-result.png' });

  // Distil: the pruned variant as the student, trained further from the unpruned CNN.
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();
  for (const [k, v] of Object.entries({ student: prunedName, epochs: '1', trainSamples: '640', testSamples: '300', lr: '0.0005' })) await page.getByTestId(`train-${k}`).fill(v);
  await page.getByTestId('train-teacher').selectOption('cnn-studio-mnist');
  await expect(page.getByTestId('train-problem')).toHaveCount(0);
  await page.getByTestId('train-start').click();
  const distilled = page.locator('[data-testid="variant-row"][data-kind="student"][data-variant*="pruned-filter-30-l1-ft1d"]');
  await expect(distilled).toHaveCount(1, { timeout: 300_000 });
  await expect(distilled.getByTestId('v-lineage')).toContainText('2 steps from the file');
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 240_000 });

  // int8 from the distilled student.
  await page.getByTestId('q-samples').fill('64');
  await page.getByTestId('quantize').click();
  const int8 = page.locator('[data-testid="variant-row"][data-kind="int8"][data-variant*="pruned-filter-30-l1-ft1d"]');
  await expect(int8).toHaveCount(1, { timeout: 240_000 });
  await expect(int8.getByTestId('v-lineage')).toContainText('3 steps from the file');
  await expect(int8.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await page.getByTestId('variants-card').scrollIntoViewIfNeeded();
  await page.getByTestId('variants-card').screenshot({ path: 'test-results/screens/23-prune-distil-int8-chain.png' });
});

test('removes a residual block from a model brought in, and names the block', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('300'); // each new variant is evaluated on these items
  await dropFiles(page, [file('fixtures/resdw-mnist.onnx')]);
  await expect(page.getByTestId('loaded-model')).toHaveText('resdw-mnist.onnx');
  await card(page).scrollIntoViewIfNeeded();
  await page.getByTestId('prune-granularity').selectOption('block');
  await expect(page.getByTestId('prune-blocks')).toContainText('/res1/Conv, /res2/Conv');
  await page.getByTestId('prune-sparsity').fill('0.5');
  // The block's first Conv: every weight red, since the whole block goes.
  await page.getByTestId('prune-picture-layer').selectOption('/res1/Conv');
  await expect(picture(page)).toContainText('100.00 % removed');
  await expect(picture(page)).toContainText('the layer\'s block goes whole');
  // Per-block choices are 1 or 0: a share is named as the problem.
  await page.getByTestId('prune-layers').fill('/Add=0.5');
  await expect(page.getByTestId('prune-problem')).toContainText('a block goes whole or stays');
  await page.getByTestId('prune-layers').fill('');
  // Sensitivity with blocks: the block removed alone, one point; it costs more than the 1-point budget.
  await page.getByTestId('prune-sensitivitySamples').fill('200');
  await page.getByTestId('prune-sensitivity-run').click();
  await expect(page.getByTestId('prune-sensitivity')).toContainText('/Add', { timeout: 120_000 });
  await expect(page.getByTestId('prune-sensitivity')).toContainText('Within 1 point per layer: none');
  await expect(page.getByTestId('prune-status')).toBeHidden({ timeout: 60_000 });
  await page.getByTestId('prune-finetuneEpochs').fill('0');
  await page.getByTestId('prune-testSamples').fill('300');
  await page.getByTestId('prune-run').click();
  const row = page.locator('[data-testid="variant-row"][data-variant="resdw-mnist-pruned-block-50-l1"]');
  await expect(row).toHaveCount(1, { timeout: 240_000 });
  await expect(row).toContainText('pruned · 1 of 1 blocks removed · l1');
  await expect(page.getByTestId('prune-last')).toContainText('Blocks removed: /Add (/res1/Conv, /res2/Conv)');
  await expect(page.getByTestId('prune-status')).toBeHidden({ timeout: 120_000 });
  // The pruned variant has no block left: its picture shows the weights whole, and the table says why.
  await expect(page.getByTestId('prune-blocks')).toContainText('No removable block');
  await expect(picture(page)).toContainText('0.00 % removed');
  await expect(page.getByTestId('prune-picture-error')).toHaveCount(0);
  await card(page).screenshot({ path: 'test-results/screens/24-prune-block.png' });
});
