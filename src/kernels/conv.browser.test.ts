import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { conv2d, type ConvAttrs } from './conv';
import { conv2dRef } from './conv.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Activation } from './common';

interface Case {
  name: string;
  x: [number, number, number, number]; // (N, C, H, W)
  m: number; // output channels
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  bias?: boolean;
  act?: Activation;
}

const CASES: Case[] = [
  { name: '1x1', x: [1, 5, 7, 9], m: 6, k: [1, 1] },
  { name: '3x3 pad 1 with bias, relu', x: [1, 3, 11, 10], m: 8, k: [3, 3], pads: [1, 1, 1, 1], bias: true, act: { kind: 'relu' } },
  { name: '5x5 no pad (LeNet conv2)', x: [1, 6, 14, 14], m: 16, k: [5, 5], bias: true },
  { name: 'stride 2, odd sizes', x: [1, 3, 13, 9], m: 5, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { name: 'stride (2,3), no pad', x: [2, 2, 9, 11], m: 3, k: [2, 3], strides: [2, 3] },
  { name: 'dilation 2', x: [1, 4, 12, 11], m: 7, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'groups 2', x: [1, 6, 8, 7], m: 10, k: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true },
  { name: 'depthwise', x: [1, 7, 9, 8], m: 7, k: [3, 3], group: 7, pads: [1, 1, 1, 1], bias: true, act: { kind: 'clip', a: 0, b: 6 } },
  { name: 'depthwise multiplier 2, stride 2', x: [1, 5, 10, 9], m: 10, k: [3, 3], group: 5, strides: [2, 2], pads: [0, 0, 1, 1] },
  { name: 'asymmetric pads', x: [1, 3, 7, 8], m: 4, k: [3, 2], pads: [2, 0, 1, 3], bias: true },
  { name: 'N=3, leakyRelu', x: [3, 3, 6, 5], m: 9, k: [3, 3], pads: [1, 1, 1, 1], act: { kind: 'leakyRelu', a: 0.2 } },
  { name: 'sigmoid', x: [2, 4, 5, 6], m: 3, k: [2, 2], bias: true, act: { kind: 'sigmoid' } },
  { name: 'tanh', x: [1, 2, 6, 7], m: 5, k: [3, 1], act: { kind: 'tanh' } },
  { name: 'clip without max', x: [1, 3, 5, 5], m: 4, k: [1, 1], act: { kind: 'clip', a: -0.1 } },
  { name: '1-D as H=1, pad 2', x: [2, 3, 1, 17], m: 5, k: [1, 5], pads: [0, 2, 0, 2], bias: true },
  { name: 'output channels not a multiple of 4', x: [1, 9, 6, 6], m: 6, k: [3, 3], group: 3, pads: [1, 1, 1, 1] },
  // More depthwise layers (conv2d_dw.wgsl): efficientnet's 5x5 stride 2, dilation, a row not a multiple of 4 pixels, N = 2.
  { name: 'depthwise 5x5 stride 2, N = 2, relu', x: [2, 6, 13, 11], m: 6, k: [5, 5], group: 6, strides: [2, 2], pads: [2, 2, 2, 2], bias: true, act: { kind: 'relu' } },
  { name: 'depthwise dilation 2, asymmetric pads, OW = 7', x: [1, 4, 9, 10], m: 4, k: [3, 3], group: 4, dilations: [2, 2], pads: [2, 1, 0, 1] },
  { name: 'depthwise multiplier 3, 1x5, sigmoid', x: [1, 3, 5, 9], m: 9, k: [1, 5], group: 3, pads: [0, 2, 0, 2], bias: true, act: { kind: 'sigmoid' } },
  // SiLU (efficientnet's Mul(y, Sigmoid(y)), fused): both kernels.
  { name: 'silu, 3x3 pad 1', x: [1, 3, 7, 6], m: 5, k: [3, 3], pads: [1, 1, 1, 1], bias: true, act: { kind: 'silu' } },
  // conv2d_dw.wgsl computes 8 pixels an invocation in two halves: rows of 13 (a block, then 5: the
  // second half part-filled) and 11 (a block, then 3: only the first half) pixels.
  { name: 'depthwise OW = 13, bias', x: [1, 3, 6, 13], m: 3, k: [3, 3], group: 3, pads: [1, 1, 1, 1], bias: true },
  { name: 'depthwise OW = 11, N = 2, multiplier 2', x: [2, 2, 5, 11], m: 4, k: [3, 3], group: 2, pads: [1, 1, 1, 1] },
  { name: 'depthwise 3x3 stride 2, silu', x: [1, 8, 9, 9], m: 8, k: [3, 3], group: 8, strides: [2, 2], pads: [1, 1, 1, 1], bias: true, act: { kind: 'silu' } },
  // 4.2M invocations > 65535 workgroups of 64: checks the y-folded grid.
  { name: 'large dispatch folds into y', x: [1, 1, 2049, 2049], m: 1, k: [1, 1] },
];

function outSize(i: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((i + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

describe('conv2d kernels vs reference (conv2d.wgsl, conv2d_dw.wgsl with conv_dw_position.wgsl for depthwise layers)', () => {
  for (const [idx, c] of CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const [N, C, H, W] = c.x;
      const group = c.group ?? 1;
      const attrs: ConvAttrs = {
        strides: c.strides ?? [1, 1], pads: c.pads ?? [0, 0, 0, 0], dilations: c.dilations ?? [1, 1],
        group, act: c.act ?? { kind: 'none' },
      };
      const wShape = [c.m, C / group, c.k[0], c.k[1]];
      const yShape = [N, c.m,
        outSize(H, c.k[0], attrs.strides[0], attrs.dilations[0], attrs.pads[0], attrs.pads[2]),
        outSize(W, c.k[1], attrs.strides[1], attrs.dilations[1], attrs.pads[1], attrs.pads[3])];
      const x = randomFloats(sizeOf(c.x), 100 + idx);
      const w = randomFloats(sizeOf(wShape), 200 + idx);
      const bias = c.bias ? randomFloats(c.m, 300 + idx) : null;
      const xt = tensorOf(ctx, x, c.x, 'x');
      const wt = tensorOf(ctx, w, wShape, 'w');
      const bt = bias ? tensorOf(ctx, bias, [c.m], 'bias') : null;
      const yt = emptyTensor(ctx, yShape, 'y');
      const depthwise = group > 1 && C / group === 1;
      const got = await runAndRead(ctx, () => {
        const d = conv2d(ctx, xt, wt, bt, yt, attrs);
        expect(d.map((x) => x.pipeline.label.split('|')[0])).toEqual([depthwise ? 'conv2d_dw' : 'conv2d']);
        return d;
      }, yt);
      const r = compareClose(got, conv2dRef(x, c.x, w, wShape, bias, attrs, yShape), 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
      for (const b of [xt, wt, bt, yt]) if (b) ctx.release(b.buffer);
    });
  }

  it('compiles one pipeline per kernel and (activation, bias) pair, never per size', async () => {
    const ctx = await testContext();
    const kernelOf = (c: Case) => ((c.group ?? 1) > 1 && c.x[1] / c.group! === 1 ? 'conv2d_dw' : 'conv2d');
    for (const kernel of ['conv2d', 'conv2d_dw']) {
      const variants = new Set(CASES.filter((c) => kernelOf(c) === kernel).map((c) => `${c.act?.kind ?? 'none'}/${Boolean(c.bias)}`));
      expect(ctx.pipelineKeys().filter((k) => k.startsWith(`${kernel}|`)).length).toBe(variants.size);
    }
  });

  it('rejects weights that do not fit the group', async () => {
    const ctx = await testContext();
    const xt = emptyTensor(ctx, [1, 6, 4, 4]);
    const wt = emptyTensor(ctx, [4, 4, 3, 3]);
    const yt = emptyTensor(ctx, [1, 4, 2, 2]);
    const attrs: ConvAttrs = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 2, act: { kind: 'none' } };
    expect(() => conv2d(ctx, xt, wt, null, yt, attrs)).toThrow(/group 2/);
  });
});
