import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { waitForDefaults } from './helpers';

test.describe.configure({ mode: 'serial' });

const students = (page: Page) => page.locator('[data-testid="variant-row"][data-kind="student"]');
const progress = (page: Page) => page.getByTestId('train-progress');
const points = async (page: Page, chart: string) => Number(await page.getByTestId(`train-chart-${chart}`).getAttribute('data-points'));

async function setUp(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [k, v] of Object.entries(fields)) await page.getByTestId(`train-${k}`).fill(v);
}

test('distils a tiny student from LeNet with live curves, pause and resume, and lists it as a variant; a second run is cancelled', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await waitForDefaults(page);
  // The variants' accuracies come from Evaluate's settings: a few hundred samples keep it quick.
  await page.getByTestId('limit').fill('500');
  const card = page.getByTestId('train-card');
  await card.scrollIntoViewIfNeeded();
  await expect(page.getByTestId('train-teacher')).toHaveValue('lenet-mnist');
  // mlp:784-16-10 from LeNet: 1 epoch over all 60k items at batch 8 is 7500 steps: enough that an
  // idle machine does not finish before Pause can be clicked (250 steps took 3 s on the faster kernels).
  await setUp(page, { student: 'mlp:784-16-10', epochs: '1', trainSamples: '60000', batch: '8', testSamples: '1000', lr: '0.005' });
  await expect(page.getByTestId('train-problem')).toHaveCount(0);
  await expect(page.getByTestId('train-start')).toHaveText('Distil from lenet-mnist');
  await page.getByTestId('train-start').click();

  // Pause as soon as steps come in; the loop holds and the charts stop growing.
  await expect(progress(page)).toHaveAttribute('data-status', 'running', { timeout: 180_000 });
  await page.getByTestId('train-pause').click();
  await expect(progress(page)).toHaveAttribute('data-status', 'paused', { timeout: 30_000 });
  const pausedAt = Number(await progress(page).getAttribute('data-step'));
  expect(pausedAt).toBeGreaterThan(0);
  expect(pausedAt).toBeLessThan(7500);
  await expect(progress(page)).toContainText(`Paused at step ${pausedAt} / 7500`);
  const before = await points(page, 'loss');
  expect(before).toBeGreaterThan(0);
  await page.waitForTimeout(2000);
  await expect(progress(page)).toHaveAttribute('data-step', String(pausedAt));
  expect(await points(page, 'loss')).toBe(before);
  // Each chart drew a line through its points (a constant learning rate is a flat line of no height, so not 'visible').
  for (const c of ['loss', 'accuracy', 'lr']) await expect(page.getByTestId(`train-chart-${c}`).locator('polyline').first()).toHaveAttribute('points', /^[\d.]+,[\d.]+ [\d.]+,[\d.]+/);
  await expect(page.getByTestId('train-chart-accuracy').locator('.svg-legend span')).toHaveCount(3); // batch, test, agreement
  await card.screenshot({ path: 'test-results/screens/14-train-paused.png' });
  await page.screenshot({ path: 'test-results/screens/14-train-paused-page.png', fullPage: true });

  await page.getByTestId('train-resume').click();
  await expect(progress(page)).not.toHaveAttribute('data-status', 'paused');
  // Finished: every step charted, the student listed and selected, then evaluated like any variant.
  const row = students(page);
  await expect(row).toHaveCount(1, { timeout: 180_000 });
  // The worker reads back every 50th step of 7500 (train-job.ts: about 120 points a run, at most every 50).
  expect(await points(page, 'loss')).toBe(150);
  expect(await points(page, 'accuracy')).toBe(150);
  await expect(page.getByTestId('train-chart-accuracy').locator('circle').first()).toBeVisible(); // the epoch's test accuracy
  await expect(row).toHaveAttribute('data-variant', 'lenet-mnist-student-mlp-784-16-10-distil-T4-a0.9');
  await expect(row).toContainText('student · mlp:784-16-10 · distilled · T 4 · α 0.9 · 1 ep');
  await expect(row).toHaveClass(/current/);
  await expect(row.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await expect(row.getByTestId('v-accuracy')).toContainText('500 samples');
  expect(Number(await row.getByTestId('v-accuracy').getAttribute('data-accuracy'))).toBeGreaterThan(50);
  await expect(row.getByTestId('v-b1')).not.toHaveText('–');
  // 784·16 + 16 + 16·10 + 10 fp32 weights and biases, against LeNet's.
  await expect(row.getByTestId('v-ratio')).toContainText('× smaller');
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 120_000 });
  await expect(page.getByTestId('train-run-row')).toHaveCount(1);
  await expect(page.getByTestId('train-run-row').first()).toHaveAttribute('data-outcome', 'finished');
  // The student downloads as a plain ONNX file with its own (any-batch) input.
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('v-download').click()]);
  expect(download.suggestedFilename()).toBe('lenet-mnist-student-mlp-784-16-10-distil-T4-a0.9.onnx');
  const bytes = readFileSync((await download.path())!);
  expect(bytes.length).toBeGreaterThan(4 * 12_730);
  expect(bytes.includes('ai.compression-studio')).toBe(false);
  await card.screenshot({ path: 'test-results/screens/15-train-finished.png' });
  await page.getByTestId('variants-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screens/15-train-finished-page.png', fullPage: true });

  // The same student on hard labels, over many items (7500 steps), cancelled after a few: its weights so far are kept.
  await setUp(page, { trainSamples: '60000', batch: '8' });
  await expect(page.getByTestId('train-compare')).toHaveText('Same student, hard labels only');
  await page.getByTestId('train-compare').click();
  await expect(progress(page)).toHaveAttribute('data-status', 'running', { timeout: 180_000 });
  await expect.poll(async () => Number(await progress(page).getAttribute('data-step')), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await page.getByTestId('train-cancel').click();
  await expect(page.getByTestId('notice-info').filter({ hasText: 'Training cancelled' })).toContainText(/cancelled at step \d+ of 7500/);
  const partial = page.locator('[data-testid="variant-row"][data-variant="lenet-mnist-student-mlp-784-16-10-hard-partial"]');
  await expect(partial).toHaveCount(1);
  await expect(partial).toContainText('hard labels');
  await expect(partial).toContainText('cancelled');
  await expect(partial.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 120_000 });
  await expect(page.getByTestId('train-run-row')).toHaveCount(2);
  await expect(page.getByTestId('train-run-row').nth(1)).toHaveAttribute('data-outcome', 'cancelled');
  await card.screenshot({ path: 'test-results/screens/16-train-cancelled.png' });
});

