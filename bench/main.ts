/**
 * `npm run bench`: by the protocol in BENCHMARKS.md, in one headless Chromium page and session,
 * (1) whole models, the studio's engine vs onnxruntime-web (WebGPU), then (2) kernels, f32 vs int8
 * (dot4I8Packed and unpacked) vs XNOR on the GEMM and Conv2d cases, then (3) training steps per
 * second, the studio's TrainingPlan vs TensorFlow.js and jax-js on WebGPU. A benchmark, never a
 * test: it prints figures and writes JSON to bench/results/.
 *
 *   npm run bench -- [--only models|kernels|sparse|training]
 *     models:  [--runs 10] [--warmup 2] [--models lenet-mnist.onnx,mlp-mnist.onnx] [--batches 1,64]
 *              [--real-size [resnet18,mobilenet_v2,efficientnet_b0,…]] (torchvision at 224×224, exported now; batches 1,8)
 *              [--compressed] (also int8 dynamic, XNOR and filter-pruned 30 / 50 % variants: ÷ float, per layer)
 *              [--no-tfjs] (leave out TF.js, which runs the same graph rebuilt from its ops: bench/tfjs-infer.ts)
 *     kernels: [--kernel-runs N (default 5 on SwiftShader, 10 on a GPU)] [--kernel-warmup 1]
 *              [--large (adds 1024³ GEMM: minutes on SwiftShader)] [--kernel-cases gemm-256,conv3x3-7x128]
 *     sparse:  (4) pruned-layer kernels, dense matmul vs CSR at 50 / 75 / 90 % vs 2:4; dense conv vs sparse conv (bench/sparse-page.ts)
 *              [--sparse-runs N (default 5 on SwiftShader, 10 on a GPU)] [--sparse-cases fc1-m1,fc1-m64,gemm-m1-k1024,gemm-m64-k1024,conv2-b1,conv2-b64,conv3x3-64]
 *     training: [--training-steps N (per cycle; default on SwiftShader 3 for the MLP, 1 for the ConvNet; 20 on a GPU)]
 *              [--training-cycles 3] [--training-warmup N (default 1 on SwiftShader, 5 on a GPU)] [--training-lr 0.001]
 *              [--training-cases mlp-b64,convnet-b64,convnet-b250 (default all; on SwiftShader all but convnet-b250)] [--no-training-inference]
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { torchPython } from '../scripts/test-commands';
import { chromium, type Browser, type Page } from 'playwright-core';
// @ts-expect-error plain JS helper shared with vitest, e2e and the CLI
import { chromiumPath, CHROMIUM_ARGS } from '../scripts/chromium.mjs';
import { startServer } from './server';
import { checkAgainstOrtNode } from './reference';
import { adapterLines, compressedTable, firstRunLines, markdownTable, relativeTable, writeJson, wrongOutputLines } from './report';
import { importOnnx } from '../src/model/onnx-import';
import { costOf, nonzeroFlops } from '../src/compress/prune';
import { kernelAdapterLines, kernelCompileLines, kernelNoteLines, kernelPipelineLines, kernelTable, kernelValidationLines, writeKernelJson } from './kernels-report';
import type { BenchConfig } from './types';
import type { KernelBenchConfig } from './kernel-types';
import { sparseBytesTable, sparseNoteLines, sparseSetupLines, sparseTable, writeSparseJson } from './sparse-report';
import { sparseCases, type SparseBenchConfig } from './sparse-types';
import { inferTable, installedVersions, trainAdapterLines, trainNoteLines, trainSetupLines, trainTable, writeTrainResults } from './training-report';
import { trainCases, type TrainBenchConfig } from './training-types';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    models: { type: 'string' },
    batches: { type: 'string' },
    'real-size': { type: 'string' },
    compressed: { type: 'boolean', default: false },
    'no-tfjs': { type: 'boolean', default: false },
    'kernel-runs': { type: 'string' },
    'kernel-warmup': { type: 'string', default: '1' },
    'kernel-cases': { type: 'string' },
    large: { type: 'boolean', default: false },
    'sparse-runs': { type: 'string' },
    'sparse-cases': { type: 'string' },
    'training-steps': { type: 'string' },
    'training-cycles': { type: 'string', default: '3' },
    'training-warmup': { type: 'string' },
    'training-cases': { type: 'string' },
    'training-lr': { type: 'string', default: '0.001' },
    'no-training-inference': { type: 'boolean', default: false },
  },
});
const SECTIONS = ['models', 'kernels', 'sparse', 'training'];
if (values.only !== undefined && !SECTIONS.includes(values.only)) throw new Error(`--only takes ${SECTIONS.map((s) => `'${s}'`).join(', ')}; got '${values.only}'`);
const doModels = values.only === undefined || values.only === 'models';
const doKernels = values.only === undefined || values.only === 'kernels';
const doSparse = values.only === undefined || values.only === 'sparse';
const doTraining = values.only === undefined || values.only === 'training';
// --real-size NAME,… : torchvision classifiers at 3×224×224 (random weights, dynamic batch), exported
// now by fixtures/export_real_size.py into fixtures/real-size/ (ignored by git) unless already there.
const realSize = values['real-size'] === undefined ? null : (values['real-size'] || 'resnet18,mobilenet_v2,efficientnet_b0').split(',');
if (realSize) {
  const missing = realSize.filter((n) => !existsSync(`fixtures/real-size/${n}.dyn.onnx`));
  if (missing.length) execFileSync(torchPython(), ['fixtures/export_real_size.py', './fixtures/real-size', '--dynamic', ...missing], { stdio: 'inherit' });
}
const cfg: BenchConfig = {
  models: (values.models ?? (realSize ? realSize.map((n) => `real-size/${n}.dyn.onnx`).join(',') : 'lenet-mnist.onnx,mlp-mnist.onnx')).split(','),
  batches: (values.batches ?? (realSize ? '1,8' : '1,64')).split(',').map(Number),
  runs: Number(values.runs),
  warmup: Number(values.warmup),
  compressed: values.compressed,
  tfjs: !values['no-tfjs'],
};
if (!(cfg.runs >= 5)) throw new Error('--runs must be at least 5 (BENCHMARKS.md: 10 or more, 5 on SwiftShader)');
const kcfg: KernelBenchConfig = {
  runs: values['kernel-runs'] === undefined ? null : Number(values['kernel-runs']),
  warmup: Number(values['kernel-warmup']),
  large: values.large,
  cases: values['kernel-cases'] ? values['kernel-cases'].split(',') : null,
};
if (kcfg.runs !== null && !(kcfg.runs >= 5)) throw new Error('--kernel-runs must be at least 5 (BENCHMARKS.md: 10 or more, 5 on SwiftShader)');
if (!(kcfg.warmup >= 0)) throw new Error('--kernel-warmup must be 0 or more');
const scfg: SparseBenchConfig = {
  runs: values['sparse-runs'] === undefined ? null : Number(values['sparse-runs']),
  warmup: Number(values['kernel-warmup']),
  cases: values['sparse-cases'] ? values['sparse-cases'].split(',') : null,
};
if (scfg.runs !== null && !(scfg.runs >= 5)) throw new Error('--sparse-runs must be at least 5 (BENCHMARKS.md: 10 or more, 5 on SwiftShader)');
const SPARSE_CASE_IDS = sparseCases().map((c) => c.id);
for (const id of scfg.cases ?? []) if (!SPARSE_CASE_IDS.includes(id)) throw new Error(`--sparse-cases: '${id}' is not one of ${SPARSE_CASE_IDS.join(', ')}`);
const tcfg: TrainBenchConfig = {
  steps: values['training-steps'] === undefined ? null : Number(values['training-steps']),
  cycles: Number(values['training-cycles']),
  warmup: values['training-warmup'] === undefined ? null : Number(values['training-warmup']),
  cases: values['training-cases'] ? values['training-cases'].split(',') : null,
  inference: !values['no-training-inference'],
  learningRate: Number(values['training-lr']),
};
if (tcfg.steps !== null && !(Number.isInteger(tcfg.steps) && tcfg.steps >= 1)) throw new Error('--training-steps must be a whole number ≥ 1');
if (!(Number.isInteger(tcfg.cycles) && tcfg.cycles >= 3)) throw new Error('--training-cycles must be at least 3 (BENCHMARKS.md: three interleaved cycles or more)');
if (tcfg.warmup !== null && !(Number.isInteger(tcfg.warmup) && tcfg.warmup >= 0)) throw new Error('--training-warmup must be a whole number ≥ 0');
const TRAIN_CASE_IDS = trainCases().map((c) => c.id);
for (const id of tcfg.cases ?? []) if (!TRAIN_CASE_IDS.includes(id)) throw new Error(`--training-cases: '${id}' is not one of ${TRAIN_CASE_IDS.join(', ')}`);
if (!(tcfg.learningRate > 0)) throw new Error('--training-lr must be > 0');

const started = Date.now();
const path = chromiumPath() as string | null;
if (!path) throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
// A page that stops answering (a crashed renderer, a reload) can leave page.evaluate pending forever; Node then
// exits 0 with nothing written. That must read as a failure.
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  console.error('bench: the page stopped answering before the run finished; no results were written for the section it was in');
  process.exitCode = 1;
});
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
  await page.waitForFunction(() => typeof window.runBench === 'function' && typeof window.runKernelBench === 'function' && typeof window.runSparseBench === 'function' && typeof window.runTrainingBench === 'function',
    undefined, { timeout: 120_000 });
  if (doModels) await benchModels(page, browser);
  if (doKernels) await benchKernels(page, browser);
  if (doSparse) await benchSparse(page);
  if (doTraining) await benchTraining(page, browser);
  console.log(`\nAll done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  finished = true;
} finally {
  await browser.close();
  await server.close();
}

async function benchModels(page: Page, browser: Browser): Promise<void> {
  const t0 = Date.now();
  console.log(`Benchmark: ${cfg.models.join(', ')} × batch ${cfg.batches.join(', ')}; ${cfg.runs} interleaved cycles (ours, ort-web${cfg.tfjs ? ', TF.js' : ''}), ${cfg.warmup} warm-up runs`);
  const result = await page.evaluate((c) => window.runBench!(c), cfg);
  const browserVersion = browser.version();
  await checkAgainstOrtNode(result);

  console.log('\n' + adapterLines(result, browserVersion).join('\n'));
  console.log('\n' + firstRunLines(result).join('\n'));
  console.log(`\nEnd to end (upload + run + readback), ms, tag '${result.tag}'; ratio < 1 means the studio is faster:\n`);
  console.log(markdownTable(result));
  const flops = Object.fromEntries(cfg.models.map((m) => {
    const model = importOnnx(new Uint8Array(readFileSync(`fixtures/${m}`)));
    return [m, { dense: costOf(model).flops, nonzero: nonzeroFlops(model) }];
  }));
  const vsFirst = relativeTable(result, flops);
  if (vsFirst) console.log(`\nEach model against ${cfg.models[0]} (the studio's engine; speedup = first model's median ÷ this one's):\n\n${vsFirst}`);
  const compressedLines = compressedTable(result, flops);
  if (compressedLines) console.log(`\nCompressed variants against the float model (the studio's engine, interleaved runs; speedup = float median ÷ variant median; per-layer from one profiled run each):\n\n${compressedLines}`);
  const wrongLines = wrongOutputLines(result);
  if (wrongLines.length) console.log('\n' + wrongLines.join('\n'));
  console.log('\nGPU time: ours from timestamp queries around the compute pass (separate runs, not part of e2e); ' +
    'ort-web and TF.js GPU time is not available (neither exposes per-run timestamps).');
  if (result.tag === 'swiftshader') console.log('SwiftShader is a CPU emulation: these ratios compare contenders on this page, not GPU kernels.');
  const file = writeJson(result, { date: new Date().toISOString(), browser: `Chromium ${browserVersion}`, config: cfg, wallSeconds: (Date.now() - t0) / 1000 });
  console.log(`\nJSON: ${relative(process.cwd(), file)} (${((Date.now() - t0) / 1000).toFixed(0)} s for the models)`);
}

async function benchKernels(page: Page, browser: Browser): Promise<void> {
  const t0 = Date.now();
  console.log(`\nKernel benchmark: f32 vs int8 (dot4I8Packed, unpacked) vs XNOR, interleaved per cycle${kcfg.large ? ', with 1024³' : ''}`);
  const r = await page.evaluate((c) => window.runKernelBench!(c), kcfg);
  const browserVersion = browser.version();
  console.log('\n' + kernelAdapterLines(r, browserVersion).join('\n'));
  console.log(`Protocol: ${r.runs} timed runs per contender = ${r.runs} interleaved cycles (f32, int8 dot4I8Packed, int8 unpacked, XNOR, f32, …), ` +
    `after 1 validation run + ${r.warmup} warm-up run(s); median [min–max].`);
  console.log('\n' + kernelCompileLines(r).join('\n'));
  console.log('\n' + kernelPipelineLines(r).join('\n'));
  console.log('\n' + kernelValidationLines(r).join('\n'));
  console.log(`\nGPU time (timestamp queries around the compute pass, from the same runs as e2e below), ms, tag '${r.tag}':\n`);
  console.log(kernelTable(r, 'gpu'));
  console.log(`\nEnd to end (upload x + dispatches + readback y; weights resident), ms, tag '${r.tag}':\n`);
  console.log(kernelTable(r, 'e2e'));
  console.log('\n' + kernelNoteLines(r).join('\n'));
  const file = writeKernelJson(r, { date: new Date().toISOString(), browser: `Chromium ${browserVersion}`, config: kcfg, wallSeconds: (Date.now() - t0) / 1000 });
  console.log(`\nJSON: ${relative(process.cwd(), file)} (${r.records.length} records; ${((Date.now() - t0) / 1000).toFixed(0)} s for the kernels)`);
}

async function benchSparse(page: Page): Promise<void> {
  const t0 = Date.now();
  console.log('\nSparse-kernel benchmark: dense f32 matmul vs CSR (50 / 75 / 90 %) vs 2:4 (CSR and its own kernel), interleaved per cycle');
  const r = await page.evaluate((c) => window.runSparseBench!(c), scfg);
  console.log('\n' + sparseSetupLines(r).join('\n'));
  console.log(`\nGPU time (timestamp queries around the compute pass), ms · dense ÷ sparse, tag '${r.tag}':\n`);
  console.log(sparseTable(r, 'gpu'));
  console.log(`\nEnd to end (upload x + dispatch + readback y; weights resident), ms · dense ÷ sparse, tag '${r.tag}':\n`);
  console.log(sparseTable(r, 'e2e'));
  console.log('\nStored weight bytes (density = nonzeros ÷ N K):\n');
  console.log(sparseBytesTable(r));
  console.log('\n' + sparseNoteLines(r).join('\n'));
  const file = writeSparseJson(r, { date: new Date().toISOString(), config: scfg, wallSeconds: (Date.now() - t0) / 1000 });
  console.log(`\nJSON: ${relative(process.cwd(), file)} (${r.records.length} records; ${((Date.now() - t0) / 1000).toFixed(0)} s for the sparse kernels)`);
}

async function benchTraining(page: Page, browser: Browser): Promise<void> {
  const t0 = Date.now();
  console.log('\nTraining benchmark: steps per second, the studio (TrainingPlan) vs TF.js (webgpu) vs jax-js (webgpu), interleaved per cycle');
  // Whole cases take minutes on SwiftShader: no evaluate timeout.
  const r = await page.evaluate((c) => window.runTrainingBench!(c), tcfg);
  const browserVersion = browser.version();
  const versions = { ...installedVersions(), ...Object.fromEntries(Object.entries(r.versions).map(([k, v]) => [`${k} (as loaded)`, v])) };
  const head = trainAdapterLines(r, browserVersion, versions);
  const table = trainTable(r);
  const infer = inferTable(r);
  const notes = trainNoteLines(r);
  console.log('\n' + head.join('\n'));
  console.log('\n' + trainSetupLines(r).join('\n'));
  console.log(`\nTraining steps per second, tag '${r.tag}'; ours ÷ contender > 1 means the studio trains faster:\n`);
  console.log(table);
  if (infer) console.log(`\nInference, one forward pass at batch 64 e2e (upload x + run + read logits), ms, tag '${r.tag}'; speedup > 1 means the studio is faster:\n\n${infer}`);
  console.log('\n' + notes.join('\n'));
  const md = [`# Training benchmark (${new Date().toISOString().slice(0, 10)}, tag ${r.tag})`, '', ...head, '', table, ...(infer ? ['', 'Inference at batch 64, e2e ms:', '', infer] : []), '', ...notes].join('\n');
  const file = writeTrainResults(r, { date: new Date().toISOString(), browser: `Chromium ${browserVersion}`, packages: versions, config: tcfg, wallSeconds: (Date.now() - t0) / 1000 }, md);
  console.log(`\nJSON: ${relative(process.cwd(), file)} and Markdown beside it (${((Date.now() - t0) / 1000).toFixed(0)} s for training)`);
}
