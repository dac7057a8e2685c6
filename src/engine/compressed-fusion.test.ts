/**
 * A Relu or Clip after an int8 layer with float output (dynamic quantization, as mobilenet_v2's
 * ReLU6 blocks get) is applied by that layer's epilogue as a clamp, and a SiLU (efficientnet's
 * Mul(y, Sigmoid(y))) after it, not by dispatches of their own: checked on Dawn against
 * onnxruntime-node running the same QDQ file. XNOR layers fuse the same activations; there
 * onnxruntime has no XNOR op, so the fused plan is checked against the same model planned with
 * every XNOR output also a graph output, which keeps each activation a step of its own.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { GraphBuilder, int, ints, tensor } from '../model/builder';
import { exportOnnx } from '../model/onnx-export';
import { randomFloats } from '../core/rng';
import { planInt8, DEFAULT_INT8_RECIPE, type Int8Recipe } from '../compress/quantize-plan';
import { applyInt8 } from '../compress/quantize';
import { binarizeModel } from '../compress/binarize';
import type { Dim, Model } from '../model/ir';
import { InferenceSession } from './session';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** A random float32 initializer maker (values in ±scale) and ReLU6's bounds, for the blocks below. */
function parts(b: GraphBuilder) {
  const w = (name: string, dims: number[], seed: number, scale = 1) =>
    b.initializer(name, tensor('float32', dims, randomFloats(dims.reduce((a, d) => a * d, 1), seed, -scale, scale)));
  return { w, lo: b.initializer('lo', tensor('float32', [], [0])), hi: b.initializer('hi', tensor('float32', [], [6])) };
}

/** `float` quantized with dynamic activations; `layers` as the recipe's per-layer choices. */
function dynamicInt8(float: Model, layers: Int8Recipe['layers'] = {}): Model {
  const recipe = { ...DEFAULT_INT8_RECIPE, activations: 'dynamic' as const, layers };
  return applyInt8(float, planInt8(float, recipe), {}, recipe);
}

/**
 * Runs `session` (of the QDQ model `q`) and onnxruntime-node on the same input x (shape); returns
 * how many outputs there were and the largest difference over the largest onnxruntime output.
 */
async function againstOnnxruntime(session: InferenceSession, q: Model, x: Float32Array, shape: number[]): Promise<{ outputs: number; relative: number }> {
  const got = (await session.runBatch(x, shape)).output.data;
  const ref = await ort.InferenceSession.create(exportOnnx(q));
  const want = (await ref.run({ x: new ort.Tensor('float32', x, shape) }))[ref.outputNames[0]!]!.data as Float32Array;
  const scale = Math.max(...Array.from(want, Math.abs));
  return { outputs: got.length, relative: Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!))) / scale };
}

/** Stem conv, depthwise conv and pointwise conv, each followed by ReLU6 (Clip 0..6 as torch exports it), then a Gemm. */
function relu6Block(): Model {
  const b = new GraphBuilder('relu6_block', 13);
  const { w, lo, hi } = parts(b);
  const x = b.input('x', 'float32', ['N', 3, 12, 12]);
  let h = b.node('Clip', [b.node('Conv', [x, w('stem', [8, 3, 3, 3], 1), w('stem_b', [8], 2)], { pads: ints([1, 1, 1, 1]) }), lo, hi]);
  h = b.node('Clip', [b.node('Conv', [h, w('dw', [8, 1, 3, 3], 3), w('dw_b', [8], 4)], { group: int(8), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }, { name: 'depthwise' }), lo, hi]);
  h = b.node('Clip', [b.node('Conv', [h, w('pw', [16, 8, 1, 1], 5), w('pw_b', [16], 6)]), lo, hi]);
  h = b.node('Flatten', [b.node('GlobalAveragePool', [h])]);
  b.output(b.node('Gemm', [h, w('fc', [10, 16], 7), w('fc_b', [10], 8)], { transB: int(1) }), 'float32', ['N', 10]);
  return b.build();
}