test('refuses bad settings with notices: classes that do not match, and a loss that becomes NaN', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('200');
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();

  // A 5-class student cannot be distilled from a 10-class teacher: said in the card and, on Start, as a notice.
  await setUp(page, { student: 'mlp:784-16-5', epochs: '1', trainSamples: '640', testSamples: '200' });
  await expect(page.getByTestId('train-problem')).toContainText('student scores 5 classes but the teacher 10');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('notice-error').filter({ hasText: 'Training needs valid settings' })).toContainText('the teacher 10');

  // On hard labels the worker refuses it: MNIST's labels hold 10 classes.
  await page.getByTestId('train-mode-hard').check();
  await expect(page.getByTestId('train-problem')).toHaveCount(0);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('notice-error').filter({ hasText: 'Training failed' })).toContainText('labels hold 10 classes', { timeout: 180_000 });
  await expect(students(page)).toHaveCount(0);

  // SGD at an absurd learning rate: the loss turns NaN, training stops, the last good weights are kept.
  await setUp(page, { student: 'mlp:784-16-10', lr: '1000000' });
  await page.getByTestId('train-optimizer').selectOption('sgd');
  await expect(page.getByTestId('train-lr')).toHaveValue('1000000'); // a value the user typed is not replaced
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('notice-error').filter({ hasText: 'Training diverged' })).toContainText(/NaN or infinite at step \d+/, { timeout: 180_000 });
  await expect(page.locator('[data-testid="variant-row"][data-variant$="-hard-diverged"]')).toHaveCount(1);
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 180_000 });
  await page.screenshot({ path: 'test-results/screens/17-train-refusals.png', fullPage: true });

  // Cancel while paused: the held loop lets go and the weights so far are kept.
  await setUp(page, { lr: '0.05', trainSamples: '60000', batch: '8' });
  await page.getByTestId('train-start').click();
  await expect.poll(async () => Number(await progress(page).getAttribute('data-step')), { timeout: 180_000 }).toBeGreaterThanOrEqual(2);
  await page.getByTestId('train-pause').click();
  await expect(progress(page)).toHaveAttribute('data-status', 'paused', { timeout: 30_000 });
  await page.getByTestId('train-cancel').click();
  await expect(page.getByTestId('notice-info').filter({ hasText: 'Training cancelled' })).toContainText(/cancelled at step \d+ of 7500/, { timeout: 60_000 });
  await expect(page.locator('[data-testid="variant-row"][data-variant$="-hard-partial"]')).toHaveCount(1);
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 180_000 });
});

