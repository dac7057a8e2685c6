/**
 * Fixed batches as exporters write them, through the runtime the page and the CLI share (Dawn):
 * a batch of 1 baked into a Reshape is re-batched (and checked on a probe batch); a graph where a
 * constant ties the batch runs one image at a time; every job works on both, and exports keep the
 * file's own input signature unless a dynamic batch is asked for.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nodeGpu } from '../cli/dawn';
import { StudioRuntime } from './runtime';
import { measureOf, evalStep } from './testing';
import type { Batching } from '../model/rebatch';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { GraphBuilder, int, tensor } from '../model/builder';
import { randomFloats } from '../core/rng';
import { bakedReshape as bakedFrom, tiedBatch as tiedFrom } from '../model/fixed-batch-testing';
import type { Model } from '../model/ir';
import { MNIST_PREPROCESS, readMnistFile } from '../data/mnist-testing';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const lenet = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
const images = readMnistFile('t10k-images-idx3-ubyte'), labels = readMnistFile('t10k-labels-idx1-ubyte');
const bakedReshape = () => bakedFrom(lenet);
const tiedBatch = () => tiedFrom(lenet);
/** With latency: batch 1 and 64 (or the model's own batch) are part of what is checked. */
const measure = (rt: StudioRuntime, id: string, samples: number) => rt.evaluation.evaluate(id, evalStep(samples, { batch: 64, runs: 2, latency: true }), MNIST_PREPROCESS);

async function runtimeWith(model: Model, name: string) {
  const runtime = new StudioRuntime(await nodeGpu());
  const root = await runtime.loadModel(exportOnnx(model), name);
  await runtime.datasets.loadIdx('test', images, labels, 'mnist');
  return { runtime, root, batching: root.details.batching as Batching };
}

async function ortRows(bytes: Uint8Array, batch: number) {
  const s = await ort.InferenceSession.create(bytes);
  const x = new Float32Array(batch * 784).map((_, i) => Math.sin(i));
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x, [batch, 1, 28, 28]) });
  return out[s.outputNames[0]!]!;
}

let reference: number;
beforeAll(async () => {
  const { runtime, root } = await runtimeWith(lenet, 'lenet.onnx');
  reference = (await measureOf(runtime, root.id, 300)).correct;
}, 300_000);

describe('a batch of 1 baked into Reshape(x, [1, 400])', () => {
  it('is re-batched, says so, evaluates like the dynamic file and measures batch 1 and 64', async () => {
    const { runtime, root, batching } = await runtimeWith(bakedReshape(), 'baked.onnx');
    expect(batching.mode).toBe('rebatched');
    expect(batching.note).toContain("Reshape 'flatten_baked' [1,400] → [-1,400]");
    const r = await measure(runtime, root.id, 300);
    expect(r.correct).toBe(reference);
    expect(r.latency.map((l) => l.batch)).toEqual([1, 64]);
    expect(r.latencySkipped).toEqual([]);
    // GPU memory per batch: the same weights (LeNet's ~61k floats, uploaded once), more activations at batch 64.
    const [m1, m64] = r.latency.map((l) => l.deviceBytes!);
    expect(m1!.weights).toBeGreaterThan(4 * 60_000);
    expect(m64!.weights).toBe(m1!.weights);
    expect(m64!.activations).toBeGreaterThan(32 * m1!.activations);

    // The loaded file downloads as itself; a dynamic batch on request.
    const own = await runtime.exportVariant(root.id);
    expect(Buffer.from(own).equals(Buffer.from(exportOnnx(bakedReshape())))).toBe(true);
    expect((await ortRows(own, 1)).dims).toEqual([1, 10]);
    const dynamic = await runtime.exportVariant(root.id, { dynamicBatch: true });
    expect(importOnnx(dynamic).graph.inputs[0]!.shape[0]).toBe('batch');
    expect((await ortRows(dynamic, 3)).dims).toEqual([3, 10]);
  }, 600_000);

  it('quantizes to int8 (calibration in batches) and exports with the file signature', async () => {
    const { runtime, root } = await runtimeWith(bakedReshape(), 'baked.onnx');
    const { record: q } = await runtime.runStep({ kind: 'int8', samples: 100 }, root.id, { preprocess: MNIST_PREPROCESS });
    expect((q.details.quantized as string[]).length).toBeGreaterThan(0);
    const r = await measureOf(runtime, q.id, 300);
    expect(Math.abs(r.correct - reference)).toBeLessThanOrEqual(3);
    const bytes = await runtime.exportVariant(q.id);
    expect(importOnnx(bytes).graph.inputs[0]!.shape).toEqual([1, 1, 28, 28]);
    expect((await ortRows(bytes, 1)).dims).toEqual([1, 10]);
  }, 600_000);
});

