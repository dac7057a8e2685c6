import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx } from './onnx-import';
import { runOrt, silenceDropped } from './channels.test-util';
import { analyseChannels, channelGroups, shrinkChannels, takeChannels } from './channels';
import { GraphBuilder, int, ints, tensor } from './builder';
import type { Model } from './ir';
import { randomFloats } from '../core/rng';
import { buildArch } from '../train/architectures';
import { parseWidth, widthStudent } from '../train/students';

const fixture = (name: string) => importOnnx(new Uint8Array(readFileSync(`fixtures/${name}.onnx`)));

/** Odd channels of every group that may change. */
function dropOdd(model: Model): Map<number, number[]> {
  return new Map(channelGroups(model).filter((g) => !g.pinned.length && g.size > 1)
    .map((g) => [g.id, Array.from({ length: g.size }, (_, i) => i).filter((i) => i % 2 === 0)]));
}

/** x → a (Conv 8) → grouped (Conv 8, 2 groups) → Concat(grouped, a) → z (Conv 3). */
function groupedConcat(): Model {
  const b = new GraphBuilder('g', 13);
  const x = b.input('x', 'float32', ['N', 4, 5, 5]);
  const a = b.node('Conv', [x, b.initializer('wa', tensor('float32', [8, 4, 1, 1], randomFloats(32, 11)))], {}, { name: 'a' });
  const g = b.node('Conv', [a, b.initializer('wg', tensor('float32', [8, 4, 3, 3], randomFloats(288, 12))), b.initializer('bg', tensor('float32', [8], randomFloats(8, 13)))],
    { group: int(2), pads: ints([1, 1, 1, 1]) }, { name: 'grouped' });
  const c = b.node('Concat', [b.node('Relu', [g]), a], { axis: int(1) }, { name: 'cat' });
  b.output(b.node('Conv', [c, b.initializer('wz', tensor('float32', [3, 16, 1, 1], randomFloats(48, 14)))], {}, { name: 'z' }), 'float32', ['N', 3, 5, 5]);
  return b.build();
}

/** x → a (Conv 8) → Split [3, 5] → (b: Conv 5 on the 3) ‖ the 5 → Concat → channel shuffle (g = 2) → z (Conv 3). */
function splitShuffle(): Model {
  const b = new GraphBuilder('s', 13);
  const x = b.input('x', 'float32', ['N', 4, 6, 6]);
  const a = b.node('Relu', [b.node('Conv', [x, b.initializer('wa', tensor('float32', [8, 4, 1, 1], randomFloats(32, 21)))], {}, { name: 'a' })]);
  const [p, q] = b.nodeN('Split', [a, b.initializer('sizes', tensor('int64', [2], [3, 5]))], 2, { axis: int(1) }, { name: 'split' }) as [string, string];
  const bb = b.node('Conv', [p, b.initializer('wb', tensor('float32', [5, 3, 3, 3], randomFloats(135, 22)))], { pads: ints([1, 1, 1, 1]) }, { name: 'b' });
  const c = b.node('Concat', [bb, q], { axis: int(1) }, { name: 'cat' });
  const r1 = b.node('Reshape', [c, b.initializer('s1', tensor('int64', [5], [0, 2, 5, 6, 6]))], {}, { name: 'r1' });
  const t = b.node('Transpose', [r1], { perm: ints([0, 2, 1, 3, 4]) }, { name: 'shuffle' });
  const r2 = b.node('Reshape', [t, b.initializer('s2', tensor('int64', [4], [0, -1, 6, 6]))], {}, { name: 'r2' });
  b.output(b.node('Conv', [r2, b.initializer('wz', tensor('float32', [3, 10, 1, 1], randomFloats(30, 23)))], {}, { name: 'z' }), 'float32', ['N', 3, 6, 6]);
  return b.build();
}

const params = (m: Model) => Object.values(m.graph.initializers).reduce((a, t) => a + (t.dtype === 'float32' ? t.data.length : 0), 0);

