/**
 * Training on the engine (Dawn WebGPU): the whole backward plan against finite differences of the
 * training forward on a graph that exercises every way gradients meet (a residual Add, gating Mul,
 * Concat, views, BatchNorm in training mode, pooling, Gemm and MatMul), then real training on
 * MNIST: learning, determinism, flat GPU memory, distillation, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import type { GpuContext } from '../gpu/context';
import { GraphBuilder, float, int, ints, tensor } from '../model/builder';
import type { Model } from '../model/ir';
import { importOnnx } from '../model/onnx-import';
import { makeRng, randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import { mnistSet } from '../data/mnist-testing';
import { sliceDataset } from '../data/dataset';
import { findParameters, ParamStore } from './params';
import { trainableGraph, TrainingPlan } from './training-plan';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig } from './trainer';
import { buildArch } from './architectures';

let shared: Promise<GpuContext> | null = null;
const gpu = () => (shared ??= nodeGpu().then((g) => createGpuContext(g)));

/** A small graph where gradients split and meet in every way the table supports. */
function knotModel(): Model {
  const b = new GraphBuilder('knot', 13);
  const r = makeRng(3);
  const w = (name: string, dims: number[], scale = 0.5) => b.initializer(name, tensor('float32', dims, Float32Array.from({ length: sizeOf(dims) }, () => (r() * 2 - 1) * scale)));
  const x = b.input('x', 'float32', ['N', 2, 6, 6]);
  const c1 = b.node('Conv', [x, w('c1.w', [4, 2, 3, 3]), w('c1.b', [4], 0.1)], { pads: ints([1, 1, 1, 1]) }, { name: 'c1' });
  const bn = b.node('BatchNormalization', [c1, w('bn.g', [4], 0.3), w('bn.b', [4], 0.1), b.initializer('bn.m', tensor('float32', [4], new Float32Array(4))),
    b.initializer('bn.v', tensor('float32', [4], new Float32Array(4).fill(1)))], { epsilon: float(1e-5) }, { name: 'bn' });
  // Smooth after BatchNorm: its outputs sit around 0, where a kink would make finite differences lie
  // (the kinked activations have their own finite-difference checks in train-grads.browser.test.ts).
  const a = b.node('Tanh', [bn], {}, { name: 'act' });
  const c2 = b.node('Conv', [a, w('c2.w', [4, 1, 3, 3])], { pads: ints([1, 1, 1, 1]), group: int(4) }, { name: 'c2_depthwise' });
  const s = b.node('Add', [a, c2], {}, { name: 'residual' });
  const gate = b.node('Sigmoid', [b.node('Conv', [s, w('c3.w', [4, 4, 1, 1]), w('c3.b', [4], 0.1)], {}, { name: 'c3' })], {}, { name: 'gate' });
  const m = b.node('Mul', [s, gate], {}, { name: 'gating' });
  const p = b.node('MaxPool', [m], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, { name: 'pool' });
  const ap = b.node('AveragePool', [s], { kernel_shape: ints([3, 3]), strides: ints([3, 3]) }, { name: 'avg' });
  const gap = b.node('Flatten', [b.node('GlobalAveragePool', [s], {}, { name: 'gap' })], { axis: int(1) }, { name: 'flat_gap' });
  const f = b.node('Flatten', [p], { axis: int(1) }, { name: 'flat_pool' });
  const fa = b.node('Flatten', [ap], { axis: int(1) }, { name: 'flat_avg' });
  const cat = b.node('Concat', [f, gap, fa], { axis: int(1) }, { name: 'cat' }); // 36 + 4 + 16
  const h = b.node('Tanh', [b.node('Gemm', [cat, w('fc1.w', [8, 56], 0.3), w('fc1.b', [8], 0.1)], { transB: int(1) }, { name: 'fc1' })], {}, { name: 'tanh' });
  const t = b.node('Transpose', [b.node('Reshape', [h, b.initializer('shape', tensor('int64', [3], [-1, 2, 4]))], {}, { name: 'split_rows' })], { perm: ints([0, 2, 1]) }, { name: 'swap' });
  const h2 = b.node('Flatten', [t], { axis: int(1) }, { name: 'flat2' });
  const y = b.node('Add', [b.node('MatMul', [h2, w('fc2.w', [8, 3])], {}, { name: 'fc2' }), w('fc2.b', [3], 0.1)], {}, { name: 'fc2_bias' });
  b.output(y, 'float32', ['N', 3]);
  return b.build();
}

