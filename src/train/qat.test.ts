/**
 * Quantisation-aware training on the engine (Dawn WebGPU) with the LeNet MNIST fixture: the
 * training forward of a prepared model against the deployed model from finishQat (XNOR kernels;
 * int8 in the studio and in onnxruntime-node), then short distillations from the float teacher
 * measured on the deployed models.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { batchFor } from '../data/dataset';
import { MNIST_PREPROCESS, mnistSet } from '../data/mnist-testing';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy, type Batch } from '../engine/evaluate';
import { binarizeModel } from '../compress/binarize';
import { DEFAULT_INT8_RECIPE, planInt8 } from '../compress/quantize-plan';
import { activationParams, applyInt8 } from '../compress/quantize';
import { findParameters, ParamStore } from './params';
import { trainableGraph, TrainingPlan } from './training-plan';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig } from './trainer';
import { calibrateQat, finishQat, prepareQat, type QatMode } from './qat';

let shared: Promise<GpuContext> | null = null;
const gpu = () => (shared ??= nodeGpu().then((g) => createGpuContext(g)));

const teacher = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
const train = mnistSet('train'), test = mnistSet('t10k');
const trainAt = (s: number, n: number) => batchFor(train, s, n, MNIST_PREPROCESS, ['N', 1, 28, 28]);
const testAt = (s: number, n: number) => batchFor(test, s, n, MNIST_PREPROCESS, ['N', 1, 28, 28]);

/** The logits of the training forward (unfused, straight-through nodes) of `model` on one batch. */
async function trainingLogits(ctx: GpuContext, model: Model, batch: Batch): Promise<Float32Array> {
  const params = new ParamStore(ctx, model, findParameters(model), 2);
  const B = batch.shape[0]!;
  const plan = new TrainingPlan(ctx, trainableGraph(model, params), params, {
    batch: B, inputShape: batch.shape, loss: { temperature: 1, alpha: 0 }, withTeacher: false, optimizer: 'adamw',
  });
  try {
    ctx.device.queue.writeBuffer(plan.x.buffer, 0, batch.input as Float32Array<ArrayBuffer>);
    await ctx.checked('the training forward', () => ctx.submit(plan.forward));
    return await ctx.readF32(plan.logits.buffer, plan.logits.shape[0]! * plan.logits.shape[1]!);
  } finally {
    plan.destroy();
    params.destroy();
  }
}

async function studioLogits(ctx: GpuContext, model: Model, batch: Batch): Promise<Float32Array> {
  const session = new InferenceSession(ctx, model);
  try {
    return (await session.runBatch(batch.input, batch.shape)).output.data as Float32Array;
  } finally {
    session.destroy();
  }
}

