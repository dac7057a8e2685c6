/**
 * Activation buffers shared by lifetime (engine/plan.ts), on Dawn: a residual + concat net of ~300
 * nodes and the LeNet fixture give onnxruntime-node's outputs while holding a fraction of the bytes
 * one buffer per value would; the plan's inputs and outputs keep buffers of their own.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { syntheticNet } from '../model/synthetic-net';
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
