import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { conv2d, type ConvAttrs } from './conv';
import { packConvCsr, sparseConv2d, uploadSparseConvWeights } from './sparse-conv';
import { sparseConvRef } from './sparse-conv.ref';
import { pruneByMagnitude } from './sparse-pack';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

interface Case { name: string; x: [number, number, number, number]; w: [number, number, number, number]; attrs: Partial<ConvAttrs>; bias?: boolean; emptyChannel?: boolean }

const out = (x: Case['x'], w: Case['w'], a: ConvAttrs) => [x[0], w[0],
  Math.floor((x[2] + a.pads[0] + a.pads[2] - a.dilations[0] * (w[2] - 1) - 1) / a.strides[0]) + 1,
  Math.floor((x[3] + a.pads[1] + a.pads[3] - a.dilations[1] * (w[3] - 1) - 1) / a.strides[1]) + 1] as [number, number, number, number];

// Small shapes (SwiftShader): the default CNN's conv2, output pixels not a multiple of 4, stride,
// asymmetric pads and dilation, groups, depthwise, batch 2, a channel with no nonzeros, activations.
const CASES: Case[] = [
  { name: 'conv2 of the default CNN: 8→16, 5×5 on 12×12, bias, relu', x: [1, 8, 12, 12], w: [16, 8, 5, 5], attrs: { act: { kind: 'relu' } }, bias: true },
  { name: '3→5, 3×3 on 7×9, pads 1, stride 2, batch 2', x: [2, 3, 7, 9], w: [5, 3, 3, 3], attrs: { pads: [1, 0, 1, 2], strides: [2, 2] }, bias: true },
  { name: '4→6, 3×3 dilation 2, group 2, an empty channel, clip', x: [1, 4, 9, 8], w: [6, 2, 3, 3], attrs: { group: 2, dilations: [2, 2], pads: [2, 2, 2, 2], act: { kind: 'clip', a: -0.3, b: 0.4 } }, emptyChannel: true },
  { name: 'depthwise 6 channels, 3×3, pads 1', x: [1, 6, 5, 5], w: [6, 1, 3, 3], attrs: { group: 6, pads: [1, 1, 1, 1] }, bias: true },
  { name: '1×1, 16→8 on 3×3', x: [1, 16, 3, 3], w: [8, 16, 1, 1], attrs: {} },
];
const LEVELS = [0, 0.5, 0.75, 0.9];

describe('sparse conv kernel (sparse_conv_csr) vs its reference and vs dense conv2d', () => {
  CASES.forEach((c, i) => LEVELS.forEach((s) => {
    it(`${c.name} at ${100 * s} %`, async () => {
      const ctx = await testContext();
      const attrs: ConvAttrs = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, act: { kind: 'none' }, ...c.attrs };
      const wn = c.w.reduce((a, d) => a * d, 1), xn = c.x.reduce((a, d) => a * d, 1);
      const w = pruneByMagnitude(randomFloats(wn, 7 * i + 1), s);
      if (c.emptyChannel) w.fill(0, 2 * (wn / c.w[0]), 3 * (wn / c.w[0]));
      const x = randomFloats(xn, 7 * i + 2), bias = c.bias ? randomFloats(c.w[0], 7 * i + 3) : null;
      const yShape = out(c.x, c.w, attrs);
      const packed = packConvCsr(w, c.w);
      expect(packed.nnz).toBe(w.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0));
      const sw = uploadSparseConvWeights(ctx, 'w', packed);
      const xt = tensorOf(ctx, x, [...c.x], 'x'), wt = tensorOf(ctx, w, [...c.w], 'wdense');
      const bt = bias ? tensorOf(ctx, bias, [c.w[0]], 'bias') : null;
      const ys = emptyTensor(ctx, yShape, 'ys'), yd = emptyTensor(ctx, yShape, 'yd');
      try {
        const got = await runAndRead(ctx, () => sparseConv2d(ctx, xt, sw, bt, ys, attrs, 'sparse'), ys);
        const want = sparseConvRef(x, c.x, packed, bias, yShape[2], yShape[3], attrs);
        const r = compareClose(got, want, 1e-4, 1e-5);
        expect(r.ok, `vs reference: ${r.message}`).toBe(true);
        const dense = await runAndRead(ctx, () => conv2d(ctx, xt, wt, bt, yd, attrs), yd);
        const rd = compareClose(got, dense, 1e-4, 1e-5);
        expect(rd.ok, `vs dense conv2d: ${rd.message}`).toBe(true);
        if (c.emptyChannel) {
          // Channel 2 has no taps: its outputs are act(0) everywhere.
          const plane = yShape[2] * yShape[3];
          expect(Array.from(got.subarray(2 * plane, 3 * plane)).every((v) => v === 0)).toBe(true);
        }
      } finally {
        for (const b of sw.buffers) ctx.destroyBuffer(b);
        for (const t of [xt, wt, ys, yd, ...(bt ? [bt] : [])]) ctx.release(t.buffer);
      }
    });
  }));

  it('refuses a weight whose kernel does not fit the tap word', () => {
    expect(() => packConvCsr(new Float32Array(300 * 1), [1, 1, 300, 1])).toThrow(/does not fit the tap word/);
  });
});
