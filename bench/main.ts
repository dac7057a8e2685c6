/**
 * `npm run bench`: the studio's engine vs onnxruntime-web (WebGPU) on whole models, in one headless
 * Chromium page, by the protocol in BENCHMARKS.md. A benchmark, never a test: it prints figures.
 *
 *   npm run bench -- [--runs 10] [--warmup 2] [--models lenet-mnist.onnx,mlp-mnist.onnx] [--batches 1,64]
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { chromium } from 'playwright-core';
// @ts-expect-error plain JS helper shared with vitest, e2e and the CLI
import { chromiumPath, CHROMIUM_ARGS } from '../scripts/chromium.mjs';
import { startServer } from './server';
import { checkAgainstOrtNode } from './reference';
import { adapterLines, firstRunLines, markdownTable, writeJson, wrongOutputLines } from './report';
import type { BenchConfig } from './types';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    models: { type: 'string', default: 'lenet-mnist.onnx,mlp-mnist.onnx' },
    batches: { type: 'string', default: '1,64' },
  },
});
const cfg: BenchConfig = {
  models: values.models.split(','),
  batches: values.batches.split(',').map(Number),
  runs: Number(values.runs),
  warmup: Number(values.warmup),
};
if (!(cfg.runs >= 5)) throw new Error('--runs must be at least 5 (BENCHMARKS.md: 10 or more, 5 on SwiftShader)');

const started = Date.now();
const path = chromiumPath() as string | null;
if (!path) throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
const { server, url } = await startServer();
const browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS as string[] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    const t = m.text();
    if (t.startsWith('[page]')) console.log(t);
    else if ((m.type() === 'error' && !t.startsWith('Failed to load resource')) || m.type() === 'warning') console.log(`[page:${m.type()}] ${t}`);
  });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) console.log(`[page:http ${r.status()}] ${r.url()}`); });
  page.on('pageerror', (e) => console.log(`[page:uncaught] ${e.message}`));
  await page.goto(`${url}/bench/page.html`);
  await page.waitForFunction(() => typeof window.runBench === 'function', undefined, { timeout: 120_000 });
  console.log(`Benchmark: ${cfg.models.join(', ')} × batch ${cfg.batches.join(', ')}; ${cfg.runs} interleaved cycles (ours, ort-web), ${cfg.warmup} warm-up runs`);
  const result = await page.evaluate((c) => window.runBench!(c), cfg);
  const browserVersion = browser.version();
  await checkAgainstOrtNode(result);

  console.log('\n' + adapterLines(result, browserVersion).join('\n'));
  console.log('\n' + firstRunLines(result).join('\n'));
  console.log(`\nEnd to end (upload + run + readback), ms, tag '${result.tag}'; ratio < 1 means the studio is faster:\n`);
  console.log(markdownTable(result));
  const wrongLines = wrongOutputLines(result);
  if (wrongLines.length) console.log('\n' + wrongLines.join('\n'));
  console.log('\nGPU time: ours from timestamp queries around the compute pass (separate runs, not part of e2e); ' +
    'ort-web GPU time is not available (onnxruntime-web exposes no per-run timestamps).');
  if (result.tag === 'swiftshader') console.log('SwiftShader is a CPU emulation: these ratios compare contenders on this page, not GPU kernels.');
  const file = writeJson(result, { date: new Date().toISOString(), browser: `Chromium ${browserVersion}`, config: cfg, wallSeconds: (Date.now() - started) / 1000 });
  console.log(`\nJSON: ${relative(process.cwd(), file)} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
} finally {
  await browser.close();
  await server.close();
}