describe('Relu fused into the layer before it', () => {
  it('gives the same loss and gradients as the unfused forward, with one dispatch fewer per Conv/Gemm + Relu', async () => {
    const ctx = await gpu();
    const model = buildArch('cnn:4-fc16-10', [28, 28], 2);
    const x = randomFloats(8 * 784, 4);
    const results = [];
    for (const fuseRelu of [true, false]) {
      const params = new ParamStore(ctx, model, findParameters(model), 2);
      const plan = new TrainingPlan(ctx, trainableGraph(model, params), params, {
        batch: 8, inputShape: [8, 1, 28, 28], loss: { temperature: 1, alpha: 0 }, withTeacher: false, optimizer: 'adamw', fuseRelu,
      });
      ctx.device.queue.writeBuffer(plan.x.buffer, 0, x as Float32Array<ArrayBuffer>);
      ctx.device.queue.writeBuffer(plan.labels.buffer, 0, Float32Array.from({ length: 8 }, (_, i) => i));
      await run(ctx, [...plan.forward, ...plan.loss, ...plan.backward]);
      const grads: Record<string, number[]> = {};
      for (const name of plan.trainedNames) grads[name] = Array.from(await ctx.readF32(plan.grads.get(name)!.buffer, sizeOf(plan.grads.get(name)!.shape)));
      results.push({ forward: plan.forward.map((d) => d.label), stats: Array.from(await ctx.readF32(plan.stats.buffer, 32)), grads });
      plan.destroy();
      params.destroy();
    }
    const [fused, plain] = results;
    expect(plain!.forward.filter((l) => l.endsWith('.relu'))).toEqual(['conv1.relu', 'fc1.relu']);
    expect(fused!.forward.filter((l) => l.endsWith('.relu'))).toEqual([]);
    expect(fused!.forward.length).toBe(plain!.forward.length - 2);
    expect(fused!.stats).toEqual(plain!.stats);
    expect(fused!.grads).toEqual(plain!.grads);
    expect(Object.values(fused!.grads).every((g) => g.some((v) => v !== 0))).toBe(true);
  });
});

async function run(ctx: GpuContext, dispatches: Parameters<GpuContext['submit']>[0]): Promise<void> {
  await ctx.checked('a training step', () => ctx.submit(dispatches));
}

