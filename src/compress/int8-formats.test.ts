/**
 * Quantized models from outside the studio's own QDQ writer, on the default MNIST CNN (10k test
 * set, Dawn WebGPU), each checked against onnxruntime-node on the same file:
 *  - QOperator form: the QDQ model's convolutions rewritten to QLinearConv, as onnxruntime's
 *    QOperator export writes them (the Gemms stay QDQ: QLinearMatMul has no bias);
 *  - dynamic quantization: DynamicQuantizeLinear before each layer, no calibration.
 */
import { describe, expect, it } from 'vitest';
import { MNIST_PREPROCESS, mnistSet, ortAccuracy as ortAccuracyOn } from '../data/mnist-testing';
import { addModel, applyTo, measureOf, openRuntime } from '../worker/testing';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import type { Model, Node } from '../model/ir';
import { lowerQdq } from '../engine/lower-qdq';

const test = mnistSet('t10k');
const pre = MNIST_PREPROCESS;
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
    const { rt, root } = await openRuntime('fixtures/lenet-mnist.onnx', 'lenet', { train: true });
    const v = await applyTo(rt, { kind: 'int8', calibrationData: 'train' }, root.id, pre);
    const qdqBytes = exportOnnx(await rt.variants.model(v.id));
    const qopBytes = exportOnnx(convsToQLinear(importOnnx(qdqBytes)));
    const qop = importOnnx(qopBytes);
    expect(qop.graph.nodes.filter((n) => n.opType === 'QLinearConv')).toHaveLength(2);
    expect(lowerQdq(qop).graph.nodes.filter((n) => n.opType === 'StudioInt8Conv')).toHaveLength(2);

    const qdq = await measureOf(rt, v.id, undefined, pre);
    const studio = await measureOf(rt, (await addModel(rt, qop, 'lenet-qoperator.onnx')).id, undefined, pre);
    const viaOrt = await ortAccuracy(qopBytes);
    console.log(`lenet QOperator (QLinearConv): studio ${(100 * studio.top1).toFixed(2)} %, onnxruntime ${(100 * viaOrt).toFixed(2)} %, same model in QDQ form ${(100 * qdq.top1).toFixed(2)} %`);
    expect(studio.key.samples).toBe(10_000);
    expect(Math.abs(studio.top1 - viaOrt) * 100).toBeLessThanOrEqual(0.1);
    expect(Math.abs(studio.top1 - qdq.top1) * 100).toBeLessThanOrEqual(0.05);
  }, 600_000);

  it('dynamic quantization needs no calibration, runs on the int8 kernels and agrees with onnxruntime', async () => {
    const { rt, root } = await openRuntime('fixtures/lenet-mnist.onnx', 'lenet');
    const fp32 = await measureOf(rt, root.id, undefined, pre);
    const v = await applyTo(rt, { kind: 'int8', activations: 'dynamic' }, root.id, pre);
    expect(v.step!.context.data).toEqual({}); // nothing was read to calibrate
    const model = await rt.variants.model(v.id);
    const ops = model.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(5);
    const lowered = lowerQdq(model).graph.nodes.map((n) => n.opType);
    expect(lowered.filter((o) => o.startsWith('StudioInt8'))).toHaveLength(5);
    expect(lowered).not.toContain('DynamicQuantizeLinear');

    const studio = await measureOf(rt, v.id, undefined, pre);
    const viaOrt = await ortAccuracy(exportOnnx(model));
    console.log(`lenet int8 dynamic: fp32 ${(100 * fp32.top1).toFixed(2)} %, studio ${(100 * studio.top1).toFixed(2)} %, onnxruntime ${(100 * viaOrt).toFixed(2)} %`);
    expect((fp32.top1 - studio.top1) * 100).toBeLessThanOrEqual(0.3);
    expect(Math.abs(studio.top1 - viaOrt) * 100).toBeLessThanOrEqual(0.1);
  }, 600_000);
});