describe('channel groups', () => {
  it('follow LeNet: each Conv and hidden Gemm makes a group, the output layer is pinned', () => {
    const groups = channelGroups(fixture('lenet-mnist'));
    expect(groups.map((g) => [g.producers, g.size, g.pinned.length > 0])).toEqual([
      [['/features/features.0/Conv'], 6, false], [['/features/features.4/Conv'], 16, false],
      [['/classifier/classifier.1/Gemm'], 120, false], [['/classifier/classifier.3/Gemm'], 84, false],
      [['/classifier/classifier.5/Gemm'], 10, true],
    ]);
    expect(groups[4]!.pinned[0]).toMatch(/model's output 'logits'/);
  });

  it('tie both sides of a residual Add and a depthwise Conv to one group (resdw-mnist)', () => {
    const an = analyseChannels(fixture('resdw-mnist'));
    const stem = an.groups.find((g) => g.producers.includes('/stem/stem.0/Conv'))!;
    expect(stem.producers).toEqual(['/stem/stem.0/Conv', '/res2/Conv']);
    expect(an.depthwise).toEqual([{ node: '/dw/Conv', group: stem.id }]);
  });

  it('pin what they cannot follow, with the reason (a folded matrix, a Reshape that regroups channels)', () => {
    expect(channelGroups(fixture('cntk-style-reshape'))[1]!.pinned[0]).toMatch(/MatMul 'Times' multiplies by a matrix that is not a stored initializer/);
    // A flatten to a baked [1, 256] (a Constant node) is followed now: its target is rewritten.
    expect(channelGroups(fixture('cntk-style-optimised'))[1]!.pinned).toEqual([]);
    const b = new GraphBuilder('r', 13);
    const x = b.input('x', 'float32', ['N', 4, 6, 6]);
    const a = b.node('Conv', [x, b.initializer('wa', tensor('float32', [8, 4, 1, 1]))], {}, { name: 'a' });
    const r = b.node('Reshape', [a, b.initializer('to', tensor('int64', [4], [0, 4, 2, 36]))], {}, { name: 'fold' });
    b.output(b.node('Relu', [r]), 'float32', ['N', 4, 2, 36]);
    expect(channelGroups(b.build())[0]!.pinned).toEqual([expect.stringMatching(/Reshape 'fold' regroups channels \(2×8×6×6 → 2×4×2×36\)/)]);
  });

  it('follow a grouped Conv and a Concat: every Conv group keeps the same channels, a Concat lays groups side by side', () => {
    const an = analyseChannels(groupedConcat());
    expect(an.groups.map((gr) => [gr.producers, gr.size, gr.pinned.length > 0])).toEqual([
      [['a'], 4, false], [['grouped'], 4, false], [['z'], 3, true],
    ]);
    // z reads [grouped (8 positions), a (8 positions)]: one tie per group, each naming its positions.
    const z = an.ties.filter((t) => t.tensor === 'wz' && t.reads).map((t) => [t.group, t.channels]);
    expect(z).toEqual([
      [an.groups[1]!.id, [0, 1, 2, 3, 0, 1, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1]],
      [an.groups[0]!.id, [-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 0, 1, 2, 3]],
    ]);
  });

  it('takeChannels slices one axis, in blocks', () => {
    const t = tensor('float32', [2, 6], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(takeChannels(t, 1, [0, 2], 2).data as Float32Array)).toEqual([0, 1, 4, 5, 6, 7, 10, 11]);
    expect(takeChannels(t, 0, [1]).dims).toEqual([1, 6]);
  });
});

describe('shrinkChannels', () => {
  // Each: the shrunk model runs in onnxruntime-node and equals the original whose dropped channels feed nothing.
  const cases: [string, () => Model, number[]][] = [
    ['lenet-mnist', () => fixture('lenet-mnist'), [3, 1, 28, 28]],
    ['resdw-mnist (residual Add, BatchNorm, depthwise Conv, Shape-built Reshape)', () => fixture('resdw-mnist'), [3, 1, 28, 28]],
    ['mlp-1x-bn (Gemm → BatchNorm on features, fixed batch 1)', () => fixture('mlp-1x-bn'), [1, 784]],
    ['cntk-style-reshape (Conv + stored per-channel Add bias)', () => fixture('cntk-style-reshape'), [1, 1, 28, 28]],
    ['the built-in cnn:8-16-fc64-10', () => buildArch('cnn:8-16-fc64-10', [28, 28], 3), [3, 1, 28, 28]],
    ['cntk-style-optimised (flatten to a Constant node [1, 256])', () => fixture('cntk-style-optimised'), [1, 1, 28, 28]],
    ['a grouped Conv feeding a Concat', groupedConcat, [2, 4, 5, 5]],
    ['Split sizes, Concat and a channel shuffle (joined per shuffle block)', splitShuffle, [2, 4, 6, 6]],
  ];
  for (const [name, make, shape] of cases) {
    it(`keeps the function of the kept channels: ${name}`, async () => {
      const model = make();
      const keep = dropOdd(model);
      expect(keep.size).toBeGreaterThan(0);
      const small = shrinkChannels(model, keep);
      expect(params(small)).toBeLessThan(params(model));
      const input = randomFloats(shape.reduce((a, d) => a * d, 1), 7);
      const [want, got] = await Promise.all([runOrt(silenceDropped(model, keep), input, shape), runOrt(small, input, shape)]);
      expect(got.length).toBe(want.length);
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * scale + 1e-5);
    });
  }

  it('rewrites a stored flatten target [N, C·H·W] and refuses to change a pinned group', () => {
    const b = new GraphBuilder('r', 13);
    const x = b.input('x', 'float32', [2, 1, 4, 4]);
    const h = b.node('Relu', [b.node('Conv', [x, b.initializer('w', tensor('float32', [6, 1, 3, 3], randomFloats(54, 1)))], { pads: ints([1, 1, 1, 1]) }, { name: 'conv' })]);
    const f = b.node('Reshape', [h, b.initializer('shape', tensor('int64', [2], [2, 96]))], {}, { name: 'flat' });
    b.output(b.node('Gemm', [f, b.initializer('fc', tensor('float32', [3, 96], randomFloats(288, 2)))], { transB: int(1) }, { name: 'fc' }), 'float32', [2, 3]);
    const m = b.build();
    const [conv, fc] = channelGroups(m);
    const small = shrinkChannels(m, new Map([[conv!.id, [1, 4]]]));
    expect(Array.from(small.graph.initializers.shape!.data as BigInt64Array, Number)).toEqual([0, 32]);
    expect(small.graph.initializers.fc!.dims).toEqual([3, 32]);
    expect(() => shrinkChannels(m, new Map([[fc!.id, [0]]]))).toThrow(/cannot change: it is the model's output/);
  });
});

describe('width students', () => {
  it('parse overall and per-layer widths, and refuse what is not a share', () => {
    expect(parseWidth('width:0.5')).toEqual({ overall: 0.5, layers: {} });
    expect(parseWidth('width:0.5,conv2=0.25')).toEqual({ overall: 0.5, layers: { conv2: 0.25 } });
    expect(parseWidth('mlp:784-32-10')).toBeNull();
    expect(() => parseWidth('width:2')).toThrow(/not a share in \(0, 1\]/);
    expect(() => parseWidth('width:1')).toThrow(/keeps every channel/);
  });

  it('make LeNet at half width (output kept), freshly initialised and seeded', async () => {
    const teacher = fixture('lenet-mnist');
    const { model, report } = widthStudent(teacher, { overall: 0.5, layers: { '/classifier/classifier.1/Gemm': 0.25 } }, [28, 28], 5);
    expect(report.changed.map((c) => [c.from, c.to])).toEqual([[6, 3], [16, 8], [120, 30], [84, 42]]);
    expect(report.kept).toEqual([{ producers: ['/classifier/classifier.5/Gemm'], channels: 10, reason: "it is the model's output 'logits'" }]);
    const w = model.graph.initializers;
    const conv1 = Object.keys(w).find((k) => w[k]!.dims.join() === '3,1,5,5')!;
    expect(conv1).toBeDefined();
    // Fresh He-uniform weights, not the teacher's first filters.
    expect(Array.from(w[conv1]!.data as Float32Array).slice(0, 4)).not.toEqual(Array.from(teacher.graph.initializers[conv1]!.data as Float32Array).slice(0, 4));
    const bound = Math.sqrt(6 / 25);
    expect(Math.max(...Array.from(w[conv1]!.data as Float32Array, Math.abs))).toBeLessThanOrEqual(bound);
    expect(widthStudent(teacher, { overall: 0.5, layers: {} }, [28, 28], 5).model.graph.initializers[conv1]!.data)
      .toEqual(widthStudent(teacher, { overall: 0.5, layers: {} }, [28, 28], 5).model.graph.initializers[conv1]!.data);
    const out = await runOrt(model, randomFloats(2 * 784, 3), [2, 1, 28, 28]);
    expect(out.length).toBe(20);
    expect(() => widthStudent(teacher, { overall: 0.5, layers: { conv9: 0.5 } }, [28, 28], 1)).toThrow(/no layer makes channels under the name 'conv9'/);
  });
});
