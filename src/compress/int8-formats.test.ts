/**
 * Quantized models from outside the studio's own QDQ writer, on the default MNIST CNN (10k test
 * set, Dawn WebGPU), each checked against onnxruntime-node on the same file:
 *  - QOperator form: the QDQ model's convolutions rewritten to QLinearConv, as onnxruntime's
 *    QOperator export writes them (the Gemms stay QDQ: QLinearMatMul has no bias);
 *  - dynamic quantization: DynamicQuantizeLinear before each layer, no calibration.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { MNIST_PREPROCESS, mnistSet, ortAccuracy as ortAccuracyOn, readMnistFile } from '../data/mnist-testing';
import { StudioRuntime } from '../worker/runtime';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import type { Model, Node } from '../model/ir';
import { lowerQdq } from '../engine/lower-qdq';
import { DEFAULT_INT8_RECIPE } from './quantize-plan';

const test = mnistSet('t10k');
const train = mnistSet('train');
const pre = MNIST_PREPROCESS;
const opts = { preprocess: pre, batchSize: 250, latencyRuns: 1 };
const ortAccuracy = (bytes: Uint8Array) => ortAccuracyOn(bytes, test);

/** DQ(x) → Conv(DQ(w), DQ(b)) → [Relu] → Q  becomes  QLinearConv; Relu is the output grid's floor (its zero point is -128). */
function convsToQLinear(model: Model): Model {
  const g = structuredClone(model.graph);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const consumersOf = (v: string) => g.nodes.filter((n) => n.inputs.includes(v));
  const gone = new Set<Node>();
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (n.opType !== 'Conv') { nodes.push(n); continue; }
    const [x, w, b] = n.inputs.map((v) => producer.get(v)!);
    let last = n;
    const next = consumersOf(n.outputs[0]!)[0]!;
    if (next.opType === 'Relu') { last = next; gone.add(next); }
    const q = consumersOf(last.outputs[0]!)[0]!;
    expect([x!.opType, w!.opType, b!.opType, q.opType]).toEqual(['DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear', 'QuantizeLinear']);
    gone.add(q);
    nodes.push({
      name: n.name, opType: 'QLinearConv', domain: '', attrs: n.attrs, outputs: [q.outputs[0]!],
      inputs: [...x!.inputs, ...w!.inputs, q.inputs[1]!, q.inputs[2]!, b!.inputs[0]!],
    });
  }
  g.nodes = nodes.filter((n) => !gone.has(n));
  // Drop what nothing reads any more (the convolutions' DequantizeLinear nodes).
  for (let changed = true; changed;) {
    const used = new Set([...g.outputs.map((o) => o.name), ...g.nodes.flatMap((n) => n.inputs)]);
    const kept = g.nodes.filter((n) => n.outputs.some((o) => used.has(o)));
    changed = kept.length !== g.nodes.length;
    g.nodes = kept;
  }
  return { ...model, graph: g };
}

describe('quantized ONNX from other writers, on the MNIST CNN (10k test set)', () => {
  it('QLinearConv (QOperator form) runs on the int8 kernels and agrees with onnxruntime and with the QDQ form', async () => {
    const runtime = new StudioRuntime(await nodeGpu());
    await runtime.loadModel(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')), 'lenet');
    await runtime.loadDataset(readMnistFile('t10k-images-idx3-ubyte'), readMnistFile('t10k-labels-idx1-ubyte'), 'test');
    const q = await runtime.quantizeInt8(DEFAULT_INT8_RECIPE, pre, train);
    const qdqBytes = exportOnnx(q.model);
    const qopBytes = exportOnnx(convsToQLinear(importOnnx(qdqBytes)));
    const qop = importOnnx(qopBytes);
    expect(qop.graph.nodes.filter((n) => n.opType === 'QLinearConv')).toHaveLength(2);
    expect(lowerQdq(qop).graph.nodes.filter((n) => n.opType === 'StudioInt8Conv')).toHaveLength(2);

    await runtime.useModel(q.model, 'lenet-qdq');
    const qdq = await runtime.evaluate(opts);
    await runtime.useModel(qop, 'lenet-qoperator');
    const studio = await runtime.evaluate(opts);
    const viaOrt = await ortAccuracy(qopBytes);
    console.log(`lenet QOperator (QLinearConv): studio ${(100 * studio.accuracy).toFixed(2)} %, onnxruntime ${(100 * viaOrt).toFixed(2)} %, same model in QDQ form ${(100 * qdq.accuracy).toFixed(2)} %`);
    expect(studio.samples).toBe(10_000);
    expect(Math.abs(studio.accuracy - viaOrt) * 100).toBeLessThanOrEqual(0.1);
    expect(Math.abs(studio.accuracy - qdq.accuracy) * 100).toBeLessThanOrEqual(0.05);
  }, 600_000);

  it('dynamic quantization needs no calibration, runs on the int8 kernels and agrees with onnxruntime', async () => {
    const runtime = new StudioRuntime(await nodeGpu());
    await runtime.loadModel(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')), 'lenet');
    await runtime.loadDataset(readMnistFile('t10k-images-idx3-ubyte'), readMnistFile('t10k-labels-idx1-ubyte'), 'test');
    const fp32 = await runtime.evaluate(opts);
    const q = await runtime.quantizeInt8({ ...DEFAULT_INT8_RECIPE, activations: 'dynamic' }, pre);
    expect(q.ranges).toEqual({}); // nothing was calibrated
    const ops = q.model.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(5);
    const lowered = lowerQdq(q.model).graph.nodes.map((n) => n.opType);
    expect(lowered.filter((o) => o.startsWith('StudioInt8'))).toHaveLength(5);
    expect(lowered).not.toContain('DynamicQuantizeLinear');

    await runtime.useModel(q.model, 'lenet-int8-dynamic');
    const studio = await runtime.evaluate(opts);
    const viaOrt = await ortAccuracy(exportOnnx(q.model));
    console.log(`lenet int8 dynamic: fp32 ${(100 * fp32.accuracy).toFixed(2)} %, studio ${(100 * studio.accuracy).toFixed(2)} %, onnxruntime ${(100 * viaOrt).toFixed(2)} %`);
    expect((fp32.accuracy - studio.accuracy) * 100).toBeLessThanOrEqual(0.3);
    expect(Math.abs(studio.accuracy - viaOrt) * 100).toBeLessThanOrEqual(0.1);
  }, 600_000);
});
