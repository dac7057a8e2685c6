/**
 * One recipe, two homes: the shipped int8 example run in the page's recipe runner and by `cli run`
 * (Node, Dawn) writes the same file, byte for byte, and measures the same accuracy on the same items.
 */
import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { waitForDefaults } from './helpers';

const RECIPE = 'examples/int8.recipe.json';
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface CliReport { steps: { kind: string; file: string | null; sha256: string | null; accuracy: number | null }[] }

test('the int8 example recipe gives the same file (sha256) and accuracy in the page and from cli run', async ({ page }) => {
  test.setTimeout(900_000);
  const cli = spawnSync('npx', ['vite-node', 'src/cli/main.ts', '--', 'run', RECIPE, '--out', 'test-results/recipe-parity-cli', '--json'], { encoding: 'utf8', timeout: 600_000 });
  expect(cli.status, cli.stderr).toBe(0);
  const report = JSON.parse(cli.stdout.trim().split('\n').at(-1)!) as CliReport;
  const cliExport = report.steps.find((s) => s.kind === 'export')!;
  const cliBytes = readFileSync(cliExport.file!);
  const cliAccuracy = report.steps.find((s) => s.kind === 'evaluate')!.accuracy;
  expect(cliAccuracy).toBeGreaterThan(0.9);

  await page.goto('/');
  await waitForDefaults(page); // the bundled lenet-mnist.onnx the recipe names, and the MNIST test set
  await page.getByTestId('view-dashboard').click();
  await page.getByTestId('recipe-text').fill(readFileSync(RECIPE, 'utf8'));
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 600_000 }), page.getByTestId('recipe-run').click()]);
  expect(download.suggestedFilename()).toBe('lenet-int8.onnx');
  const pageBytes = readFileSync((await download.path())!);
  const evaluated = page.locator('[data-testid="recipe-step"][data-kind="evaluate"]');
  await expect(evaluated).toHaveAttribute('data-samples', '1000', { timeout: 120_000 });

  expect(sha(pageBytes)).toBe(sha(cliBytes));
  expect(sha(cliBytes)).toBe(report.steps.find((s) => s.kind === 'int8')!.sha256); // the export wrote the int8 step's variant
  expect(Number(await evaluated.getAttribute('data-top1'))).toBe(cliAccuracy);
});
