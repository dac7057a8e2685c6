/**
 * int8 post-training quantization of the default MNIST CNN, end to end on the engine (Dawn
 * WebGPU): calibrate, rewrite to QDQ, run on the integer kernels, and check the exported QDQ file
 * in onnxruntime-node. Full 10k test set.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MNIST_PREPROCESS, mnistSet, ortAccuracy as ortAccuracyOn } from '../data/mnist-testing';
import { applyTo, measureOf, openRuntime } from '../worker/testing';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { lowerQdq } from '../engine/lower-qdq';
import { quantizeWeights } from './quantize';
import { int8Params, Observer } from './ranges';
import { weightBytes } from './storage';

const test = mnistSet('t10k');
const pre = MNIST_PREPROCESS;
const ortAccuracy = (bytes: Uint8Array) => ortAccuracyOn(bytes, test);

describe('int8 quantization pieces', () => {
  it('per-channel symmetric weights use each channel\'s own max and stay in [-127, 127]', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 0.1, 0.2, -0.05]); // 2 channels × 3
    const q = quantizeWeights(w, [2, 3], 0, true, true);
    expect(Array.from(q.scale)).toEqual([Math.fround(1 / 127), Math.fround(0.2 / 127)]);
    expect(Array.from(q.q)).toEqual([64, -127, 32, 64, 127, -32]);
    expect(Array.from(q.zero)).toEqual([0, 0]);
  });

  it('activation ranges keep real zero exact and calibrations clip as documented', () => {
    const p = int8Params({ min: 0, max: 2.55 }, false);
    expect(p.zero).toBe(-128);
    expect(p.scale).toBeCloseTo(0.01, 12);
    const o = new Observer();
    const values = new Float32Array(10_000).map((_, i) => (i % 100) / 100);
    values[0] = 50; // one outlier
    o.add(values);
    expect(o.range('minmax').max).toBe(50);
    expect(o.range('percentile', 99.9).max).toBeLessThan(1);
    expect(o.range('mse').max).toBeLessThan(50);
  });
});

describe('int8 post-training quantization of the MNIST CNN (10k test set)', () => {
  it('loses at most 0.3 points, stores weights ≥ 3.8× smaller, and agrees with onnxruntime within 0.1 points', async () => {
    const bytes = new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx'));
    const fp32Model = importOnnx(bytes);
    const { rt, root } = await openRuntime(bytes, 'lenet', { train: true });
    const fp32 = await measureOf(rt, root.id, undefined, pre);

    // Calibrated on the first 256 items of the training set, as a step written { kind: 'int8', calibrationData: 'train' }.
    const v = await applyTo(rt, { kind: 'int8', calibrationData: 'train' }, root.id, pre);
    const q = { model: await rt.variants.model(v.id) };
    expect(v.details.quantized).toHaveLength(5);
    const lowered = lowerQdq(q.model).graph.nodes.map((n) => n.opType);
    expect(lowered.filter((o) => o === 'StudioInt8Conv')).toHaveLength(2);
    expect(lowered.filter((o) => o === 'StudioInt8Gemm')).toHaveLength(3);
    expect(lowered).not.toContain('Conv');

    const int8 = await measureOf(rt, v.id, undefined, pre);
    const viaOrt = await ortAccuracy(exportOnnx(q.model));
    const ratio = weightBytes(fp32Model) / weightBytes(q.model);
    console.log(`lenet int8: fp32 ${(100 * fp32.top1).toFixed(2)} %, int8 studio ${(100 * int8.top1).toFixed(2)} %, ` +
      `int8 onnxruntime ${(100 * viaOrt).toFixed(2)} %, weights ${ratio.toFixed(2)}× smaller, file ${(root.stats.sizeBytes / v.stats.sizeBytes).toFixed(2)}×`);
    expect(int8.key.samples).toBe(10_000);
    expect((fp32.top1 - int8.top1) * 100).toBeLessThanOrEqual(0.3);
    expect(Math.abs(int8.top1 - viaOrt) * 100).toBeLessThanOrEqual(0.1);
    expect(ratio).toBeGreaterThanOrEqual(3.8);
  }, 600_000);
});
