/**
 * The journey a person makes, on the production build: drop a model and a dataset, quantise int8
 * twice with settings the old names hid (symmetric and asymmetric: two variants), prune filters,
 * distil a student, see them all on the trade-off charts with the frontier, compare two side by side
 * (flips, the disagreement grid, the confusion difference), reload and find everything, export the
 * report, a variant and the project, and import the project in a fresh browser to see the same
 * dashboard. The longest main-thread task of each phase is measured and written, never asserted.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { idle, longestTask, type LongestTask, MNIST, now, variantRow, variantRows, waitForDefaults, watchLongTasks } from './helpers';

test.describe.configure({ mode: 'serial' });

const ROOT = 'cnn-studio-mnist';
const SYM = `${ROOT}-int8-pc-sym-minmax128`, ASYM = `${ROOT}-int8-pc-asym-minmax128`;
const PRUNED = `${ROOT}-pruned-filter-30-l1-ft1`, STUDENT = `${ROOT}-student-mlp-784-32-10-distil-T4-a0.9`;
const ALL = [ROOT, SYM, ASYM, PRUNED, STUDENT];

async function phase<T>(page: Page, phases: Record<string, LongestTask>, name: string, run: () => Promise<T>, fromStart = false): Promise<T> {
  const from = fromStart ? 0 : await now(page); // a new document starts its clock at 0
  const out = await run();
  phases[name] = await longestTask(page, from);
  return out;
}

const selectVariant = async (page: Page, name: string) => {
  await variantRow(page, name).getByTestId('v-select').click();
  await expect(variantRow(page, name)).toHaveClass(/current/);
};

test('drop, quantise twice, prune, distil, compare on the dashboard, reload, export, import elsewhere', async ({ page, browser }) => {
  test.setTimeout(1_500_000);
  mkdirSync('test-results/screens', { recursive: true });
  await watchLongTasks(page);
  const phases: Record<string, LongestTask> = {};

  await phase(page, phases, 'load', async () => {
    await page.goto('/');
    await waitForDefaults(page);
  }, true);

  // A model and a dataset, picked as a person would (the test set gzipped, as it is often shipped).
  mkdirSync('test-results/journey', { recursive: true });
  writeFileSync('test-results/journey/mnist-test-images.gz', gzipSync(readFileSync(`${MNIST}/t10k-images-idx3-ubyte`)));
  writeFileSync('test-results/journey/mnist-test-labels.gz', gzipSync(readFileSync(`${MNIST}/t10k-labels-idx1-ubyte`)));
  await phase(page, phases, 'open files', async () => {
    await page.getByTestId('file-input').setInputFiles([`fixtures/${ROOT}.onnx`, 'test-results/journey/mnist-test-images.gz', 'test-results/journey/mnist-test-labels.gz']);
    await expect(page.getByTestId('loaded-model')).toHaveText(`${ROOT}.onnx`, { timeout: 120_000 });
    await expect(page.getByTestId('loaded-dataset')).toContainText('mnist-test-images.gz', { timeout: 120_000 });
    await expect(variantRows(page)).toHaveCount(1);
  });
  await expect(page.getByTestId('project-select').locator('option')).toHaveCount(2); // the bundled example's project stays beside it

  await page.getByTestId('limit').fill('500');
  await phase(page, phases, 'evaluate', async () => {
    await page.getByTestId('evaluate').click();
    await expect(page.getByTestId('accuracy')).toContainText('/ 500 correct', { timeout: 240_000 });
    await idle(page);
  });

  // int8 twice: symmetric, then asymmetric weights. Two runs with different settings: two variants.
  await page.getByTestId('q-samples').fill('128');
  await phase(page, phases, 'quantize', async () => {
    await page.getByTestId('quantize').click();
    await expect(variantRow(page, SYM)).toHaveCount(1, { timeout: 240_000 });
    await idle(page);
  });
  await page.getByTestId('q-symmetry').selectOption('asym');
  await page.getByTestId('quantize').click();
  await expect(variantRow(page, ASYM)).toHaveCount(1, { timeout: 240_000 });
  await idle(page);
  await expect(variantRows(page, 'int8')).toHaveCount(2);
  expect(await variantRow(page, SYM).getAttribute('data-id')).not.toBe(await variantRow(page, ASYM).getAttribute('data-id'));
  // A note and tags on one of them, kept with its record.
  await variantRow(page, SYM).getByTestId('v-more').click();
  await variantRow(page, SYM).getByTestId('v-annotate').click();
  await page.getByTestId('v-notes-input').fill('the one to ship if nothing smaller holds');
  await page.getByTestId('v-tags-input').fill('candidate, int8');
  await page.getByTestId('v-annotate-save').click();
  await expect(variantRow(page, SYM).getByTestId('v-tag')).toHaveText(['candidate', 'int8']);
  await expect(variantRow(page, SYM).getByTestId('v-notes')).toHaveText('the one to ship if nothing smaller holds');

  // Filters pruned from the loaded file, one short fine-tuning epoch.
  await selectVariant(page, ROOT);
  await page.getByTestId('prune-card').scrollIntoViewIfNeeded();
  await page.getByTestId('prune-granularity').selectOption('filter');
  await page.getByTestId('prune-sparsity').fill('0.3');
  await page.getByTestId('prune-finetuneEpochs').fill('1');
  await page.getByTestId('prune-trainSamples').fill('640');
  await page.getByTestId('prune-testSamples').fill('500');
  await phase(page, phases, 'prune', async () => {
    await page.getByTestId('prune-run').click();
    await expect(variantRow(page, PRUNED)).toHaveCount(1, { timeout: 400_000 });
    await idle(page);
  });

  // A small student distilled from the loaded file.
  await selectVariant(page, ROOT);
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();
  for (const [k, v] of Object.entries({ student: 'mlp:784-32-10', epochs: '1', trainSamples: '3200', testSamples: '500' })) await page.getByTestId(`train-${k}`).fill(v);
  await phase(page, phases, 'train', async () => {
    await page.getByTestId('train-start').click();
    await expect(variantRow(page, STUDENT)).toHaveCount(1, { timeout: 400_000 });
    await idle(page);
  });
  for (const name of ALL) await expect(variantRow(page, name).getByTestId('v-accuracy')).toContainText('500 samples');

  // The dashboard: every variant on the four charts, the frontier drawn, the dominated dimmed.
  await phase(page, phases, 'dashboard', async () => {
    await page.getByTestId('view-dashboard').click();
    await expect(page.getByTestId('dash-row')).toHaveCount(5);
    for (const chart of ['weights', 'file', 'b1', 'b64']) await expect(page.getByTestId(`chart-${chart}`).getByTestId('chart-point')).toHaveCount(5);
    await idle(page);
  });
  for (const chart of ['weights', 'file', 'b1', 'b64']) {
    await expect(page.getByTestId(`chart-${chart}`)).toHaveAttribute('data-points', '5');
    const frontier = (await page.getByTestId(`chart-${chart}`).getAttribute('data-frontier'))!.split(',').filter(Boolean);
    expect(frontier.length).toBeGreaterThan(0);
    await expect(page.getByTestId(`chart-${chart}`).locator('[data-testid="chart-point"][data-frontier="0"]')).toHaveCount(5 - frontier.length);
  }
  // The smallest weights on the frontier: nothing is smaller (the leftmost point is never dominated).
  const ids = Object.fromEntries(await Promise.all(ALL.map(async (n) => [n, await page.locator(`[data-testid="dash-row"][data-name="${n}"]`).getAttribute('data-id')] as const)));
  // Hover a point: its name; click it: selected.
  await page.getByTestId('chart-weights').locator(`[data-testid="chart-point"][data-id="${ids[PRUNED]}"]`).hover();
  await expect(page.getByTestId('chart-tip')).toContainText(PRUNED);

  // Side by side: the symmetric int8 and the pruned variant against the loaded file.
  await page.locator(`[data-testid="dash-row"][data-name="${SYM}"]`).getByTestId('dash-compare').check();
  await page.locator(`[data-testid="dash-row"][data-name="${PRUNED}"]`).getByTestId('dash-compare').check();
  const compare = page.getByTestId('compare');
  await expect(compare.getByTestId('flip-row')).toHaveCount(2);
  const c2w = Number(await compare.locator(`[data-testid="flip-row"][data-id="${ids[PRUNED]}"]`).getAttribute('data-c2w'));
  const w2c = Number(await compare.locator(`[data-testid="flip-row"][data-id="${ids[PRUNED]}"]`).getAttribute('data-w2c'));
  expect(c2w + w2c).toBeGreaterThan(0); // ten fine-tuning steps on 70 % of the filters change some answers
  await expect(compare.getByTestId('disagreement-item').first()).toBeVisible();
  await expect(compare.getByTestId('confusion-delta')).toHaveCount(2);
  await expect(compare.getByTestId('compare-layer')).not.toHaveCount(0);
  await page.getByTestId('measure-layer-errors').click();
  await expect(compare.getByTestId('layer-error').filter({ hasText: '%' }).first()).toBeVisible({ timeout: 120_000 });
  await page.screenshot({ path: 'test-results/screens/30-dashboard.png', fullPage: true });
  await page.getByTestId('tradeoff-charts').screenshot({ path: 'test-results/screens/31-dashboard-charts.png' });
  await compare.screenshot({ path: 'test-results/screens/32-dashboard-compare.png' });
  await page.getByTestId('family-tree').screenshot({ path: 'test-results/screens/33-dashboard-family.png' });

  // Reload: the same family, ids, measurements and selected variant.
  await page.getByTestId('view-workbench').click();
  await selectVariant(page, PRUNED);
  const before = await variantRows(page).evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-variant'), r.querySelector('[data-testid="v-accuracy"]')?.getAttribute('data-accuracy')]));
  await page.reload();
  await expect(variantRows(page)).toHaveCount(5, { timeout: 120_000 });
  phases.reload = await longestTask(page, 0); // the timeline starts again with the page
  const after = await variantRows(page).evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-variant'), r.querySelector('[data-testid="v-accuracy"]')?.getAttribute('data-accuracy')]));
  expect(after).toEqual(before);
  await expect(variantRow(page, PRUNED)).toHaveClass(/current/);
  await expect(page.getByTestId('loaded-dataset')).toContainText('mnist-test-images.gz');
  await expect(variantRow(page, SYM).getByTestId('v-tag')).toHaveText(['candidate', 'int8']);
  // Where the time goes, kept with the measurement: the pruned variant's layers beside the loaded file's.
  const times = page.getByTestId('layer-times');
  await times.locator('summary').click();
  await expect(times).toContainText(`beside ${ROOT}`);
  await expect(times.getByTestId('layer-time')).not.toHaveCount(0);
  await expect(times.getByTestId('layer-speedup').filter({ hasText: '×' }).first()).toBeVisible();
  await times.screenshot({ path: 'test-results/screens/34-layer-times.png' });

  // Exports: the HTML report (self-contained), a variant, the project file.
  await page.getByTestId('view-dashboard').click();
  const [report] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
  const html = readFileSync((await report.path())!, 'utf8');
  expect(html).not.toMatch(/<script|https?:\/\//);
  expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
  for (const name of ALL) expect(html).toContain(name);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(readFileSync((await csv.path())!, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(1 + 5);
  const [chartSvg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-weights-svg').click()]);
  expect(readFileSync((await chartSvg.path())!, 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const [chartPng] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-weights-png').click()]);
  expect(readFileSync((await chartPng.path())!).subarray(1, 4).toString()).toBe('PNG');
  await page.getByTestId('view-workbench').click();
  const [variant] = await Promise.all([page.waitForEvent('download'), variantRow(page, SYM).getByTestId('v-download').click()]);
  expect(variant.suggestedFilename()).toBe(`${SYM}.onnx`);
  await page.getByTestId('view-dashboard').click();
  const [project] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-project').click()]);
  const projectPath = 'test-results/journey-project.studio.zip';
  writeFileSync(projectPath, readFileSync((await project.path())!));

  // A fresh browser (no storage in common) imports the project and shows the same dashboard.
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto('/');
  await waitForDefaults(fresh);
  await fresh.getByTestId('view-dashboard').click();
  await fresh.getByTestId('import-project-input').setInputFiles(projectPath);
  await expect(fresh.getByTestId('dash-row')).toHaveCount(5, { timeout: 120_000 });
  for (const name of ALL) await expect(fresh.locator(`[data-testid="dash-row"][data-name="${name}"]`)).toHaveAttribute('data-id', ids[name]!);
  for (const chart of ['weights', 'file', 'b1', 'b64']) {
    await expect(fresh.getByTestId(`chart-${chart}`)).toHaveAttribute('data-frontier', (await page.getByTestId(`chart-${chart}`).getAttribute('data-frontier'))!);
  }
  await fresh.getByTestId('dash-filter').fill('candidate'); // tags came along: the filter finds the tagged variant, the baseline stays pinned
  await expect(fresh.getByTestId('dash-row')).toHaveCount(2);
  await expect(fresh.locator(`[data-testid="dash-row"][data-name="${SYM}"]`)).toHaveCount(1);
  await expect(fresh.getByTestId('dash-row').first()).toHaveAttribute('data-name', ROOT);
  await fresh.getByTestId('dash-filter').fill('');
  await fresh.screenshot({ path: 'test-results/screens/34-imported-dashboard.png', fullPage: true });
  await other.close();

  // The watch itself works: a task made long on purpose is seen and timed.
  const mark = await now(page);
  await page.evaluate(() => { setTimeout(() => { const t = performance.now(); while (performance.now() - t < 120) { /* a 120 ms task */ } }); });
  await expect.poll(async () => (await longestTask(page, mark)).longestMs).toBeGreaterThanOrEqual(100);

  writeFileSync('test-results/main-thread.json', `${JSON.stringify(phases, null, 2)}\n`);
  console.log(`longest main-thread task per phase (ms, production build): ${Object.entries(phases).map(([k, v]) => `${k} ${v.longestMs.toFixed(0)} (${v.count} over 50 ms${v.cause ? `; ${v.cause}` : ''})`).join(',\n  ')}`);
});
