/**
 * A Relu or Clip after an int8 layer with float output (dynamic quantization, as mobilenet_v2's
 * ReLU6 blocks get) is applied by that layer's epilogue as a clamp, not by a dispatch of its own:
 * checked on Dawn against onnxruntime-node running the same QDQ file.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { GraphBuilder, int, ints, tensor } from '../model/builder';
import { exportOnnx } from '../model/onnx-export';
import { randomFloats } from '../core/rng';
import { planInt8, DEFAULT_INT8_RECIPE } from '../compress/quantize-plan';
import { applyInt8 } from '../compress/quantize';
import type { Model } from '../model/ir';
import { InferenceSession } from './session';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** Stem conv, depthwise conv and pointwise conv, each followed by ReLU6 (Clip 0..6 as torch exports it), then a Gemm. */
function relu6Block(): Model {
  const b = new GraphBuilder('relu6_block', 13);
  const w = (name: string, dims: number[], seed: number, scale = 1) =>
    b.initializer(name, tensor('float32', dims, randomFloats(dims.reduce((a, d) => a * d, 1), seed, -scale, scale)));
  const lo = b.initializer('lo', tensor('float32', [], [0])), hi = b.initializer('hi', tensor('float32', [], [6]));
  const x = b.input('x', 'float32', ['N', 3, 12, 12]);
  let h = b.node('Clip', [b.node('Conv', [x, w('stem', [8, 3, 3, 3], 1), w('stem_b', [8], 2)], { pads: ints([1, 1, 1, 1]) }), lo, hi]);
  h = b.node('Clip', [b.node('Conv', [h, w('dw', [8, 1, 3, 3], 3), w('dw_b', [8], 4)], { group: int(8), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }), lo, hi]);
  h = b.node('Clip', [b.node('Conv', [h, w('pw', [16, 8, 1, 1], 5), w('pw_b', [16], 6)]), lo, hi]);
  h = b.node('Flatten', [b.node('GlobalAveragePool', [h])]);
  b.output(b.node('Gemm', [h, w('fc', [10, 16], 7), w('fc_b', [10], 8)], { transB: int(1) }), 'float32', ['N', 10]);
  return b.build();
}

describe('ReLU6 fused into dynamic int8 layers', () => {
  it('each Clip runs inside the int8 conv before it, and the outputs are onnxruntime\'s', async () => {
    const float = relu6Block();
    const recipe = { ...DEFAULT_INT8_RECIPE, activations: 'dynamic' as const };
    const q = applyInt8(float, planInt8(float, recipe), {}, recipe);
    const ctx = await createGpuContext(await nodeGpu());
    const session = new InferenceSession(ctx, q);
    const shape = [2, 3, 12, 12];
    const plan = session.plan({ x: shape });
    const int8Steps = plan.steps.filter((s) => s.node.opType === 'StudioInt8Conv');
    expect(int8Steps).toHaveLength(3);
    for (const s of int8Steps) expect(s.act).toEqual({ kind: 'clip', a: 0, b: 6 });
    expect(plan.steps.some((s) => s.node.opType === 'Clip')).toBe(false);

    const x = randomFloats(2 * 3 * 12 * 12, 9, -2, 2);
    const got = (await session.runBatch(x, shape)).output.data;
    const ref = await ort.InferenceSession.create(exportOnnx(q));
    const want = (await ref.run({ x: new ort.Tensor('float32', x, shape) }))[ref.outputNames[0]!]!.data as Float32Array;
    session.destroy();
    ctx.destroy();
    // Dynamic ranges are measured the same way by both; int8 rounding at a tie may differ by one step.
    const scale = Math.max(...Array.from(want, Math.abs));
    const worst = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)));
    expect(got.length).toBe(20);
    expect(worst / scale).toBeLessThan(1e-3);
  }, 120_000);
});