async function ortLogits(model: Model, batch: Batch): Promise<Float32Array> {
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const s = await ort.InferenceSession.create(exportOnnx(model), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', batch.input, batch.shape) });
  return out[s.outputNames[0]].data as Float32Array;
}

async function accuracy(ctx: GpuContext, model: Model, n = 1000): Promise<number> {
  const session = new InferenceSession(ctx, model);
  try {
    return (await evaluateAccuracy(session, testAt, n, 250)).accuracy;
  } finally {
    session.destroy();
  }
}

/** Elements of `got` within 1e-4 relative (of the batch's largest |logit|) of `want`, and the largest difference. */
function agreement(got: Float32Array, want: Float32Array): { close: number; maxAbs: number; scale: number } {
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let close = 0, maxAbs = 0;
  got.forEach((v, i) => {
    const d = Math.abs(v - want[i]!);
    if (d <= 1e-4 * Math.max(Math.abs(want[i]!), scale)) close++;
    maxAbs = Math.max(maxAbs, d);
  });
  return { close: close / got.length, maxAbs, scale };
}

const prepared = async (ctx: GpuContext, mode: QatMode) => prepareQat(teacher, mode, { calibration: await calibrateQat(ctx, teacher, mode, trainAt, 256) });

describe('QAT: preparing and finishing', () => {
  it('refuses what it cannot train or deploy, with the reason', () => {
    expect(() => prepareQat(teacher, 'int8')).toThrow(/needs calibrated activation ranges/);
    expect(() => prepareQat(teacher, 'binary', { binary: { keepFirstLast: true, activationScale: true } })).toThrow(/without activation_scale/);
    expect(() => finishQat(teacher, 'binary')).toThrow(/no binary QAT nodes/);
    const binary = prepareQat(teacher, 'binary');
    expect(() => finishQat(binary, 'int8')).toThrow(/no int8 QAT nodes/);
    // Without calibration the shifts start at 0; the graph still reads every binarized layer through the STE nodes.
    const signs = binary.graph.nodes.filter((n) => n.opType === 'StudioSignSTE');
    expect(signs.map((n) => n.inputs[0])).toEqual([
      '/features/features.3/MaxPool_output_0::qat_shifted', 'onnx::Conv_39',
      '/classifier/classifier.0/Flatten_output_0::qat_shifted', 'classifier.1.weight',
      '/classifier/classifier.2/Relu_output_0::qat_shifted', 'classifier.3.weight',
    ]);
    expect(teacher.graph.nodes.some((n) => n.opType === 'StudioSignSTE')).toBe(false); // the input model is untouched
  });
});

describe('QAT: the training forward is the deployed model', () => {
  it('binary: XNOR layers deployed by finishQat give the training logits', async () => {
    const ctx = await gpu();
    const qat = await prepared(ctx, 'binary');
    expect(qat.graph.nodes.filter((n) => n.opType === 'StudioSignSTE')).toHaveLength(6); // 3 inputs, 3 weights
    const deployed = finishQat(qat, 'binary');
    expect(deployed.graph.nodes.map((n) => n.opType).filter((o) => o.startsWith('Xnor'))).toEqual(['XnorConv', 'XnorGemm', 'XnorGemm']);
    // Same sign bits and alphas as the post-training binarizer writes for these weights; the learnt shifts are plain Adds.
    const ptq = binarizeModel(teacher);
    for (const [name, t] of Object.entries(ptq.graph.initializers)) if (name.includes('::xnor_')) expect(deployed.graph.initializers[name]!.data, name).toEqual(t.data);
    expect(deployed.graph.nodes.filter((n) => n.opType === 'Add')).toHaveLength(3);
    const batch = testAt(0, 32);
    const want = await trainingLogits(ctx, qat, batch);
    const got = await studioLogits(ctx, deployed, batch);
    const a = agreement(got, want);
    console.log(`binary: ${(100 * a.close).toFixed(2)} % of logits within 1e-4, max |diff| ${a.maxAbs} (logits up to ${a.scale.toFixed(2)})`);
    expect(a.close).toBe(1);
    // The studio format survives export and import.
    const again = await studioLogits(ctx, importOnnx(exportOnnx(deployed)), batch);
    expect(Array.from(again)).toEqual(Array.from(got));
  }, 600_000);

  it('int8: the QDQ model from finishQat gives the training logits in the studio and in onnxruntime', async () => {
    const ctx = await gpu();
    const calibration = await calibrateQat(ctx, teacher, 'int8', trainAt, 256);
    const qat = prepareQat(teacher, 'int8', { calibration });
    const deployed = finishQat(qat, 'int8');
    // The quantizer's own QDQ model for these ranges: the same nodes and the same int8 weights.
    const plan = planInt8(teacher, DEFAULT_INT8_RECIPE);
    const ptq = applyInt8(teacher, plan, activationParams(teacher, plan, calibration.ranges!, DEFAULT_INT8_RECIPE), DEFAULT_INT8_RECIPE);
    expect(deployed.graph.nodes.map((n) => `${n.opType} ${n.name}`)).toEqual(ptq.graph.nodes.map((n) => `${n.opType} ${n.name}`));
    for (const [name, t] of Object.entries(ptq.graph.initializers)) if (t.dtype === 'int8') expect(deployed.graph.initializers[name]!.data, name).toEqual(t.data);
    const batch = testAt(0, 32);
    const want = await trainingLogits(ctx, qat, batch);
    const studio = agreement(await studioLogits(ctx, deployed, batch), want);
    const ort = agreement(await ortLogits(deployed, batch), want);
    console.log(`int8: studio ${(100 * studio.close).toFixed(2)} % within 1e-4 (max |diff| ${studio.maxAbs}), onnxruntime ${(100 * ort.close).toFixed(2)} % (max |diff| ${ort.maxAbs}), logits up to ${studio.scale.toFixed(2)}`);
    expect(studio.close).toBe(1);
    expect(ort.close).toBe(1);
  }, 600_000);
});

/** Top-1 accuracy of onnxruntime-node on the first n test images. */
async function ortAccuracy(model: Model, n = 1000): Promise<number> {
  const batch = testAt(0, n);
  const logits = await ortLogits(model, batch);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === batch.labels[i]) correct++;
  }
  return correct / n;
}

