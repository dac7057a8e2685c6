/**
 * The new tensor ops inside whole graphs, against onnxruntime-node: the blocks torchvision exports
 * (MobileNetV3's Conv+HardSwish and squeeze-excite with HardSigmoid, both fused into the Conv;
 * ShuffleNetV2's Split/Slice + channel shuffle + ReduceMean head), and Pad/LRN/Expand/Tile/Gather/
 * Sum/Mean/Max/Min between runtime tensors. ONNX's own cases for each op run in conformance.browser.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { GraphBuilder, float, int, ints, str, tensor } from '../model/builder';
import { exportOnnx } from '../model/onnx-export';
import { importOnnx } from '../model/onnx-import';
import { randomFloats } from '../core/rng';
import { maxAbsDiff } from '../core/allclose';
import { testContext } from '../kernels/testing';
import { gatherRef } from '../kernels/gather.ref';
import { InferenceSession } from './session';
import type { Model } from '../model/ir';

const toB64 = (bytes: Uint8Array) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); };

function w(b: GraphBuilder, name: string, dims: number[], seed: number, scale = 0.5): string {
  return b.initializer(name, tensor('float32', dims, randomFloats(dims.reduce((a, d) => a * d, 1), seed, -scale, scale)));
}
const i64 = (b: GraphBuilder, name: string, v: number[]) => b.initializer(name, tensor('int64', [v.length], v));

/** MobileNetV3 block: Conv → HardSwish, depthwise Conv, SE (ReduceMean, Conv, Relu, Conv, HardSigmoid, Mul). */
function mobileBlock(): Model {
  const b = new GraphBuilder('mbv3', 14);
  const x = b.input('x', 'float32', ['N', 4, 8, 8]);
  let h = b.node('HardSwish', [b.node('Conv', [x, w(b, 'w0', [8, 4, 3, 3], 1), w(b, 'b0', [8], 2)], { pads: ints([1, 1, 1, 1]) })]);
  h = b.node('Conv', [h, w(b, 'dw', [8, 1, 3, 3], 3)], { group: int(8), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) });
  const s = b.node('ReduceMean', [h], { axes: ints([2, 3]), keepdims: int(1) });
  const e = b.node('Relu', [b.node('Conv', [s, w(b, 'se1', [4, 8, 1, 1], 4), w(b, 'sb1', [4], 5)])]);
  const g = b.node('HardSigmoid', [b.node('Conv', [e, w(b, 'se2', [8, 4, 1, 1], 6), w(b, 'sb2', [8], 7, 2)])], { alpha: float(1 / 6), beta: float(0.5) });
  b.output(b.node('Mul', [h, g]), 'float32', ['N', 8, 4, 4]);
  return b.build();
}

/** ShuffleNetV2 unit as torch 1.13 exports it: Slice halves, branch, Concat, channel shuffle, mean([2, 3]). */
function shuffleBlock(): Model {
  const b = new GraphBuilder('shuffle', 14);
  const x = b.input('x', 'float32', ['N', 8, 6, 6]);
  const [l, r] = b.nodeN('Split', [x, i64(b, 'split', [4, 4])], 2, { axis: int(1) });
  const r2 = b.node('Relu', [b.node('Conv', [r!, w(b, 'w1', [4, 4, 1, 1], 8), w(b, 'b1', [4], 9)])]);
  const cat = b.node('Concat', [l!, r2], { axis: int(1) });
  const view = b.node('Reshape', [cat, i64(b, 's1', [-1, 2, 4, 6, 6])]);
  const shuf = b.node('Reshape', [b.node('Transpose', [view], { perm: ints([0, 2, 1, 3, 4]) }), i64(b, 's2', [-1, 8, 6, 6])]);
  const half = b.node('Slice', [shuf, i64(b, 'st', [2]), i64(b, 'en', [6]), i64(b, 'ax', [1])]);
  b.output(b.node('ReduceMean', [half], { axes: ints([2, 3]), keepdims: int(0) }), 'float32', ['N', 4]);
  return b.build();
}

