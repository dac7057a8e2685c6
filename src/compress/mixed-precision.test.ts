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
import { mnistSet } from '../data/mnist-testing';
import { batchFor, type Preprocess } from '../data/dataset';
import { applyTo, measureOf, openRuntime } from '../worker/testing';
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

const testSet = mnistSet('t10k');

/** Correct answers of `model` on the first `n` test images, on a fresh device and session (not the runtime's). */
async function correctOn(model: Model, n: number): Promise<number> {
  const ctx = await createGpuContext(await nodeGpu());
  const session = new InferenceSession(ctx, model);
  try {
    return (await evaluateAccuracy(session, (a, k) => batchFor(testSet, a, k, pre, ['N', 784]), n, 100)).correct;
  } finally { session.destroy(); ctx.destroy(); }
}

const open = () => openRuntime(mlpBytes, 'mlp.onnx');
/** The mixed step as the page's table or the CLI's flags build it (the int8 part: 128 calibration items). */
const mixedStep = (precisions: Record<string, string>, int8: Record<string, unknown> = {}) => ({ kind: 'mixed', precisions, int8: { samples: 128, ...int8 } });

describe('mixed precision in the runtime (MLP, MNIST)', () => {
  it('builds a variant with exactly the chosen precisions, in the studio format when a layer is binary', async () => {
    const { rt, root } = await open();
    const v = await applyTo(rt, mixedStep({ [L0]: 'int8', [L1]: 'binary', [L2]: 'fp32' }), root.id, pre);
    expect(v.name).toBe('mlp-mixed-8bf');
    expect(v.details.precisions).toEqual({ [L0]: 'int8', [L1]: 'binary', [L2]: 'fp32' });
    expect(v.stats.studioFormat).toBe(true);
    const model = await rt.variants.model(v.id);
    const ops = model.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'XnorGemm')).toHaveLength(1);
    expect(ops.filter((o) => o === 'Gemm')).toHaveLength(2); // L0 behind DequantizeLinear, L2 float
    expect(model.graph.initializers['net.0.weight::int8']?.dtype).toBe('int8');
    expect(model.graph.initializers['net.4.weight']?.dtype).toBe('float32');
    expect(weightBytes(model)).toBeLessThan(weightBytes(mlp) / 4);
    const file = exportOnnx(model);
    expect(new TextDecoder().decode(file)).toContain(STUDIO_DOMAIN);
    expect(importOnnx(file)).toEqual(model);
    const r = await measureOf(rt, v.id, 500, pre);
    // The binary middle layer reads ReLU outputs (sign +1 everywhere), so every image gets the class the
    // CPU references give, whatever the int8 first layer computed; and the written file, read back into
    // a session of its own on another device, scores the same on the same samples.
    expect(r.correct).toBe(labelsOfClass(mlpBinaryClass(mlp, 'net.2'), 500));
    expect(await correctOn(importOnnx(file), 500)).toBe(r.correct);

    // int8 only (no binary layer): a standard QDQ model, not the studio format.
    const q = await applyTo(rt, mixedStep({ [L0]: 'int8', [L1]: 'int8', [L2]: 'fp32' }), root.id, pre);
    expect(q.stats.studioFormat).toBe(false);
    // Bad input loses nothing: every variant made before stays.
    const before = rt.records().length;
    await expect(applyTo(rt, mixedStep({ [L0]: 'int8' }, { samples: 0 }), root.id, pre)).rejects.toThrow(/at least one sample.*dynamic activations/);
    await expect(applyTo(rt, mixedStep({ [L0]: 'int8' }, { samples: 20_000 }), root.id, pre)).rejects.toThrow(/the dataset has 10000/);
    await expect(applyTo(rt, mixedStep({}), root.id, pre)).rejects.toThrow(/every layer is fp32/);
    expect(rt.records()).toHaveLength(before);
    // Binary alone needs no calibration samples at all.
    const b = await applyTo(rt, mixedStep({ [L1]: 'binary' }, { samples: 0 }), root.id, pre);
    expect((b.details.precisions as Record<string, string>)[L1]).toBe('binary');
    // Dynamic int8 activations need none either.
    const d = await applyTo(rt, mixedStep({ [L0]: 'int8', [L1]: 'binary', [L2]: 'int8' }, { activations: 'dynamic', samples: 0 }), root.id, pre);
    expect(d.step!.context.data).toEqual({});
    expect((await rt.variants.model(d.id)).graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear')).toHaveLength(2);
    expect(d.name).toBe('mlp-mixed-8b8');
    const dq = await applyTo(rt, { kind: 'int8', activations: 'dynamic', samples: 0 }, root.id, pre);
    expect(dq.name).toBe('mlp-int8-pc-sym-dynamic');
    expect((await measureOf(rt, dq.id, 500, pre)).top1).toBeGreaterThan(0.9);
  }, 300_000);

  it('measures sensitivity and picks within budget on one calibration; cancels; refuses bad budgets', async () => {
    const { rt, root } = await open();
    const samples = 500;
    const events: SearchProgress[] = [];
    const opts = { recipe, preprocess: pre, samples, binary: true, activationScale: false };
    const sens = await rt.views.sensitivity(root.id, opts, (p) => events.push(p));
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
    expect(await rt.views.sensitivity(root.id, opts, (p) => events.push(p))).toBe(sens);

    const auto = (budget: number) => ({ kind: 'mixed', auto: { budget, samples, binary: true }, int8: { samples: 128 } });
    const picked = await applyTo(rt, auto(0.5), root.id, pre);
    const a = picked.details.auto as { drop: number; accuracy: number; baseline: number };
    const precisions = picked.details.precisions as Record<string, string>;
    expect(a.drop).toBeLessThanOrEqual(0.005 + 1e-9);
    expect(a.baseline).toBe(sens.baseline);
    expect(Object.keys(precisions)).toEqual([L0, L1, L2]);
    expect(Object.values(precisions).every((p) => p === 'int8' || p === 'fp32')).toBe(true);
    // Evaluate on the same samples measures exactly what the search did.
    expect((await measureOf(rt, picked.id, samples, pre)).top1).toBe(a.accuracy);

    await expect(applyTo(rt, auto(-1), root.id, pre)).rejects.toThrow(/auto.budget must be ≥ 0 points \(got -1\)/);
    await expect(applyTo(rt, auto(Number.NaN), root.id, pre)).rejects.toThrow(/auto.budget must be a number/);
    await expect(rt.views.sensitivity(root.id, { ...opts, samples: 0 })).rejects.toThrow(/whole number from 1 to 10000/);
    await expect(rt.views.sensitivity(root.id, { ...opts, samples: 20_000 })).rejects.toThrow(/whole number from 1 to 10000/);

    // Cancel mid-way (new settings, so it has to calibrate and evaluate again).
    const abort = new AbortController();
    const run = rt.views.sensitivity(root.id, { ...opts, samples: 1000 }, (p) => { if (p.stage === 'int8') abort.abort(); }, abort.signal);
    await expect(run).rejects.toMatchObject({ kind: 'cancelled' });
    // Nothing is left busy: evaluation works.
    expect((await measureOf(rt, picked.id, 64, pre)).key.samples).toBe(64);
    console.log(`mlp on ${samples}: baseline ${(100 * sens.baseline).toFixed(2)} %, int8 drops ${sens.rows.map((s) => (100 * s.int8!.drop).toFixed(2)).join(' / ')} pts, ` +
      `binary drops ${sens.rows.map((s) => (100 * s.binary!.drop).toFixed(2)).join(' / ')} pts; auto (budget 0.5 pts) ${precisionTag(precisions as never)} drop ${(100 * a.drop).toFixed(2)} pts`);

    // A budget wide enough for binary: only int8 layers whose binary drop alone fits are tried, and the mix stays within it.
    const wideBudget = 0.6;
    const fits = sens.rows.filter((r) => r.binary!.drop <= wideBudget).map((r) => r.layer);
    expect(fits.length).toBeGreaterThan(0);
    const wide = await applyTo(rt, auto(100 * wideBudget), root.id, pre);
    const wideP = wide.details.precisions as Record<string, string>;
    const binaryLayers = Object.entries(wideP).filter(([, p]) => p === 'binary').map(([l]) => l);
    expect(binaryLayers.length).toBeGreaterThan(0);
    expect(binaryLayers.every((l) => fits.includes(l))).toBe(true);
    expect((wide.details.auto as { drop: number }).drop).toBeLessThanOrEqual(wideBudget + 1e-9);
    expect(wide.stats.studioFormat).toBe(true);
    console.log(`mlp auto (budget ${100 * wideBudget} pts): ${precisionTag(wideP as never)} drop ${(100 * (wide.details.auto as { drop: number }).drop).toFixed(2)} pts`);
  }, 600_000);
});
