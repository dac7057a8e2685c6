/** binarizeModel's graph rewrite, the binary format's ONNX round trip, support and size accounting (no GPU). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { GraphBuilder, float, int, ints, str, tensor } from '../model/builder';
import { attrInts, type Model } from '../model/ir';
import { checkSupport, supportProblems, STUDIO_DOMAIN } from '../model/support';
import { resolveGraph, FOLDABLE_OPS } from '../model/resolve';
import { layerStats } from '../model/stats';
import { RUNNABLE_OPS } from '../engine/ops';
import { binarizeWeights, lowerBinary } from '../engine/ops-binary';
import { binarizeModel, planBinary, DEFAULT_BINARY_RECIPE } from './binarize';
import { weightBytes } from './storage';

const lenet = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
const CONV1 = '/features/features.0/Conv', CONV2 = '/features/features.4/Conv';
const FC1 = '/classifier/classifier.1/Gemm', FC2 = '/classifier/classifier.3/Gemm', FC3 = '/classifier/classifier.5/Gemm';
const xnorNodes = (m: Model) => m.graph.nodes.filter((n) => n.domain === STUDIO_DOMAIN);
const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

describe('binarizeModel on LeNet', () => {
  it('keeps the first and last layers float32 by default and binarizes the rest, absorbing their Relu', () => {
    const m = binarizeModel(lenet);
    const bin = xnorNodes(m);
    expect(bin.map((n) => [n.name, n.opType])).toEqual([[CONV2, 'XnorConv'], [FC1, 'XnorGemm'], [FC2, 'XnorGemm']]);
    expect(m.graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.name)).toEqual([CONV1, FC3]);
    expect(planBinary(lenet, DEFAULT_BINARY_RECIPE).kept.map((k) => k.node)).toEqual([CONV1, FC3]);
    // Relus after conv2, fc1, fc2 are absorbed; conv1's stays (conv1 is float).
    expect(m.graph.nodes.filter((n) => n.opType === 'Relu')).toHaveLength(1);
    expect(bin.every((n) => n.attrs.activation?.type === 'string' && n.attrs.activation.value === 'relu')).toBe(true);
    // The float weights of binarized layers are gone; the kept layers' stay.
    expect(m.graph.initializers['onnx::Conv_39']).toBeUndefined();
    expect(m.graph.initializers['classifier.1.weight']).toBeUndefined();
    expect(m.graph.initializers['onnx::Conv_36']?.dtype).toBe('float32');
    expect(lenet.graph.nodes.some((n) => n.domain === STUDIO_DOMAIN)).toBe(false); // the input model is untouched
  });

  it('writes the conv geometry and the weight shape, and bits and alpha exactly as binarizeWeights gives them', () => {
    const m = binarizeModel(lenet, { keepFirstLast: true, activationScale: true });
    const conv = xnorNodes(m)[0]!;
    expect(conv.attrs).toMatchObject({
      kernel_shape: ints([5, 5]), strides: ints([1, 1]), dilations: ints([1, 1]), pads: ints([0, 0, 0, 0]), group: int(1),
      weight_shape: ints([16, 6, 5, 5]), activation_scale: int(1), activation: str('relu'),
    });
    const [x, bits, alpha, bias] = conv.inputs;
    expect(x).toBe('/features/features.3/MaxPool_output_0');
    expect(bias).toBe('onnx::Conv_40');
    const want = binarizeWeights(lenet.graph.initializers['onnx::Conv_39']!.data as Float32Array, 16, 150);
    expect(m.graph.initializers[bits!]).toEqual({ dtype: 'uint32', dims: [16, 5], data: want.bits });
    expect(m.graph.initializers[alpha!]).toEqual({ dtype: 'float32', dims: [16], data: want.alpha });
    const fc1 = xnorNodes(m)[1]!;
    expect(attrInts(fc1, 'weight_shape', [])).toEqual([120, 400]);
    expect(m.graph.initializers[fc1.inputs[1]!]!.dims).toEqual([120, 13]);
  });

  it('binarizes every layer with keepFirstLast off, and follows per-layer overrides', () => {
    expect(xnorNodes(binarizeModel(lenet, { keepFirstLast: false, activationScale: false }))).toHaveLength(5);
    const m = binarizeModel(lenet, { keepFirstLast: true, activationScale: false, layers: { [CONV1]: 'binary', [FC1]: 'fp32' } });
    expect(xnorNodes(m).map((n) => n.name)).toEqual([CONV1, CONV2, FC2]);
    const conv1 = xnorNodes(m)[0]!;
    expect(conv1.attrs.pads).toEqual(ints([2, 2, 2, 2]));
  });

  it('stores the binarized layers ≥ 20× smaller than float32: packed bits (1/32) plus alpha', () => {
    const m = binarizeModel(lenet);
    const names = new Set([CONV2, FC1, FC2]);
    // conv2 16×(5 words) + fc1 120×13 + fc2 84×4 words, and one alpha per output channel.
    expect(weightBytes(m, names)).toBe(4 * (16 * 5 + 120 * 13 + 84 * 4) + 4 * (16 + 120 + 84));
    expect(weightBytes(lenet, names)).toBe(4 * (16 * 150 + 120 * 400 + 84 * 120));
    expect(weightBytes(lenet, names) / weightBytes(m, names)).toBeGreaterThanOrEqual(20);
  });

  it('round-trips through ONNX unchanged, declaring the custom domain', () => {
    const m = binarizeModel(lenet, { keepFirstLast: false, activationScale: true });
    const bytes = exportOnnx(m);
    expect(importOnnx(bytes)).toEqual(m);
    expect(new TextDecoder().decode(bytes)).toContain(STUDIO_DOMAIN);
  });

  it('passes the support check, resolves shapes as the float layers, and counts binary FLOPs at 1/64', () => {
    const m = binarizeModel(lenet);
    expect(() => checkSupport(m, RUNNABLE_OPS, FOLDABLE_OPS)).not.toThrow();
    const r = resolveGraph(lowerBinary(m), { input: [2, 1, 28, 28] });
    const rf = resolveGraph(lenet, { input: [2, 1, 28, 28] });
    expect(r.values.logits!.shape).toEqual([2, 10]);
    expect(r.values['/features/features.6/Relu_output_0']!.shape).toEqual(rf.values['/features/features.6/Relu_output_0']!.shape);
    const conv2 = layerStats(m, r).find((l) => l.name === CONV2)!;
    expect(conv2.opType).toBe('StudioXnorConv');
    expect(conv2.flops).toBeCloseTo(2 * 16 * 10 * 10 * (150 / 64 + 3), 6); // batch 2, 10×10 outputs
  });
});

describe('binary format edge cases', () => {
  it('transposes a Gemm with transB=0 before packing, and stores its [1, N] bias as (N)', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', ['N', 40]);
    const w = values(40 * 3, 1);
    const y1 = b.node('Gemm', [x, b.initializer('w0', tensor('float32', [40, 40], values(1600, 2))), ''], {}, { name: 'first' });
    const y2 = b.node('Gemm', [y1, b.initializer('w', tensor('float32', [40, 3], w)), b.initializer('c', tensor('float32', [1, 3], [1, 2, 3]))], {}, { name: 'mid' });
    b.output(b.node('Gemm', [y2, b.initializer('w2', tensor('float32', [3, 2], values(6, 3))), ''], {}, { name: 'last' }), 'float32', ['N', 2]);
    const m = binarizeModel(b.build());
    const mid = xnorNodes(m)[0]!;
    expect(mid.name).toBe('mid');
    const rows = Float32Array.from({ length: 3 * 40 }, (_, i) => w[(i % 40) * 3 + Math.floor(i / 40)]!);
    expect(m.graph.initializers[mid.inputs[1]!]!.data).toEqual(binarizeWeights(rows, 3, 40).bits);
    expect(m.graph.initializers[mid.inputs[3]!]).toEqual(tensor('float32', [3], [1, 2, 3]));
    expect(m.graph.initializers.c).toBeUndefined();
    expect(mid.attrs.activation).toBeUndefined(); // no Relu followed
  });

  it('leaves layers it cannot binarize float32 and says why', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', ['N', 4]);
    const wIn = b.input('w_runtime', 'float32', [4, 4]);
    const y1 = b.node('Gemm', [x, wIn], { transB: int(1) }, { name: 'dynamic' });
    const y2 = b.node('Gemm', [y1, b.initializer('w', tensor('float32', [4, 4], values(16, 4)))], { alpha: float(2) }, { name: 'scaled' });
    b.output(y2, 'float32', ['N', 4]);
    const plan = planBinary(b.build(), { keepFirstLast: false, activationScale: false });
    expect(plan.layers).toHaveLength(0);
    expect(plan.kept).toEqual([
      { node: 'dynamic', reason: 'its weights are computed at run time, not stored in the model' },
      { node: 'scaled', reason: 'Gemm with alpha or beta ≠ 1 is not binarized' },
    ]);
  });

  it('keeps depthwise convs float32 unless the recipe names them; a grouped conv with several channels a group is binarized', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', ['N', 8, 6, 6]);
    const dw = b.node('Conv', [x, b.initializer('wd', tensor('float32', [8, 1, 3, 3], values(72, 5)))], { group: int(8), pads: ints([1, 1, 1, 1]) }, { name: 'dw' });
    const grouped = b.node('Conv', [dw, b.initializer('wg', tensor('float32', [8, 4, 3, 3], values(288, 6)))], { group: int(2), pads: ints([1, 1, 1, 1]) }, { name: 'grouped' });
    b.output(grouped, 'float32', ['N', 8, 6, 6]);
    const m = b.build();
    const plan = planBinary(m, { keepFirstLast: false, activationScale: false });
    expect(plan.layers.map((l) => l.node.name)).toEqual(['grouped']);
    expect(plan.kept).toEqual([{ node: 'dw', reason: expect.stringMatching(/^a depthwise conv .* kept float32 unless the recipe names it$/) }]);
    const named = planBinary(m, { keepFirstLast: false, activationScale: false, layers: { dw: 'binary' } });
    expect(named.layers.map((l) => l.node.name)).toEqual(['dw', 'grouped']);
  });

  it('accepts exactly XnorConv and XnorGemm in the studio domain', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', ['N', 4]);
    b.output(b.node('XnorMatMul', [x], {}, { domain: STUDIO_DOMAIN, name: 'odd' }), 'float32', ['N', 4]);
    expect(supportProblems(b.build(), RUNNABLE_OPS, FOLDABLE_OPS)[0]).toMatch(/ai\.compression-studio\.XnorMatMul \(node 'odd'\)/);
    expect(RUNNABLE_OPS.has('XnorConv')).toBe(false);
  });
});