/** Stem conv; a conv with ReLU6; a conv with SiLU as exporters write it; a conv with neither; pooled into a Gemm. */
function activationBlock(): Model {
  const b = new GraphBuilder('activation_block', 13);
  const { w, lo, hi } = parts(b);
  const x = b.input('x', 'float32', ['N', 3, 10, 10]);
  let h = b.node('Conv', [x, w('stem', [16, 3, 3, 3], 1), w('stem_b', [16], 2)], { pads: ints([1, 1, 1, 1]) });
  h = b.node('Clip', [b.node('Conv', [h, w('c1', [16, 16, 3, 3], 3, 0.3), w('c1_b', [16], 4)], { pads: ints([1, 1, 1, 1]) }, { name: 'conv1' }), lo, hi], {}, { name: 'relu6' });
  const y = b.node('Conv', [h, w('c2', [32, 16, 1, 1], 5, 0.5), w('c2_b', [32], 6)], {}, { name: 'conv2' });
  h = b.node('Mul', [y, b.node('Sigmoid', [y])], {}, { name: 'silu' });
  h = b.node('Conv', [h, w('c3', [32, 32, 1, 1], 7, 0.3)], {}, { name: 'conv3' });
  h = b.node('Flatten', [b.node('GlobalAveragePool', [h])]);
  b.output(b.node('Gemm', [h, w('fc', [10, 32], 8), w('fc_b', [10], 9)], { transB: int(1) }), 'float32', ['N', 10]);
  return b.build();
}

describe('ReLU6 fused into dynamic int8 layers', () => {
  it('each Clip runs inside the int8 conv before it, and the outputs are onnxruntime\'s', async () => {
    // Named, the depthwise conv is quantized too (by default it stays float32).
    const q = dynamicInt8(relu6Block(), { depthwise: 'int8' });
    const ctx = await createGpuContext(await nodeGpu());
    const session = new InferenceSession(ctx, q);
    const shape = [2, 3, 12, 12];
    const plan = session.plan({ x: shape });
    const int8Steps = plan.steps.filter((s) => s.node.opType === 'StudioInt8Conv');
    expect(int8Steps).toHaveLength(3);
    for (const s of int8Steps) expect(s.act).toEqual({ kind: 'clip', a: 0, b: 6 });
    expect(plan.steps.some((s) => s.node.opType === 'Clip')).toBe(false);

    const r = await againstOnnxruntime(session, q, randomFloats(2 * 3 * 12 * 12, 9, -2, 2), shape);
    session.destroy();
    ctx.destroy();
    // Dynamic ranges are measured the same way by both; int8 rounding at a tie may differ by one step.
    expect(r.outputs).toBe(20);
    expect(r.relative).toBeLessThan(1e-3);
  }, 120_000);
});

