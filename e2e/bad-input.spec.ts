/**
 * What the studio keeps when things go wrong: a corrupt or truncated project file, a recipe with an
 * unknown step, a bad value or a newer schema version, a full disk, two tabs writing at once, and a
 * reload in the middle of training. Each gets a message a person can act on, and nothing already
 * finished is lost.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { idle, variantRow, variantRows, waitForDefaults } from './helpers';

const ROOT = 'lenet-mnist';
const SYM = `${ROOT}-int8-pc-sym-minmax64`, ASYM = `${ROOT}-int8-pc-asym-minmax64`;
const DIR = 'test-results/bad-input';

async function quantize(page: Page, symmetry: 'sym' | 'asym'): Promise<void> {
  await page.getByTestId('q-samples').fill('64');
  await page.getByTestId('q-symmetry').selectOption(symmetry);
  await page.getByTestId('quantize').click();
}

const rowNames = (page: Page) => variantRows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-variant')).sort());

test('a corrupt or truncated project file is refused in words; the open project stays as it was', async ({ page }) => {
  test.setTimeout(300_000);
  mkdirSync(DIR, { recursive: true });
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('view-dashboard').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-project').click()]);
  const whole = readFileSync((await download.path())!);
  writeFileSync(`${DIR}/truncated.studio.zip`, whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(`${DIR}/noise.studio.zip`, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
  const projects = await page.getByTestId('project-select').locator('option').count();

  for (const [name, says] of [['noise.studio.zip', /noise\.studio\.zip is not a studio project, or it is truncated or corrupt/], ['truncated.studio.zip', /truncated\.studio\.zip is not a studio project, or it is truncated or corrupt/]] as const) {
    await page.getByTestId('import-project-input').setInputFiles(`${DIR}/${name}`);
    await expect(page.getByTestId('notice-error').last()).toContainText(says, { timeout: 60_000 });
    await expect(page.getByTestId('notice-error').last()).toContainText('export the project again');
  }
  await expect(page.getByTestId('dash-row')).toHaveCount(1);
  await expect(page.getByTestId('project-select').locator('option')).toHaveCount(projects);
  // The file itself imports (a fresh project beside the first): the refusals were about the bytes.
  writeFileSync(`${DIR}/whole.studio.zip`, whole);
  await page.getByTestId('import-project-input').setInputFiles(`${DIR}/whole.studio.zip`);
  await expect(page.getByTestId('notice-info').filter({ hasText: 'Project imported' })).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('project-select').locator('option')).toHaveCount(projects + 1);
});

test('a recipe with an unknown step, a bad value or a newer schema version is refused before any work', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await waitForDefaults(page);
  await page.getByTestId('view-dashboard').click();
  const recipe = (version: number, steps: object[]) => JSON.stringify({ format: 'compression-studio/recipe', schemaVersion: version, steps });
  const cases: [string, RegExp][] = [
    [recipe(1, [{ kind: 'int4' }]), /step 1: unknown step 'int4'; steps are int8, binary, mixed, prune, train, distill, evaluate, export/],
    [recipe(1, [{ kind: 'int8' }, { kind: 'prune', sparsity: 1.5 }]), /step 2 \(prune\): sparsity must be in \[0, 1\) \(got 1\.5\)/],
    [recipe(1, [{ kind: 'int8', calibrate: 'mse' }]), /step 1 \(int8\): unknown setting 'calibrate'; int8 takes perChannel, .*calibration/],
    [recipe(7, [{ kind: 'int8' }]), /written for schema version 7, newer than this studio reads \(1\)/],
    ['{ "format": "compression-studio/recipe", "schemaVersion": 1, "steps": [', /the recipe is not JSON/],
  ];
  for (const [text, says] of cases) {
    await page.getByTestId('recipe-text').fill(text);
    await page.getByTestId('recipe-run').click();
    await expect(page.getByTestId('notice-error').last()).toContainText(says);
    // Refused before any work: no job ran, nothing was made.
    await expect(page.getByTestId('job')).toHaveCount(0);
    await expect(page.getByTestId('dash-row')).toHaveCount(1);
  }
});

test('a full disk: the variant stays in the tab with a message; what was saved before survives a reload', async ({ page }) => {
  test.setTimeout(400_000);
  await page.goto('/');
  await waitForDefaults(page);
  await page.evaluate(() => (window as unknown as { __studio: { simulateQuota(full: boolean): Promise<void> } }).__studio.simulateQuota(true));
  await quantize(page, 'sym');
  await expect(page.getByTestId('notice-warning').filter({ hasText: 'Storage is full' })).toContainText('Delete variants or projects in the Storage view', { timeout: 240_000 });
  await expect(variantRow(page, SYM)).toHaveCount(1); // kept in this tab
  await idle(page);
  await page.reload();
  await waitForDefaults(page);
  // The loaded file was saved before the disk filled; the variant made after was not, as the message said.
  await expect(variantRows(page)).toHaveCount(1);
  await expect(variantRow(page, ROOT)).toHaveCount(1);
});

test('two tabs writing into one project at once: both variants kept, each tab sees the other\'s', async ({ context }) => {
  test.setTimeout(600_000);
  const a = await context.newPage();
  await a.goto('/');
  await waitForDefaults(a);
  const b = await context.newPage();
  await b.goto('/');
  await waitForDefaults(b);
  await expect(b.getByTestId('project-select')).toHaveValue(await a.getByTestId('project-select').inputValue());
  // Both quantise at the same time, with different settings.
  await Promise.all([quantize(a, 'sym'), quantize(b, 'asym')]);
  for (const p of [a, b]) {
    await expect(variantRow(p, SYM)).toHaveCount(1, { timeout: 400_000 });
    await expect(variantRow(p, ASYM)).toHaveCount(1, { timeout: 400_000 });
  }
  await Promise.all([idle(a), idle(b)]);
  await a.reload();
  await waitForDefaults(a);
  await expect.poll(() => rowNames(a), { timeout: 60_000 }).toEqual([ROOT, ASYM, SYM].sort());
});

test('a reload in the middle of training: the job is listed as interrupted with Restart, and restarts', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await waitForDefaults(page);
  await quantize(page, 'sym');
  await expect(variantRow(page, SYM)).toHaveCount(1, { timeout: 240_000 });
  await idle(page);
  await page.getByTestId('train-card').scrollIntoViewIfNeeded();
  // 7500 steps (60 000 items at batch 8): far from done when the page reloads after the first points.
  for (const [k, v] of Object.entries({ student: 'mlp:784-32-10', epochs: '1', trainSamples: '60000', batch: '8', testSamples: '200' })) await page.getByTestId(`train-${k}`).fill(v);
  await page.getByTestId('train-start').click();
  await expect.poll(async () => Number(await page.getByTestId('train-chart-loss').getAttribute('data-points') ?? 0), { timeout: 300_000 }).toBeGreaterThan(0);
  expect(Number(await page.getByTestId('train-progress').getAttribute('data-step'))).toBeLessThan(7500);
  await page.reload();
  await waitForDefaults(page);
  // Everything finished before is there; the cut-off job is listed, with what to do.
  await expect(variantRows(page)).toHaveCount(2);
  await expect(page.getByTestId('notice-warning').filter({ hasText: 'A job was cut off' })).toContainText('Restart it from the list under the job bar');
  const cut = page.getByTestId('interrupted');
  await expect(cut).toHaveCount(1);
  await expect(cut).toContainText(`Distilling from ${ROOT}`);
  await cut.getByTestId('interrupted-restart').click();
  await expect(page.getByTestId('interrupted')).toHaveCount(0);
  // The same request runs again (the same 7500 steps): a few steps, then Cancel keeps the weights so far as a variant.
  await expect(page.getByTestId('job')).toContainText(`Distilling from ${ROOT}`, { timeout: 300_000 });
  await expect(page.getByTestId('job')).toContainText(/train [1-9][\d,]* \/ 7,500/, { timeout: 300_000 }); // some steps done
  await page.getByTestId('job-cancel').click();
  await expect(variantRows(page, 'student')).toHaveCount(1, { timeout: 400_000 });
  await expect(variantRows(page, 'student')).toHaveAttribute('data-variant', `${ROOT}-student-mlp-784-32-10-distil-T4-a0.9-partial`);
  await idle(page);
  await page.reload();
  await waitForDefaults(page);
  await expect(variantRows(page)).toHaveCount(3);
  await expect(page.getByTestId('interrupted')).toHaveCount(0);
});