/** Pad (reflect, then constant with a crop), LRN, Expand, Tile, Sum/Mean/Max/Min and ReduceL2 on runtime values. */
function tensorMix(): Model {
  const b = new GraphBuilder('mix', 13);
  const x = b.input('x', 'float32', ['N', 3, 5, 5]);
  // [N,3,5,5] → reflect-padded [N,3,8,8] → cropped and constant-padded [N,3,7,7]
  const p = b.node('Pad', [x, i64(b, 'p1', [0, 0, 2, 1, 0, 0, 1, 2])], { mode: str('reflect') });
  const q = b.node('Pad', [p, i64(b, 'p2', [0, 0, -1, 1, 0, 0, 0, -2]), b.initializer('v', tensor('float32', [], [0.25]))]);
  const n = b.node('LRN', [q], { size: int(3), alpha: float(0.2), beta: float(0.75), bias: float(1.5) });
  const e = b.node('Expand', [w(b, 'col', [3, 1, 1], 10), i64(b, 'es', [1, 3, 7, 7])]);
  const t = b.node('Tile', [w(b, 'row', [1, 1, 1, 7], 11), i64(b, 'reps', [1, 3, 7, 1])]);
  const s = b.node('Sum', [n, e, t]);
  const m = b.node('Mean', [s, n]);
  const mx = b.node('Max', [m, w(b, 'lo', [7], 12)]);
  const mn = b.node('Min', [mx, n, e]);
  b.output(b.node('ReduceL2', [mn], { axes: ints([1]) }), 'float32', ['N', 1, 7, 7]);
  return b.build();
}

describe('tensor ops in graphs vs onnxruntime-node', () => {
  for (const [name, build, shape] of [
    ['MobileNetV3 block (HardSwish, HardSigmoid fused, ReduceMean)', mobileBlock, [2, 4, 8, 8]],
    ['ShuffleNetV2 unit (Split, Slice, channel shuffle, ReduceMean)', shuffleBlock, [2, 8, 6, 6]],
    ['Pad, LRN, Expand, Tile, Sum/Mean/Max/Min, ReduceL2', tensorMix, [2, 3, 5, 5]],
  ] as const) {
    it(name, async () => {
      const ctx = await testContext();
      const bytes = exportOnnx(build());
      const session = new InferenceSession(ctx, importOnnx(bytes, name));
      try {
        const input = randomFloats(shape.reduce((a, d) => a * d, 1), 21, -2, 2);
        const { output } = await ctx.checked(name, () => session.runBatch(input, [...shape]));
        const [ref] = await commands.ortRun(toB64(bytes), [{ name: 'x', dims: [...shape], data: Array.from(input) }]);
        expect(output.shape).toEqual(ref!.dims);
        expect(maxAbsDiff(output.data, ref!.data)).toBeLessThanOrEqual(1e-4);
      } finally {
        session.destroy();
      }
    });
  }

  it('Gather with indices computed at run time (an int32 input) and negative indices', async () => {
    const ctx = await testContext();
    const b = new GraphBuilder('gather', 13);
    const ix = b.input('ix', 'int32', [2, 2]);
    const table = randomFloats(15, 5);
    b.output(b.node('Gather', [b.initializer('table', tensor('float32', [5, 3], table)), ix], { axis: int(0) }), 'float32', [2, 2, 3]);
    const session = new InferenceSession(ctx, b.build());
    try {
      const indices = [4, -1, 0, -5];
      const [got] = await ctx.checked('gather', () => session.run({ ix: { data: Float32Array.from(indices), shape: [2, 2] } }));
      expect(got!.shape).toEqual([2, 2, 3]);
      expect(got!.data).toEqual(gatherRef(table, [5, 3], indices, 0));
    } finally {
      session.destroy();
    }
  });

  it('refuses a constant Gather index outside the axis, naming the node', async () => {
    const ctx = await testContext();
    const b = new GraphBuilder('gather', 13);
    const x = b.input('x', 'float32', [4, 3]);
    b.output(b.node('Gather', [x, b.initializer('i', tensor('int64', [2], [1, 4]))], { axis: int(0) }, { name: 'pick' }), 'float32', [2, 3]);
    const session = new InferenceSession(ctx, b.build());
    try {
      await expect(session.runBatch(new Float32Array(12), [4, 3])).rejects.toThrow("node 'pick' (Gather): index 4 is out of range for axis 0 of [4,3]");
    } finally {
      session.destroy();
    }
  });
});