describe('backward plan', () => {
  it('matches finite differences of the training forward for every parameter of a knotted graph', async () => {
    const ctx = await gpu();
    const model = knotModel();
    const roles = findParameters(model);
    expect([...roles].filter(([, r]) => r === 'state').map(([n]) => n).sort()).toEqual(['bn.m', 'bn.v']);
    expect(roles.has('shape')).toBe(false); // an int64 shape constant is not a parameter
    const params = new ParamStore(ctx, model, roles, 2);
    const B = 4;
    const plan = new TrainingPlan(ctx, trainableGraph(model, params), params, {
      batch: B, inputShape: [B, 2, 6, 6], loss: { temperature: 1, alpha: 0 }, withTeacher: false, optimizer: 'adamw',
    });
    try {
      ctx.device.queue.writeBuffer(plan.x.buffer, 0, randomFloats(B * 72, 11) as Float32Array<ArrayBuffer>);
      ctx.device.queue.writeBuffer(plan.labels.buffer, 0, Float32Array.from([0, 2, 1, 2]));
      const meanLoss = async () => {
        await run(ctx, [...plan.forward, ...plan.loss]);
        const s = await ctx.readF32(plan.stats.buffer, B * 4);
        let sum = 0;
        for (let i = 0; i < B; i++) sum += s[i * 4]!;
        return sum / B;
      };
      await run(ctx, [...plan.forward, ...plan.loss, ...plan.backward]);
      expect(plan.trainedNames.sort()).toEqual(['bn.b', 'bn.g', 'c1.b', 'c1.w', 'c2.w', 'c3.b', 'c3.w', 'fc1.b', 'fc1.w', 'fc2.b', 'fc2.w']);
      const grads = new Map<string, Float32Array>();
      for (const name of plan.trainedNames) grads.set(name, await ctx.readF32(plan.grads.get(name)!.buffer, sizeOf(plan.grads.get(name)!.shape)));

      const eps = 3e-3;
      const r = makeRng(5);
      const report: string[] = [];
      let checked = 0;
      for (const name of plan.trainedNames) {
        const e = params.entries.get(name)!;
        const values = Float32Array.from(model.graph.initializers[name]!.data as Float32Array);
        for (let k = 0; k < 3; k++) {
          const i = Math.floor(r() * values.length);
          const at = (v: number) => { const c = Float32Array.from(values); c[i] = v; ctx.device.queue.writeBuffer(e.value.buffer, 0, c); return meanLoss(); };
          const fd = ((await at(values[i]! + eps)) - (await at(values[i]! - eps))) / (2 * eps);
          ctx.device.queue.writeBuffer(e.value.buffer, 0, values);
          const g = grads.get(name)![i]!;
          // The f32 per-row losses carry ~6e-8 of rounding, so the difference quotient carries ~2e-5 of
          // noise at this eps: below 2e-3 a gradient is compared absolutely (4e-5), above it relatively.
          const err = Math.abs(fd - g) / Math.max(Math.abs(fd), Math.abs(g), 2e-3);
          if (err > 2e-2) report.push(`${name}[${i}]: backward ${g}, finite difference ${fd} (rel ${err.toFixed(3)})`);
          checked++;
        }
      }
      expect(report).toEqual([]);
      expect(checked).toBe(33);
      // A gradient that is all zeros would pass nothing above by accident: each parameter's is non-zero.
      for (const [name, g] of grads) expect(g.some((v) => v !== 0), name).toBe(true);
    } finally {
      plan.destroy();
      params.destroy();
    }
  }, 600_000);
});

const train = mnistSet('train'), test = mnistSet('t10k');
const small: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batch: 64, lr: 2e-3, trainSamples: 3000, testSamples: 1000, reportEvery: 10, seed: 7 };