const distil: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG, epochs: 1, batch: 32, trainSamples: 100 * 32, testSamples: 1000, reportEvery: 25, seed: 3,
  loss: { temperature: 4, alpha: 0.9 },
};

describe('QAT: distillation from the float teacher, measured on the deployed models (1000 test images)', () => {
  it('binary: 100 steps lift the XNOR model from chance (post-training binarization) to over 80 %', async () => {
    const ctx = await gpu();
    const untrained = await accuracy(ctx, binarizeModel(teacher));
    const qat = await prepared(ctx, 'binary');
    const before = await accuracy(ctx, finishQat(qat, 'binary'));
    const r = await trainModel(ctx, qat, train, test, { ...distil, lr: 3e-3 }, teacher, { deploy: (m) => finishQat(m, 'binary') });
    expect(r.outcome).toBe('finished');
    const deployed = finishQat(r.model, 'binary');
    const after = await accuracy(ctx, deployed);
    console.log(`binary LeNet (keep first and last float): post-training binarization ${(100 * untrained).toFixed(1)} %, ` +
      `prepared ${(100 * before).toFixed(1)} %, after ${r.steps_done} distillation steps ${(100 * after).toFixed(1)} % on the XNOR kernels`);
    expect(r.epochs[0]!.testAccuracy).toBe(after); // the trainer measured the deployed model too
    expect(untrained).toBeLessThan(0.2);
    expect(after).toBeGreaterThanOrEqual(0.8);
    // Trained weights keep the training forward and the deployed model in step.
    const batch = testAt(100, 16);
    expect(agreement(await studioLogits(ctx, deployed, batch), await trainingLogits(ctx, r.model, batch)).close).toBe(1);
  }, 1_800_000);

  it('int8: a short QAT keeps the QDQ model within 1 point of the float teacher, in the studio and onnxruntime', async () => {
    const ctx = await gpu();
    const fp32 = await accuracy(ctx, teacher);
    const qat = await prepared(ctx, 'int8');
    const ptq = await accuracy(ctx, finishQat(qat, 'int8'));
    const r = await trainModel(ctx, qat, train, test, { ...distil, lr: 1e-4, trainSamples: 40 * 32 }, teacher, { deploy: (m) => finishQat(m, 'int8') });
    expect(r.outcome).toBe('finished');
    const deployed = finishQat(r.model, 'int8');
    const [studio, ort] = [await accuracy(ctx, deployed), await ortAccuracy(deployed)];
    console.log(`int8 LeNet: float ${(100 * fp32).toFixed(1)} %, post-training QDQ ${(100 * ptq).toFixed(1)} %, ` +
      `after ${r.steps_done} QAT steps ${(100 * studio).toFixed(1)} % (studio int8 kernels), ${(100 * ort).toFixed(1)} % (onnxruntime)`);
    expect(Math.abs(fp32 - studio)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(fp32 - ort)).toBeLessThanOrEqual(0.01);
    expect(r.model.graph.initializers['onnx::Conv_39']!.data).not.toEqual(teacher.graph.initializers['onnx::Conv_39']!.data);
    const batch = testAt(100, 16);
    const want = await trainingLogits(ctx, r.model, batch);
    expect(agreement(await studioLogits(ctx, deployed, batch), want).close).toBe(1);
    expect(agreement(await ortLogits(deployed, batch), want).close).toBe(1);
  }, 1_800_000);
});
