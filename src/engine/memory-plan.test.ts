/**
 * Activation buffers shared by lifetime (engine/plan.ts), on Dawn: a residual + concat net of ~300
 * nodes and the LeNet fixture give onnxruntime-node's outputs while holding a fraction of the bytes
 * one buffer per value would; the plan's inputs and outputs keep buffers of their own. The device
 * bytes the context counts as it allocates (its peak) are the session's own account of them.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { syntheticNet } from '../model/synthetic-net';
import { binarizeModel } from '../compress/binarize';
import type { Model } from '../model/ir';
import { randomFloats } from '../core/rng';
import { InferenceSession } from './session';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

async function compare(bytes: Uint8Array, shape: number[]) {
  const ctx = await createGpuContext(await nodeGpu());
  const session = new InferenceSession(ctx, importOnnx(bytes, 'model.onnx'));
  const x = randomFloats(shape.reduce((a, b) => a * b, 1), 7);
  const plan = session.plan({ [session.input.name]: shape });
  const { outputs } = await plan.run({ [session.input.name]: x });
  const ref = await ort.InferenceSession.create(bytes);
  const want = (await ref.run({ [ref.inputNames[0]!]: new ort.Tensor('float32', x, shape) }))[ref.outputNames[0]!]!.data as Float32Array;
  const got = outputs[0]!.data;
  const scale = Math.max(...Array.from(want, Math.abs), 1e-6);
  const worst = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)));
  const memory = { ...plan.memory };
  session.destroy();
  ctx.destroy();
  return { worst: worst / scale, memory, n: got.length, expected: want.length };
}

describe('activation buffers shared by lifetime', () => {
  it('a 300-node residual + concat net: onnxruntime\'s outputs, a tenth of the bytes', async () => {
    const r = await compare(exportOnnx(syntheticNet(300, 'N')), [2, 4, 4, 4]);
    expect(r.n).toBe(r.expected);
    expect(r.worst).toBeLessThan(1e-4);
    expect(r.memory.unsharedBytes).toBeGreaterThan(0);
    expect(r.memory.heldBytes).toBeLessThan(r.memory.unsharedBytes / 10);
  }, 120_000);

  it('LeNet at batch 64: the same outputs, fewer bytes held', async () => {
    const r = await compare(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')), [64, 1, 28, 28]);
    expect(r.worst).toBeLessThan(1e-4);
    expect(r.memory.heldBytes).toBeLessThan(r.memory.unsharedBytes);
  }, 120_000);
});

describe('device bytes: the context\'s count against the session\'s account', () => {
  const lenet = () => importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')), 'lenet.onnx');

  async function peakOf(model: Model, shape: number[]) {
    const ctx = await createGpuContext(await nodeGpu());
    const base = ctx.liveBytes;
    ctx.resetPeak();
    const session = new InferenceSession(ctx, model);
    const shapes = { [session.input.name]: shape };
    const { output } = await session.runBatch(randomFloats(shape.reduce((a, b) => a * b, 1), 3), shape);
    const account = session.deviceBytes(shapes);
    const peak = ctx.peakBytes - base;
    session.destroy();
    const pooledAfter = ctx.liveBytes - base;
    ctx.trimPool();
    const after = ctx.liveBytes - base;
    ctx.destroy();
    return { peak, account, readback: output.data.length * 4, pooledAfter, after };
  }

  it('LeNet at batch 16: the peak is its weights, activations and uniforms, plus the output read back', async () => {
    const r = await peakOf(lenet(), [16, 1, 28, 28]);
    expect(r.account.weights).toBeGreaterThan(4 * 60_000); // LeNet-5 holds about 61k float weights
    expect(r.account.activations).toBeGreaterThan(16 * 6 * 24 * 24 * 4); // conv1's output at batch 16, at least
    expect(r.account.uniforms).toBeGreaterThan(0);
    expect(r.peak).toBe(r.account.total + r.readback);
    // Destroyed, the session leaves only pooled activation buffers, and trimming the pool frees those.
    expect(r.pooledAfter).toBe(r.account.activations);
    expect(r.after).toBe(0);
  }, 120_000);

  it('binarized LeNet: the sign bits its kernels prepared are counted with the weights', async () => {
    // Left out of the account, the prepared sign bits and scales made the count 8,784 bytes above it.
    const binary = await peakOf(binarizeModel(lenet()), [4, 1, 28, 28]);
    expect(binary.peak).toBe(binary.account.total + binary.readback);
  }, 120_000);
});
