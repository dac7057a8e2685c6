import { describe, expect, it } from 'vitest';
import { makeRng, randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import { dequantizeLinear, quantizeLinear, type LinearQuantParams } from './quantize-linear';
import { channelOf, dequantizeLinearRef, quantizeLinearRef } from './quantize-linear.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const U8 = { lo: 0, hi: 255 };
const I8 = { lo: -128, hi: 127 };

interface Case {
  name: string;
  shape: number[];
  axis: number | null; // null: per-tensor
  range: { lo: number; hi: number };
  scales: (c: number) => number;
  zeros: (c: number) => number;
  pow2?: boolean; // power-of-two scales: every tie below is exact in f32
}

const CASES: Case[] = [
  { name: 'per-tensor uint8, general scale', shape: [1001], axis: null, range: U8, scales: () => 0.0173, zeros: () => 117 },
  { name: 'per-tensor int8, power-of-two scale, ties', shape: [3, 7, 11], axis: null, range: I8, scales: () => 2 ** -5, zeros: () => -3, pow2: true },
  { name: 'per-tensor uint8, 70001 values (grid past one row of workgroups)', shape: [70001], axis: null, range: U8, scales: () => 0.0211, zeros: () => 0 },
  { name: 'axis 1 of [2,3,4,5], uint8', shape: [2, 3, 4, 5], axis: 1, range: U8, scales: (c) => [0.011, 0.07, 0.0031][c]!, zeros: (c) => [0, 128, 255][c]! },
  { name: 'axis 1 of [2,3,4,5], int8, power-of-two, ties', shape: [2, 3, 4, 5], axis: 1, range: I8, scales: (c) => 2 ** (-3 - c), zeros: (c) => [-128, 0, 127][c]!, pow2: true },
  { name: 'axis 0 of [6,7], int8', shape: [6, 7], axis: 0, range: I8, scales: (c) => 0.005 + 0.013 * c, zeros: (c) => 20 * c - 50 },
  { name: 'last axis of [5,3,9], uint8', shape: [5, 3, 9], axis: 2, range: U8, scales: (c) => 0.0037 * (c + 1), zeros: (c) => 13 * c + 7 },
  { name: 'last axis of [33,9], uint8, power-of-two, ties', shape: [33, 9], axis: 1, range: U8, scales: (c) => 2 ** (c - 6), zeros: (c) => 25 * c, pow2: true },
];

function firstDiff(got: Float32Array, want: Float32Array, x: Float32Array): string {
  const i = got.findIndex((v, j) => !Object.is(v, want[j]));
  return i < 0 ? '' : `[${i}] x=${x[i]} got ${got[i]} want ${want[i]} (${got.filter((v, j) => !Object.is(v, want[j])).length} differ)`;
}

describe('quantizeLinear / dequantizeLinear (quantize_linear.wgsl) vs reference (bit-exact)', () => {
  CASES.forEach((c, idx) => {
    it(c.name, async () => {
      const ctx = await testContext();
      const n = sizeOf(c.shape);
      const axisSize = c.axis === null ? 1 : c.shape[c.axis]!;
      const inner = c.axis === null ? 1 : sizeOf(c.shape.slice(c.axis + 1));
      const scale = Float32Array.from({ length: axisSize }, (_, k) => c.scales(k));
      const zero = Float32Array.from({ length: axisSize }, (_, k) => c.zeros(k));
      // x spans past both ends of every channel's range, so both saturate.
      const rng = makeRng(100 + idx);
      const x = Float32Array.from({ length: n }, (_, i) => {
        const ch = channelOf(i, axisSize, inner), s = scale[ch]!, z = zero[ch]!;
        const k = c.range.lo - z - 8 + Math.floor(rng() * (c.range.hi - c.range.lo + 17)); // integer steps in real units
        switch (i % 4) {
          case 0: return (k + 0.5) * s; // a tie (exact with a power-of-two scale), both parities of k
          case 1: return (k + rng()) * s;
          case 2: return i % 8 === 2 ? 1e30 : -1e30; // saturates without overflowing to inf
          default: return k * s;
        }
      });
      const want = quantizeLinearRef(x, scale, zero, axisSize, inner, c.range);
      const p: LinearQuantParams = { scale: tensorOf(ctx, scale, [axisSize], 's'), zero: tensorOf(ctx, zero, [axisSize], 'z'), axisSize, inner };
      const xt = tensorOf(ctx, x, c.shape, 'x'), qt = emptyTensor(ctx, c.shape, 'q'), dt = emptyTensor(ctx, c.shape, 'd');
      const got = await runAndRead(ctx, () => [...quantizeLinear(ctx, xt, p, qt, c.range), ...dequantizeLinear(ctx, qt, p, dt)], qt);
      expect(firstDiff(got, want, x)).toBe('');
      expect(Math.min(...want), 'saturates low').toBe(c.range.lo);
      expect(Math.max(...want), 'saturates high').toBe(c.range.hi);
      if (c.pow2) {
        // Exact ties inside the range really occur, so round-half-even is exercised.
        const ties = [...x].filter((v, i) => {
          const ch = channelOf(i, axisSize, inner), q = v / scale[ch]! + zero[ch]!;
          return i % 4 === 0 && q > c.range.lo && q < c.range.hi;
        });
        expect(ties.length).toBeGreaterThan(5);
      }
      const deq = await ctx.readF32(dt.buffer, n);
      expect(firstDiff(deq, dequantizeLinearRef(want, scale, zero, axisSize, inner), want)).toBe('');
      for (const b of [p.scale.buffer, p.zero.buffer, xt.buffer, qt.buffer, dt.buffer]) ctx.release(b);
    });
  });

  it('dequantizes arbitrary integers per axis (not only its own output)', async () => {
    const ctx = await testContext();
    const shape = [3, 5, 17], axisSize = 5, inner = 17;
    const x = randomFloats(sizeOf(shape), 9, -300, 300).map(Math.round);
    const scale = Float32Array.from({ length: axisSize }, (_, k) => 0.0123 * (k + 1)), zero = Float32Array.of(-7, 0, 3, 128, -128);
    const p: LinearQuantParams = { scale: tensorOf(ctx, scale, [axisSize]), zero: tensorOf(ctx, zero, [axisSize]), axisSize, inner };
    const xt = tensorOf(ctx, x, shape), yt = emptyTensor(ctx, shape);
    const got = await runAndRead(ctx, () => dequantizeLinear(ctx, xt, p, yt), yt);
    expect(firstDiff(got, dequantizeLinearRef(x, scale, zero, axisSize, inner), x)).toBe('');
  });

  it('rounds exact ties half to even', async () => {
    const ctx = await testContext();
    const x = Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 126.5, -127.5).map((v) => v * 0.25);
    const p: LinearQuantParams = { scale: tensorOf(ctx, Float32Array.of(0.25), [1]), zero: tensorOf(ctx, Float32Array.of(0), [1]), axisSize: 1, inner: 1 };
    const xt = tensorOf(ctx, x, [x.length]), yt = emptyTensor(ctx, [x.length]);
    const got = await runAndRead(ctx, () => quantizeLinear(ctx, xt, p, yt, I8), yt);
    expect([...got]).toEqual([0, 2, 2, 0, -2, -2, 4, 126, -128]); // round(-0.5) = -0, and -0 + 0 = +0
  });

  it('rejects mismatched shapes and ranges; one pipeline per mode', async () => {
    const ctx = await testContext();
    const s = tensorOf(ctx, Float32Array.of(1, 1, 1), [3]), z = tensorOf(ctx, Float32Array.of(0, 0, 0), [3]);
    const x = emptyTensor(ctx, [2, 3, 4]), y = emptyTensor(ctx, [2, 3, 4]);
    expect(() => quantizeLinear(ctx, x, { scale: s, zero: z, axisSize: 4, inner: 1 }, y, U8)).toThrow(/need 4 values/);
    expect(() => quantizeLinear(ctx, x, { scale: s, zero: z, axisSize: 3, inner: 5 }, y, U8)).toThrow(/does not split/);
    expect(() => quantizeLinear(ctx, x, { scale: s, zero: z, axisSize: 3, inner: 4 }, emptyTensor(ctx, [5]), U8)).toThrow(/has 24 values/);
    expect(() => quantizeLinear(ctx, x, { scale: s, zero: z, axisSize: 3, inner: 4 }, y, { lo: 1, hi: 0 })).toThrow(/range/);
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('quantizeLinear')).sort()).toEqual(['quantizeLinear|MODE=0,WG=256', 'quantizeLinear|MODE=1,WG=256']);
  });
});
