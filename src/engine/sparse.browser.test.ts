/**
 * The engine's sparse Gemm and Conv paths (ops-sparse.ts) on the default CNN
 * (fixtures/cnn-studio-mnist.onnx) with fc1's or conv2's weight pruned: outputs equal the dense
 * path's within 1e-5, at batch 1 and 64, CSR and 2:4, and 'auto' follows the measured rules
 * (kernels/sparse-choice.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import type { Model } from '../model/ir';
import { randomFloats } from '../core/rng';
import { maxAbsDiff } from '../core/allclose';
import { testContext } from '../kernels/testing';
import { prune24, pruneByMagnitude } from '../kernels/sparse-pack';
import { sparseConvChoice, sparseGemmChoice } from '../kernels/sparse-choice';
import { InferenceSession } from './session';
import { setSparseKernelMode, sparseKernelMode, type SparseKernelMode } from './ops-sparse';

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** The CNN with one weight (fc1.weight (64, 784) by default) replaced by `prune` of it. */
async function cnnPruned(prune: (w: Float32Array) => Float32Array, name = 'fc1.weight', dims = [64, 784]): Promise<Model> {
  const m = importOnnx(fromB64(await commands.readFileB64('fixtures/cnn-studio-mnist.onnx')), 'cnn');
  const w = m.graph.initializers[name]!;
  expect(w.dims).toEqual(dims);
  return { ...m, graph: { ...m.graph, initializers: { ...m.graph.initializers, [name]: { ...w, data: prune(w.data as Float32Array) } } } };
}

/** Outputs at `batch` and the pipelines fc1's (or `layer`'s) dispatches use, under a sparse mode. */
async function run(model: Model, mode: SparseKernelMode, batch: number, layer = 'fc1'): Promise<{ y: Float32Array; kernels: string[] }> {
  const ctx = await testContext();
  setSparseKernelMode(mode);
  const session = new InferenceSession(ctx, model);
  try {
    const shape = [batch, 1, 28, 28];
    const x = randomFloats(batch * 784, 17 + batch, 0, 1);
    const { output } = await ctx.checked(`cnn ${mode} b${batch}`, () => session.runBatch(x, shape));
    const kernels = session.plan({ [session.input.name]: shape }).dispatches.filter((d) => d.label.startsWith(layer)).map((d) => d.pipeline.label);
    return { y: output.data, kernels };
  } finally {
    session.destroy();
    setSparseKernelMode('auto');
  }
}