describe('SiLU and ReLU6 fused into int8 and XNOR layers', () => {
  it('a dynamic int8 conv applies the SiLU after it, and the outputs are onnxruntime\'s', async () => {
    const q = dynamicInt8(activationBlock());
    const ctx = await createGpuContext(await nodeGpu());
    const session = new InferenceSession(ctx, q);
    const shape = [2, 3, 10, 10];
    const steps = session.plan({ x: shape }).steps.filter((s) => s.node.opType === 'StudioInt8Conv');
    expect(steps.map((s) => s.act.kind)).toEqual(['none', 'clip', 'silu', 'none']);
    expect(session.plan({ x: shape }).steps.some((s) => s.node.opType === 'Sigmoid' || s.node.opType === 'Mul')).toBe(false);

    const r = await againstOnnxruntime(session, q, randomFloats(2 * 3 * 10 * 10, 10, -2, 2), shape);
    session.destroy();
    ctx.destroy();
    expect(r.outputs).toBe(20);
    expect(r.relative).toBeLessThan(1e-3);
  }, 120_000);

  it('an XNOR conv applies the ReLU6 and the SiLU after it, with the outputs of the unfused plan', async () => {
    const xnor = binarizeModel(activationBlock());
    const layers = xnor.graph.nodes.filter((n) => n.opType === 'XnorConv');
    expect(layers.map((n) => n.name)).toEqual(['conv1', 'conv2', 'conv3']); // the stem and the Gemm stay float32 (keepFirstLast)
    // The same model with every XNOR output read out as well: an activation then cannot take its
    // producer's output over, so it runs as its own step.
    const open: Model = {
      ...xnor,
      graph: { ...xnor.graph, outputs: [...xnor.graph.outputs, ...layers.map((n) => ({ name: n.outputs[0]!, dtype: 'float32' as const, shape: ['N', n.name === 'conv1' ? 16 : 32, 10, 10] as Dim[] }))] },
    };
    const ctx = await createGpuContext(await nodeGpu());
    const fused = new InferenceSession(ctx, xnor), unfused = new InferenceSession(ctx, open);
    const shape = [2, 3, 10, 10];
    const acts = (s: InferenceSession) => s.plan({ x: shape }).steps.filter((st) => st.node.opType === 'StudioXnorConv').map((st) => st.act.kind);
    expect(acts(fused)).toEqual(['clip', 'silu', 'none']);
    expect(acts(unfused)).toEqual(['none', 'none', 'none']);
    expect(fused.plan({ x: shape }).steps.some((s) => ['Clip', 'Sigmoid', 'Mul'].includes(s.node.opType))).toBe(false);

    const x = randomFloats(2 * 3 * 10 * 10, 11, -2, 2);
    const got = (await fused.runBatch(x, shape)).output.data;
    const want = (await unfused.runBatch(x, shape)).output.data;
    fused.destroy(); unfused.destroy();
    ctx.destroy();
    const scale = Math.max(...Array.from(want, Math.abs));
    expect(scale).toBeGreaterThan(0);
    expect(got.length).toBe(20);
    // Clip is exact either way; SiLU fused is x * (1 / (1 + exp(-x))) where Sigmoid then Mul round once more.
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!))) / scale).toBeLessThan(1e-5);
  }, 120_000);

  it('an XNOR conv that absorbed its ReLU leaves a Clip after it to its own step', async () => {
    const b = new GraphBuilder('relu_clip', 13);
    const { w, lo, hi } = parts(b);
    const x = b.input('x', 'float32', ['N', 3, 6, 6]);
    let h = b.node('Conv', [x, w('stem', [8, 3, 3, 3], 1)], { pads: ints([1, 1, 1, 1]) });
    h = b.node('Clip', [b.node('Relu', [b.node('Conv', [h, w('c1', [8, 8, 3, 3], 2)], { pads: ints([1, 1, 1, 1]) }, { name: 'conv1' })]), lo, hi]);
    b.output(b.node('Conv', [h, w('c2', [4, 8, 1, 1], 3)]), 'float32', ['N', 4, 6, 6]);
    const xnor = binarizeModel(b.build());
    expect(xnor.graph.nodes.find((n) => n.name === 'conv1')?.attrs.activation).toEqual({ type: 'string', value: 'relu' });
    const ctx = await createGpuContext(await nodeGpu());
    const session = new InferenceSession(ctx, xnor);
    const steps = session.plan({ x: [1, 3, 6, 6] }).steps;
    expect(steps.find((s) => s.node.name === 'conv1')?.act.kind).toBe('none');
    expect(steps.filter((s) => s.node.opType === 'Clip')).toHaveLength(1);
    session.destroy();
    ctx.destroy();
  }, 60_000);

  it('int8 keeps a depthwise conv float32 unless the recipe names it, saying why', () => {
    const float = relu6Block();
    const plan = planInt8(float, DEFAULT_INT8_RECIPE);
    expect(plan.layers.map((l) => l.node.name)).not.toContain('depthwise');
    expect(plan.layers).toHaveLength(3); // stem, pointwise, Gemm
    expect(plan.skipped).toEqual([{ node: 'depthwise', reason: expect.stringMatching(/depthwise conv .* stays float32 unless the recipe names it/) }]);
    const named = planInt8(float, { ...DEFAULT_INT8_RECIPE, layers: { depthwise: 'int8' } });
    expect(named.layers.map((l) => l.node.name)).toContain('depthwise');
    expect(named.skipped).toEqual([]);
  });
});