test('variants compose: a half-width student distilled from LeNet, int8 made from it, that int8 variant trained int8-aware, and a binary QAT student', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('limit').fill('200');
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();

  // The teacher at half width: each LeNet layer but the output keeps half its channels, fresh weights.
  await setUp(page, { student: 'width:0.5', epochs: '1', trainSamples: '1280', batch: '64', testSamples: '200', lr: '0.003' });
  await page.getByTestId('train-mode-hard').check();
  await expect(page.getByTestId('train-problem')).toContainText('is made from the teacher');
  await page.getByTestId('train-mode-distil').check();
  await expect(page.getByTestId('train-problem')).toHaveCount(0);
  await page.getByTestId('train-start').click();
  const half = page.locator('[data-testid="variant-row"][data-variant="lenet-mnist-student-width-0.5-distil-T4-a0.9"]');
  await expect(half).toHaveCount(1, { timeout: 240_000 });
  await expect(half).toContainText('student · width:0.5');
  await expect(half.getByTestId('v-lineage')).toContainText('from lenet-mnist');
  await expect(half.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 120_000 });
  expect(Number(await half.getByTestId('v-ratio').getAttribute('data-ratio'))).toBeGreaterThan(3); // about a quarter of the weights

  // int8 starts from the current float variant: the student, not the loaded file.
  await expect(page.getByTestId('q-source')).toContainText('lenet-mnist-student-width-0.5-distil-T4-a0.9');
  await page.getByTestId('q-samples').fill('64');
  await page.getByTestId('quantize').click();
  const int8 = page.locator('[data-testid="variant-row"][data-variant="lenet-mnist-student-width-0.5-distil-T4-a0.9-int8-pc-sym-minmax64"]');
  await expect(int8).toHaveCount(1, { timeout: 180_000 });
  await expect(int8.getByTestId('v-lineage')).toContainText('from lenet-mnist-student-width-0.5-distil-T4-a0.9 · 2 steps from the file');
  await expect(int8.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await expect(page.getByTestId('q-progress')).toBeHidden({ timeout: 60_000 });
  // Its source is still the student: an int8 variant is not quantized again.
  await expect(page.getByTestId('q-source')).toContainText('lenet-mnist-student-width-0.5-distil-T4-a0.9');

  // A variant as the student: the int8 one means its float parent (the half-width student) trained int8-aware, distilled again.
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();
  await setUp(page, { student: 'lenet-mnist-student-width-0.5-distil-T4-a0.9-int8-pc-sym-minmax64', trainSamples: '640' });
  await expect(page.getByTestId('train-problem')).toHaveCount(0);
  await page.getByTestId('train-start').click();
  const qat = page.locator('[data-testid="variant-row"][data-kind="int8"][data-variant*="distil-T4-a0.9-int8-pc-sym-minmax64-distil"]');
  await expect(qat).toHaveCount(1, { timeout: 300_000 });
  await expect(qat).toContainText('int8 QAT student');
  await expect(qat.getByTestId('v-lineage')).toContainText('3 steps from the file');
  await expect(qat.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 120_000 });

  // The teacher itself binarised and trained binary-aware (XNOR layers inside, first and last kept float).
  await setUp(page, { student: 'binary' });
  await page.getByTestId('train-start').click();
  const binary = page.locator('[data-testid="variant-row"][data-kind="binary"][data-variant*="student-binary"]');
  await expect(binary).toHaveCount(1, { timeout: 300_000 });
  await expect(binary).toContainText('binary QAT student');
  await expect(binary.getByTestId('v-lineage')).toContainText('from lenet-mnist');
  await expect(binary.getByTestId('v-accuracy')).toHaveAttribute('data-accuracy', /\d/, { timeout: 240_000 });
  await expect(page.getByTestId('train-progress')).toBeHidden({ timeout: 120_000 });
  await page.getByTestId('variants-card').scrollIntoViewIfNeeded();
  await page.getByTestId('variants-card').screenshot({ path: 'test-results/screens/18-variant-chain.png' });
});

test('loads the studio\'s default teacher (the CNN it trained itself) from the Train & distil card', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();
  await page.getByTestId('train-load-teacher').click();
  // The teacher opens as a project of its own (the LeNet project stays in the list).
  await expect(page.getByTestId('loaded-model')).toHaveText('cnn-studio-mnist.onnx', { timeout: 120_000 });
  await expect(page.locator('[data-testid="variant-row"][data-kind="original"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="variant-row"][data-kind="original"]')).toHaveAttribute('data-variant', 'cnn-studio-mnist');
  await expect(page.getByTestId('project-select').locator('option')).toHaveCount(2);
  await expect(page.getByTestId('train-teacher')).toHaveValue('cnn-studio-mnist');
  await expect(page.getByTestId('train-load-teacher')).toHaveCount(0);
  await expect(page.getByTestId('train-start')).toHaveText('Distil from cnn-studio-mnist');
});
