/**
 * Binary (XNOR-Net) post-training binarization on the engine (Dawn WebGPU): the XnorConv/XnorGemm
 * wiring against the kernels' CPU references bit for bit, then LeNet on MNIST: its accuracy checked
 * against the class the CPU references predict (docs/binary-format.md: a binarized layer reading
 * post-ReLU activations sees sign +1 everywhere, so every image gets one class), true sizes, and the
 * file's round trip.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../cli/dawn';
import { createGpuContext } from '../gpu/adapter';
import { addModel, applyTo, measureOf, openRuntime } from '../worker/testing';
import { InferenceSession } from '../engine/session';
import { GraphBuilder, int, ints, tensor } from '../model/builder';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { randomFloats } from '../core/rng';
import { xnorConv2dRef, xnorMatmulRef } from '../kernels/binary-net.ref';
import type { Preprocess } from '../data/dataset';
import { binarizeModel } from './binarize';
import { weightBytes } from './storage';
import { labelsOfClass, lenetBinaryClass } from './testing';

const pre: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };
const gpu = nodeGpu();

describe('XnorConv/XnorGemm on the engine match the XNOR references bit for bit', () => {
  // x (2, 4, 9, 9) → Conv (6 out, group 2, 3×3, strides [2,1], pads [1,0,2,1], dilations [1,2]) → Relu
  // → Flatten (180) → Gemm with transB=0 and a [1, 5] bias: geometry, layout and epilogue all matter.
  const wConv = randomFloats(6 * 2 * 3 * 3, 1), bConv = randomFloats(6, 2);
  const wGemm = randomFloats(180 * 5, 3), bGemm = randomFloats(5, 4);
  const x = randomFloats(2 * 4 * 9 * 9, 5).map((v, i) => (i % 7 === 0 ? 0 : v)); // sign(0) = +1 must hold too
  const geo = { strides: [2, 1] as [number, number], pads: [1, 0, 2, 1] as [number, number, number, number], dilations: [1, 2] as [number, number], group: 2 };

  function model() {
    const b = new GraphBuilder('xnor', 13);
    const xin = b.input('x', 'float32', ['N', 4, 9, 9]);
    const c = b.node('Conv', [xin, b.initializer('wc', tensor('float32', [6, 2, 3, 3], wConv)), b.initializer('bc', tensor('float32', [6], bConv))],
      { kernel_shape: ints([3, 3]), strides: ints(geo.strides), pads: ints(geo.pads), dilations: ints(geo.dilations), group: int(geo.group) }, { name: 'conv' });
    const f = b.node('Flatten', [b.node('Relu', [c])], { axis: int(1) });
    b.output(b.node('Gemm', [f, b.initializer('wg', tensor('float32', [180, 5], wGemm)), b.initializer('bg', tensor('float32', [1, 5], bGemm))], {}, { name: 'gemm' }), 'float32', ['N', 5]);
    return b.build();
  }

  for (const activationScale of [false, true]) {
    it(`activation_scale ${activationScale ? 1 : 0}`, async () => {
      const ctx = await createGpuContext(await gpu);
      const m = binarizeModel(model(), { keepFirstLast: false, activationScale });
      expect(m.graph.nodes.map((n) => n.opType)).toEqual(['XnorConv', 'Flatten', 'XnorGemm']);
      const session = new InferenceSession(ctx, m);
      const [y] = await session.run({ x: { data: x, shape: [2, 4, 9, 9] } });
      const opts = { activationScale, act: { kind: 'relu' as const } };
      const y1 = xnorConv2dRef(x, [2, 4, 9, 9], wConv, [6, 2, 3, 3], bConv, geo, opts, [2, 6, 5, 6]);
      const wT = Float32Array.from({ length: 5 * 180 }, (_, i) => wGemm[(i % 180) * 5 + Math.floor(i / 180)]!);
      const want = xnorMatmulRef(y1, 2, 180, wT, 5, bGemm, { activationScale, act: { kind: 'none' } });
      expect(y!.shape).toEqual([2, 5]);
      expect(Array.from(y!.data)).toEqual(Array.from(want));
      session.destroy();
      ctx.destroy();
    });
  }
});

describe('binary post-training binarization of the MNIST CNN', () => {
  it('reports accuracy as measured, stores binarized layers ≥ 20× smaller, and round-trips its file exactly', async () => {
    const bytes = new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx'));
    const { rt, root } = await openRuntime(bytes, 'lenet.onnx');
    const fp32Model = importOnnx(bytes);
    const fp32 = await measureOf(rt, root.id, 1000, pre);

    const v = await applyTo(rt, { kind: 'binary' }, root.id, pre);
    expect(v.details.binarized).toEqual(['/features/features.4/Conv', '/classifier/classifier.1/Gemm', '/classifier/classifier.3/Gemm']);
    const model = await rt.variants.model(v.id);
    const bin = await measureOf(rt, v.id, undefined, pre); // the full 10k test set, once
    expect(bin.key.samples).toBe(10_000);
    // Every image gets the class the CPU references predict, so exactly the images of that class are right.
    const kfl = lenetBinaryClass(fp32Model, false);
    expect(bin.correct).toBe(labelsOfClass(kfl, 10_000));
    expect(bin.top1).toBe(bin.correct / 10_000);
    const binHead = await measureOf(rt, v.id, 1000, pre);

    const names = new Set(v.details.binarized as string[]);
    const layerRatio = weightBytes(fp32Model, names) / weightBytes(model, names);
    expect(layerRatio).toBeGreaterThanOrEqual(20);

    // The file is the format: re-imported it is the same model and scores the same.
    const file = exportOnnx(model);
    const back = importOnnx(file);
    expect(back).toEqual(model);
    const again = await measureOf(rt, (await addModel(rt, back, 'lenet-binary-roundtrip.onnx')).id, 1000, pre);
    expect(again.correct).toBe(binHead.correct);

    const all = await applyTo(rt, { kind: 'binary', keepFirstLast: false }, root.id, pre);
    expect(all.details.binarized).toHaveLength(5);
    const allEval = await measureOf(rt, all.id, 1000, pre);
    const all1 = lenetBinaryClass(fp32Model, true);
    expect(allEval.correct).toBe(labelsOfClass(all1, 1000));

    console.log(`lenet binary (no training): fp32 ${(100 * fp32.top1).toFixed(2)} % (1k), keep-first-last ${(100 * bin.top1).toFixed(2)} % (10k, all class ${kfl}), ` +
      `binarize-all ${(100 * allEval.top1).toFixed(2)} % (1k, all class ${all1}); binarized layers' weights ${layerRatio.toFixed(1)}× smaller, ` +
      `all weights ${(weightBytes(fp32Model) / weightBytes(model)).toFixed(1)}×, file ${(bytes.length / file.length).toFixed(1)}× (${bytes.length} → ${file.length} bytes)`);
  }, 600_000);
});
