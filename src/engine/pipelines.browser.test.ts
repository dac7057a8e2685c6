/**
 * Each pipeline is compiled once per context: new batch sizes and new sessions compile nothing. The
 * compile counter is checked against what the plans actually dispatch, counted from the dispatches.
 */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import { createGpuContext } from '../gpu/adapter';
import { InferenceSession } from './session';

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** The distinct pipeline objects the session's plans for these input shapes dispatch. */
function dispatched(s: InferenceSession, shapes: number[][]): Set<GPUComputePipeline> {
  return new Set(shapes.flatMap((shape) => s.plan({ [s.input.name]: shape }).dispatches.map((d) => d.pipeline)));
}

describe('pipeline cache', () => {
  it('compiles each kernel variant of LeNet once across batch sizes and sessions', async () => {
    const ctx = await createGpuContext();
    const model = importOnnx(fromB64(await commands.readFileB64('fixtures/lenet-mnist.onnx')), 'lenet');
    const s1 = new InferenceSession(ctx, model);
    await s1.runBatch(new Float32Array(784), [1, 1, 28, 28]);
    await s1.runBatch(new Float32Array(64 * 784), [64, 1, 28, 28]);
    const used = dispatched(s1, [[1, 1, 28, 28], [64, 1, 28, 28]]);
    // One compile per pipeline the plans use, and no two of them for the same kernel + constants
    // (a pipeline's label is its cache key): a cache keyed by anything else fails one of these.
    const labels = [...used].map((p) => p.label);
    expect(ctx.pipelineCompiles).toBe(used.size);
    expect(new Set(labels).size).toBe(used.size);
    // LeNet after fusion: conv+relu (both convs), maxpool, and gemm+relu / gemm (no activation). A GPU
    // runs both in the small-M form at batch 1 and the tiled form at batch 64; a software adapter runs
    // the register-blocked form except for fc1 at batch 1 (one row, 120 columns, K 400: matmulKernel).
    const gemms = ctx.info.isFallback ? ['matmul_reg', 'matmul_reg', 'matmul_small'] : ['matmul', 'matmul', 'matmul_small', 'matmul_small'];
    expect(labels.map((l) => l.split('|')[0]).sort(), labels.join('\n')).toEqual(['conv2d', ...gemms, 'pool2d']);
    const afterFirst = ctx.pipelineCompiles;

    await s1.runBatch(new Float32Array(7 * 784), [7, 1, 28, 28]);
    await s1.runBatch(new Float32Array(33 * 784), [33, 1, 28, 28]);
    const s2 = new InferenceSession(ctx, model);
    await s2.runBatch(new Float32Array(784), [1, 1, 28, 28]);
    await s2.runBatch(new Float32Array(64 * 784), [64, 1, 28, 28]);
    expect(ctx.pipelineCompiles).toBe(afterFirst);
    // The new shapes and the second session dispatch only pipelines the first plans already had.
    const later = [...dispatched(s1, [[7, 1, 28, 28], [33, 1, 28, 28]]), ...dispatched(s2, [[1, 1, 28, 28], [64, 1, 28, 28]])];
    expect(later.filter((p) => !used.has(p)).map((p) => p.label)).toEqual([]);
    s1.destroy(); s2.destroy(); ctx.destroy();
  });

  it('prepare compiles the pipelines a plan needs ahead, in parallel (createComputePipelineAsync), and the plan then compiles none and computes the same', async () => {
    const model = importOnnx(fromB64(await commands.readFileB64('fixtures/lenet-mnist.onnx')), 'lenet');
    const x = new Float32Array(8 * 784).map((_, i) => Math.sin(i));
    const syncCtx = await createGpuContext();
    const plain = new InferenceSession(syncCtx, model);
    const want = (await plain.runBatch(x, [8, 1, 28, 28])).output.data;

    const ctx = await createGpuContext();
    const s = new InferenceSession(ctx, model);
    const plan = await s.prepare({ [s.input.name]: [8, 1, 28, 28] }, true);
    const compiledAhead = ctx.pipelineCompiles;
    expect(compiledAhead).toBe(syncCtx.pipelineCompiles);
    expect(plan.dispatches.map((d) => d.pipeline.label)).not.toContain('not compiled yet');
    const got = (await s.runBatch(x, [8, 1, 28, 28])).output.data;
    expect(ctx.pipelineCompiles).toBe(compiledAhead);
    expect(Array.from(got)).toEqual(Array.from(want));
    // A plan the session already has compiles nothing ahead.
    expect(await ctx.compileAhead(() => { s.plan({ [s.input.name]: [8, 1, 28, 28] }); })).toBe(0);
    plain.destroy(); s.destroy(); ctx.destroy(); syncCtx.destroy();
  });
});
