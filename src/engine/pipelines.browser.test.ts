/** Each pipeline is compiled once per session: new batch sizes and new sessions compile nothing. */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import { createGpuContext } from '../gpu/adapter';
import { InferenceSession } from './session';

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

describe('pipeline cache', () => {
  it('compiles each kernel variant of LeNet once across batch sizes and sessions', async () => {
    const ctx = await createGpuContext();
    const model = importOnnx(fromB64(await commands.readFileB64('fixtures/lenet-mnist.onnx')), 'lenet');
    const s1 = new InferenceSession(ctx, model);
    await s1.runBatch(new Float32Array(784), [1, 1, 28, 28]);
    await s1.runBatch(new Float32Array(64 * 784), [64, 1, 28, 28]);
    const afterFirst = ctx.pipelineCompiles;
    // LeNet after fusion: conv+relu, maxpool, gemm+relu, gemm — each in a small-M (batch ≤ 16, MATMUL_SMALL_M) and a
    // tiled (batch 64) matmul form: a handful of variants, not one per layer or per batch size.
    expect(afterFirst).toBeGreaterThanOrEqual(4);
    expect(afterFirst).toBeLessThanOrEqual(6);
    expect(ctx.pipelineKeys()).toHaveLength(afterFirst);

    await s1.runBatch(new Float32Array(7 * 784), [7, 1, 28, 28]);
    await s1.runBatch(new Float32Array(33 * 784), [33, 1, 28, 28]);
    const s2 = new InferenceSession(ctx, model);
    await s2.runBatch(new Float32Array(784), [1, 1, 28, 28]);
    await s2.runBatch(new Float32Array(64 * 784), [64, 1, 28, 28]);
    expect(ctx.pipelineCompiles).toBe(afterFirst);
    s1.destroy(); s2.destroy(); ctx.destroy();
  });
});
