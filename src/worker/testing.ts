/**
 * For Node tests of the runtime (Dawn WebGPU): a runtime with a model and the real MNIST sets
 * loaded, steps applied by their plain data, and measurements by the first N test items.
 */
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { exportOnnx } from '../model/onnx-export';
import type { Model } from '../model/ir';
import { MNIST_PREPROCESS, readMnistFile } from '../data/mnist-testing';
import { parseStep, type EvaluateStep } from '../recipe/steps';
import type { Measurement, VariantRecord } from '../recipe/variant';
import type { Preprocess } from '../recipe/vocabulary';
import { StudioRuntime } from './runtime';

/** A runtime on Dawn with `model` (a file path, bytes or a Model) loaded, and the MNIST test set (and training set, when asked). */
export async function openRuntime(model: string | Uint8Array | Model, name = typeof model === 'string' ? model.split('/').pop()! : 'model.onnx',
  opts: { test?: boolean; train?: boolean } = {}): Promise<{ rt: StudioRuntime; root: VariantRecord }> {
  const rt = new StudioRuntime(await nodeGpu());
  const bytes = typeof model === 'string' ? new Uint8Array(readFileSync(model)) : model instanceof Uint8Array ? model : exportOnnx(model);
  const root = await rt.loadModel(bytes, name);
  if (opts.test !== false) await rt.datasets.loadIdx('test', readMnistFile('t10k-images-idx3-ubyte'), readMnistFile('t10k-labels-idx1-ubyte'), 'MNIST test set');
  if (opts.train) await rt.datasets.loadIdx('train', readMnistFile('train-images-idx3-ubyte'), readMnistFile('train-labels-idx1-ubyte'), 'MNIST training set');
  return { rt, root };
}

/** Evaluate the first `samples` items (all when absent); latency off unless asked, to keep tests quick. */
export function evalStep(samples?: number, opts: { batch?: number; runs?: number; latency?: boolean } = {}): EvaluateStep {
  return parseStep({ kind: 'evaluate', ...(samples ? { samples } : {}), batch: opts.batch ?? 250, runs: opts.runs ?? 1, latency: opts.latency ?? false }) as EvaluateStep;
}

export function measureOf(rt: StudioRuntime, id: string, samples?: number, pre: Preprocess = MNIST_PREPROCESS, opts: { latency?: boolean; runs?: number } = {}): Promise<Measurement> {
  return rt.evaluation.evaluate(id, evalStep(samples, opts), pre);
}

/** Applies a step (plain data) and returns the variant it made. */
export async function applyTo(rt: StudioRuntime, step: unknown, inputId: string, pre: Preprocess = MNIST_PREPROCESS): Promise<VariantRecord> {
  return (await rt.runStep(step, inputId, { preprocess: pre })).record;
}

/** A model made in the test, added to the open project as another loaded file. */
export function addModel(rt: StudioRuntime, model: Model, name: string): Promise<VariantRecord> {
  return rt.loadModel(exportOnnx(model), name);
}