describe('engine Gemm and Conv on a pruned weight: sparse kernels vs the dense path (default CNN: fc1 64x784, conv2 16x8x5x5)', () => {
  afterAll(() => setSparseKernelMode('auto'));

  for (const batch of [1, 64]) {
    it(`fc1 75 % pruned by magnitude, batch ${batch}: CSR equals dense within 1e-5`, async () => {
      const model = await cnnPruned((w) => pruneByMagnitude(w, 0.75));
      const dense = await run(model, 'off', batch);
      const csr = await run(model, 'csr', batch);
      expect(dense.kernels).toEqual([expect.stringMatching(/^matmul/)]);
      expect(csr.kernels).toEqual(batch > 4 ? ['sparse_xt|', 'sparse_csr_t|ACT=1'] : ['sparse_csr|ACT=1']); // the Relu after fc1 fused
      expect(csr.y.length).toBe(batch * 10);
      expect(maxAbsDiff(csr.y, dense.y)).toBeLessThanOrEqual(1e-5);
    });

    it(`fc1 2:4-pruned, batch ${batch}: the 2:4 kernel equals dense within 1e-5`, async () => {
      const model = await cnnPruned((w) => prune24(w, 64, 784));
      const dense = await run(model, 'off', batch);
      const s24 = await run(model, '2:4', batch);
      expect(s24.kernels).toEqual(batch > 4 ? ['sparse_xt|', 'sparse_24_t|ACT=1'] : ['sparse_24|ACT=1']);
      expect(maxAbsDiff(s24.y, dense.y)).toBeLessThanOrEqual(1e-5);
    });
  }

  for (const batch of [1, 64]) {
    it(`conv2 (16×8×5×5) 90 % pruned, batch ${batch}: the sparse Conv kernel equals dense within 1e-5, and 'auto' follows sparseConvChoice`, async () => {
      const ctx = await testContext();
      const model = await cnnPruned((w) => pruneByMagnitude(w, 0.9), 'conv2.weight', [16, 8, 5, 5]);
      const dense = await run(model, 'off', batch, 'conv2');
      const csr = await run(model, 'csr', batch, 'conv2');
      expect(dense.kernels).toEqual([expect.stringMatching(/^conv2d\|/)]);
      expect(csr.kernels).toEqual([expect.stringMatching(/^sparse_conv_csr\|ACT=1/)]); // the Relu after conv2 fused
      expect(maxAbsDiff(csr.y, dense.y)).toBeLessThanOrEqual(1e-5);
      const auto = await run(model, 'auto', batch, 'conv2');
      expect(auto.kernels[0]!.split('|')[0]).toBe(sparseConvChoice(ctx.info, 0.1) === 'csr' ? 'sparse_conv_csr' : 'conv2d');
      // conv1 is not pruned: dense in every mode.
      expect((await run(model, 'csr', batch, 'conv1')).kernels).toEqual([expect.stringMatching(/^conv2d\|/)]);
    });
  }

  it("'auto' runs what sparseGemmChoice picks for the adapter, and a dense (unpruned) fc1 stays dense", async () => {
    const ctx = await testContext();
    expect(sparseKernelMode()).toBe('auto');
    for (const [density, prune] of [[0.25, (w: Float32Array) => pruneByMagnitude(w, 0.75)], [0.1, (w: Float32Array) => pruneByMagnitude(w, 0.9)]] as const) {
      const model = await cnnPruned(prune);
      for (const batch of [1, 64]) {
        const want = sparseGemmChoice(ctx.info, batch, 64, 784, density, false);
        const auto = await run(model, 'auto', batch);
        const kernel = auto.kernels.at(-1)!.split('|')[0];
        expect(kernel).toEqual(want === 'dense' ? expect.stringMatching(/^matmul/) : batch > 4 ? 'sparse_csr_t' : 'sparse_csr');
        const dense = await run(model, 'off', batch);
        expect(maxAbsDiff(auto.y, dense.y)).toBeLessThanOrEqual(1e-5);
      }
    }
    const plain = await run(await cnnPruned((w) => w), 'auto', 1);
    expect(plain.kernels.at(-1)).toMatch(/^matmul/);
  });

  it('Gemm with transB = 0, alpha/beta and a (K, N) weight, and MatMul of a 3-D x by a constant (K, N): sparse equals dense', async () => {
    const ctx = await testContext();
    const K = 37, N = 11;
    const t = (dims: number[], data: Float32Array) => ({ dtype: 'float32' as const, dims, data });
    const wKN = pruneByMagnitude(randomFloats(K * N, 21), 0.8); // stored (K, N): the packer transposes it
    const model: Model = {
      irVersion: 8, opset: 13, producer: 'test',
      graph: {
        name: 'g', valueInfo: {},
        inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, K] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [6, N] }, { name: 'z', dtype: 'float32', shape: [2, 3, N] }],
        initializers: { w: t([K, N], wKN), b: t([N], randomFloats(N, 22)), shape2: { dtype: 'int64', dims: [2], data: BigInt64Array.from([6n, BigInt(K)]) } },
        nodes: [
          { name: 'flat', opType: 'Reshape', domain: '', inputs: ['x', 'shape2'], outputs: ['x2'], attrs: {} },
          { name: 'gemm', opType: 'Gemm', domain: '', inputs: ['x2', 'w', 'b'], outputs: ['y'], attrs: { alpha: { type: 'float', value: 0.5 }, beta: { type: 'float', value: -2 } } },
          { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['z'], attrs: {} },
        ],
      },
    };
    const x = randomFloats(6 * K, 23);
    const outs: Record<string, Float32Array[]> = {};
    for (const mode of ['off', 'csr'] as const) {
      setSparseKernelMode(mode);
      const session = new InferenceSession(ctx, model);
      try {
        outs[mode] = (await ctx.checked(`transB 0 ${mode}`, () => session.run({ x: { data: x, shape: [2, 3, K] } }))).map((o) => o.data);
        const kernels = session.plan({ x: [2, 3, K] }).dispatches.map((d) => d.pipeline.label.split('|')[0]);
        expect(kernels).toEqual(mode === 'off' ? [expect.stringMatching(/^matmul/), expect.stringMatching(/^matmul/)] : ['sparse_xt', 'sparse_csr_t', 'sparse_xt', 'sparse_csr_t']);
      } finally {
        session.destroy();
        setSparseKernelMode('auto');
      }
    }
    expect(maxAbsDiff(outs.csr![0]!, outs.off![0]!)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(outs.csr![1]!, outs.off![1]!)).toBeLessThanOrEqual(1e-5);
  });
});