describe('an input without a batch dim', () => {
  /** x [28,28] (or [N,28,28]) → Reshape to [1,784] (or [-1,784]) → Gemm → [1,10]: one image per run. */
  function flatModel(batched: boolean): Model {
    const b = new GraphBuilder('flat', 13);
    const x = b.input('x', 'float32', batched ? ['N', 28, 28] : [28, 28]);
    const flat = b.node('Reshape', [x, b.initializer('s', tensor('int64', [2], [batched ? -1 : 1, 784]))]);
    const w = b.initializer('w', tensor('float32', [10, 784], randomFloats(7840, 3, -0.05, 0.05)));
    b.output(b.node('Gemm', [flat, w], { transB: int(1) }), 'float32', [batched ? 'N' : 1, 10]);
    return b.build();
  }

  it('takes one whole item per run and scores it like the batched graph', async () => {
    const whole = await runtimeWith(flatModel(false), 'flat.onnx');
    expect(whole.batching.mode).toBe('fixed');
    expect(whole.batching.note).toMatch(/^runs its input \[28,28\] as declared/);
    const one = await measure(whole.runtime, whole.root.id, 40);
    const n = await runtimeWith(flatModel(true), 'flat-n.onnx');
    const batched = await measure(n.runtime, n.root.id, 40);
    expect(one.key.samples).toBe(40);
    expect(one.correct).toBe(batched.correct);
    expect(one.latency.map((l) => l.batch)).toEqual([1]);
    expect(one.latencySkipped[0]?.reason).toMatch(/no batch dim/);
  }, 600_000);
});

describe('a batch tied by a constant', () => {
  it('runs one image at a time, names the node, and reports batch-64 latency as not applicable', async () => {
    const { runtime, root, batching } = await runtimeWith(tiedBatch(), 'tied.onnx');
    expect(batching.mode).toBe('fixed');
    expect(batching.note).toMatch(/^runs 1 image at a time: .*tie_batch/);
    const r = await measure(runtime, root.id, 100);
    expect(r.key.samples).toBe(100);
    expect(r.latency.map((l) => l.batch)).toEqual([1]);
    expect(r.latencySkipped).toEqual([{ batch: 64, reason: batching.note }]);
    await expect(runtime.exportVariant(root.id, { dynamicBatch: true })).rejects.toThrow(/cannot take a dynamic batch/);
  }, 600_000);

  it('calibrates and binarizes at its own batch', async () => {
    const { runtime, root } = await runtimeWith(tiedBatch(), 'tied.onnx');
    const { record: q } = await runtime.runStep({ kind: 'int8', samples: 20 }, root.id, { preprocess: MNIST_PREPROCESS });
    expect((await runtime.variants.model(q.id)).graph.inputs[0]!.shape).toEqual([1, 1, 28, 28]);
    const { record: b } = await runtime.runStep({ kind: 'binary' }, root.id, { preprocess: MNIST_PREPROCESS });
    expect((b.details.binarized as string[]).length).toBeGreaterThan(0);
    expect((await measureOf(runtime, b.id, 50)).key.samples).toBe(50);
  }, 600_000);
});

describe('a softmax across the batch (shapes follow the batch, values mix items)', () => {
  it('is not shown per item by its ops, so the numeric probe runs, sees the rows change, and the model runs at its own batch', async () => {
    const m = bakedReshape();
    const last = m.graph.nodes.at(-1)!;
    last.outputs = ['logits_raw'];
    m.graph.nodes.push({ name: 'softmax_over_batch', opType: 'Softmax', domain: '', inputs: ['logits_raw'], outputs: [m.graph.outputs[0]!.name], attrs: { axis: { type: 'int', value: 0 } } });
    const { batching } = await runtimeWith(m, 'mixing.onnx');
    expect(batching.mode).toBe('fixed');
    expect(batching.note).toMatch(/^runs 1 image at a time: /);
  }, 600_000);
});