describe('training on MNIST (Dawn)', () => {
  it('an MLP learns, the same seed gives the same weights, and GPU memory is flat across epochs', async () => {
    const ctx = await gpu();
    const student = buildArch('mlp:784-32-10', [28, 28], 1);
    const epochBytes: number[] = [];
    const a = await trainModel(ctx, student, train, test, small, null, { onEpoch: () => epochBytes.push(ctx.inUseBytes) });
    expect(a.outcome).toBe('finished');
    expect(a.epochs).toHaveLength(2);
    expect(a.steps_done).toBe(2 * Math.ceil(3000 / 64));
    expect(a.epochs[1]!.testAccuracy).toBeGreaterThan(0.85);
    expect(a.steps.at(-1)!.loss).toBeLessThan(a.steps[0]!.loss * 0.5);
    expect(a.parameters).toBe(784 * 32 + 32 + 32 * 10 + 10);
    expect(epochBytes[1]).toBe(epochBytes[0]);
    expect(epochBytes[0]).toBeGreaterThan(a.gpuBytes.before); // the plan's buffers are held while training
    expect(a.epochs.map((e) => e.gpuBytes)).toEqual(epochBytes); // as the history and --json report it
    expect(a.gpuBytes.after).toBe(a.gpuBytes.before);
    const b = await trainModel(ctx, student, train, test, small);
    for (const name of Object.keys(student.graph.initializers)) {
      expect(b.model.graph.initializers[name]!.data, name).toEqual(a.model.graph.initializers[name]!.data);
    }
    expect(b.epochs.map((e) => e.testAccuracy)).toEqual(a.epochs.map((e) => e.testAccuracy));
    console.log(`mlp:784-32-10, 2 epochs on 3000: test ${a.epochs.map((e) => (100 * e.testAccuracy).toFixed(1)).join(' → ')} %, ` +
      `loss ${a.steps[0]!.loss.toFixed(3)} → ${a.steps.at(-1)!.loss.toFixed(3)}, ${a.epochs.map((e) => e.seconds.toFixed(1)).join(', ')} s per epoch`);
  }, 600_000);

  it('distils from the LeNet fixture: teacher agreement is reported and the student learns', async () => {
    const ctx = await gpu();
    const teacher = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
    const student = buildArch('mlp:784-32-10', [28, 28], 2);
    const r = await trainModel(ctx, student, train, test, { ...small, epochs: 1, loss: { temperature: 4, alpha: 0.9 } }, teacher);
    expect(r.outcome).toBe('finished');
    expect(r.epochs[0]!.agreement).toBeGreaterThan(0.7);
    expect(r.epochs[0]!.testAccuracy).toBeGreaterThan(0.8);
  }, 600_000);

  it('stops on a non-finite loss, says at which step, and keeps the last good weights', async () => {
    const ctx = await gpu();
    const student = buildArch('mlp:784-32-10', [28, 28], 3);
    const r = await trainModel(ctx, student, train, test, { ...small, optimizer: 'sgd', momentum: 0.9, lr: 1e6, epochs: 1 });
    expect(r.outcome).toBe('diverged');
    expect(r.message).toMatch(/NaN or infinite at step \d+ \(epoch 1\).*last good weights/);
    for (const t of Object.values(r.model.graph.initializers)) expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);
  }, 600_000);

  it('cancel mid-epoch keeps the weights trained so far', async () => {
    const ctx = await gpu();
    const student = buildArch('mlp:784-32-10', [28, 28], 4);
    const abort = new AbortController();
    const r = await trainModel(ctx, student, train, test, small, null, { signal: abort.signal, onStep: (s) => { if (s.step >= 10) abort.abort(); } });
    expect(r.outcome).toBe('cancelled');
    expect(r.steps_done).toBe(10);
    expect(r.message).toMatch(/cancelled at step 10/);
    expect(r.model.graph.initializers['fc1.weight']!.data).not.toEqual(student.graph.initializers['fc1.weight']!.data);
  }, 600_000);

  it('refuses before any GPU work: classes that do not fit, a teacher with other classes, an op without a gradient rule', async () => {
    const ctx = await gpu();
    const five = buildArch('mlp:784-16-5', [28, 28]);
    await expect(trainModel(ctx, five, train, test, small)).rejects.toThrow(/labels hold 10 classes.*student scores 5/);
    const teacher3 = buildArch('mlp:784-8-3', [28, 28]);
    await expect(trainModel(ctx, buildArch('mlp:784-16-10', [28, 28]), train, test, small, teacher3)).rejects.toThrow(/teacher scores 3 classes but the student 10/);
    const b = GraphBuilder.from(buildArch('mlp:784-16-10', [28, 28]));
    const g = b.build();
    const fc1 = g.graph.nodes.find((n) => n.name === 'fc1.relu')!;
    fc1.opType = 'Softsign'; // a real op the engine lacks: refused at plan time, before the first step
    await expect(trainModel(ctx, { ...g }, train, test, small)).rejects.toThrow(/Softsign/);
    const lrn = GraphBuilder.from(buildArch('cnn:4-10', [28, 28]));
    const m = lrn.build();
    const relu = m.graph.nodes.find((n) => n.opType === 'Relu')!;
    relu.opType = 'LRN';
    relu.attrs = { size: int(3) };
    await expect(trainModel(ctx, m, sliceDataset(train, 0), test, small)).rejects.toThrow(/cannot differentiate LRN.*no gradient rule/);
    await expect(trainModel(ctx, buildArch('mlp:784-16-10', [28, 28]), train, test, { ...small, lr: 0 })).rejects.toThrow(/learning rate must be > 0/);
  }, 600_000);
});
