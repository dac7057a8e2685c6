import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import type { GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';
import { fakeQuantRef } from './fake-quant.ref';
import { fakeQuantSte, fakeQuantSteGrad, signSte, signSteGrad, steChannelStat, type ChannelStat } from './qat-ste';
import {
  fakeQuantSteGradRef, fakeQuantSteRef, signSteGradRef, signSteRef, signSteScaled64, steChannelStatRef, type FakeQuantGridRef,
} from './qat-ste.ref';
import { runAndRead, tensorOf, testContext } from './testing';

/** An output buffer full of garbage, so a kernel that skips elements is caught. */
function garbage(ctx: GpuContext, shape: number[], label = 'out'): GpuTensor {
  return tensorOf(ctx, new Float32Array(sizeOf(shape)).fill(1234.5), shape, label);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  const r = compareClose(got, want, rtol, atol);
  expect(r.ok, `${what}: ${r.message}`).toBe(true);
}

/** Values at least `gap` away from 0 (kinks of sign), in [-1, 1]. */
function awayFromZero(n: number, seed: number, gap = 0.02): Float32Array {
  return Float32Array.from(randomFloats(n, seed), (v) => (v >= 0 ? gap + v * (1 - gap) : -gap + v * (1 - gap)));
}

const SHAPES: { name: string; shape: number[]; axis: number }[] = [
  { name: 'conv weight (4, 3, 2, 2) axis 0', shape: [4, 3, 2, 2], axis: 0 },
  { name: 'Gemm (K, N) = (7, 5) axis 1', shape: [7, 5], axis: 1 },
  { name: 'long rows (3, 600) axis 0 (several values per lane)', shape: [3, 600], axis: 0 },
];

describe('steChannelStat (sign_ste_scale.wgsl) vs reference', () => {
  for (const stat of ['absMean', 'signDotMean', 'int8Scale'] as ChannelStat[]) {
    for (const [k, { name, shape, axis }] of SHAPES.entries()) {
      it(`${stat}: ${name}`, async () => {
        const ctx = await testContext();
        const n = sizeOf(shape);
        const x = randomFloats(n, 10 + k, -2, 2), dy = randomFloats(n, 20 + k);
        x[0] = 0; x[1] = -0; // sign(±0) = +1
        const C = shape[axis]!;
        const out = garbage(ctx, [C]);
        const got = await runAndRead(ctx, () => steChannelStat(ctx, stat, tensorOf(ctx, x, shape), tensorOf(ctx, dy, shape), out, axis), out);
        const want = steChannelStatRef(stat, x, dy, shape, axis);
        expectClose(got, want, 1e-6, 0, stat);
        // Real numbers, not just agreement: check one channel against a plain float64 loop.
        let s = 0, m = 0, count = 0;
        for (let i = 0; i < n; i++) {
          if (Math.floor(i / sizeOf(shape.slice(axis + 1))) % C !== 1) continue;
          s += stat === 'signDotMean' ? dy[i]! * (x[i]! >= 0 ? 1 : -1) : Math.abs(x[i]!);
          m = Math.max(m, Math.abs(x[i]!));
          count++;
        }
        expect(got[1]).toBeCloseTo(stat === 'int8Scale' ? m / 127 : s / count, 5);
      });
    }
  }

  it('int8Scale of an all-zero channel is 1 (as the host quantizer), not 0', async () => {
    const ctx = await testContext();
    const x = Float32Array.from([0, 0, 0, 0.5, -1.27, 0.2]);
    const out = garbage(ctx, [2]);
    const got = await runAndRead(ctx, () => steChannelStat(ctx, 'int8Scale', tensorOf(ctx, x, [2, 3]), null, out, 0), out);
    expect(Array.from(got)).toEqual([1, Math.fround(1.27 / 127)]);
  });
});

describe('signSte forward (sign_ste.wgsl)', () => {
  it('unscaled: exactly ±1 with sign(0) = sign(-0) = +1', async () => {
    const ctx = await testContext();
    const x = Float32Array.from([0, -0, 1e-30, -1e-30, 3, -2.5, 0.5]);
    const y = garbage(ctx, [7]);
    const got = await runAndRead(ctx, () => signSte(ctx, tensorOf(ctx, x, [7]), null, y, 0), y);
    expect(Array.from(got)).toEqual([1, 1, 1, -1, 1, -1, 1]);
  });

  for (const { name, shape, axis } of SHAPES) {
    it(`scaled by alpha: ${name}`, async () => {
      const ctx = await testContext();
      const n = sizeOf(shape);
      const x = randomFloats(n, 31);
      x[2] = 0;
      const C = shape[axis]!;
      const alpha = randomFloats(C, 32, 0.1, 1);
      const y = garbage(ctx, shape);
      const got = await runAndRead(ctx, () => signSte(ctx, tensorOf(ctx, x, shape), tensorOf(ctx, alpha, [C]), y, axis), y);
      expect(Array.from(got)).toEqual(Array.from(signSteRef(x, alpha, shape, axis)));
    });
  }
});

describe('signSteGrad (sign_ste_grad.wgsl)', () => {
  it('unscaled: the gradient passes exactly where |x| <= clip (inclusive) and is 0 outside', async () => {
    const ctx = await testContext();
    const x = Float32Array.from([0, 0.5, -0.5, 1, -1, 1.0001, -3, 0.999]);
    const dy = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const dx = garbage(ctx, [8]);
    const got = await runAndRead(ctx, () => signSteGrad(ctx, tensorOf(ctx, x, [8]), tensorOf(ctx, dy, [8]), null, dx, { clip: 1, axis: 0 }), dx);
    expect(Array.from(got)).toEqual([1, 2, 3, 4, 5, 0, 0, 8]);
    const dx2 = garbage(ctx, [8]);
    const got2 = await runAndRead(ctx, () => signSteGrad(ctx, tensorOf(ctx, x, [8]), tensorOf(ctx, dy, [8]), null, dx2, { clip: 0.5, axis: 0 }), dx2);
    expect(Array.from(got2)).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
  });

  for (const [k, { name, shape, axis }] of SHAPES.entries()) {
    it(`scaled: kernel vs reference, and the reference's alpha term vs central differences: ${name}`, async () => {
      const ctx = await testContext();
      const n = sizeOf(shape), C = shape[axis]!;
      const x = awayFromZero(n, 40 + k);
      x[3] = 1.7; x[4] = -1.2; // outside the window
      const r = randomFloats(n, 50 + k); // L = sum(y * r), so dL/dy = r
      const xt = tensorOf(ctx, x, shape), rt = tensorOf(ctx, r, shape);
      const alpha = garbage(ctx, [C], 'alpha'), g = garbage(ctx, [C], 'g'), dx = garbage(ctx, shape, 'dx');
      const got = await runAndRead(ctx, () => [
        ...steChannelStat(ctx, 'absMean', xt, null, alpha, axis),
        ...steChannelStat(ctx, 'signDotMean', xt, rt, g, axis),
        ...signSteGrad(ctx, xt, rt, { alpha, g }, dx, { clip: 1, axis }),
      ], dx);
      const alphaRef = steChannelStatRef('absMean', x, null, shape, axis), gRef = steChannelStatRef('signDotMean', x, r, shape, axis);
      const want = signSteGradRef(x, r, { alpha: alphaRef, g: gRef }, shape, 1, axis);
      expectClose(got, want, 1e-5, 1e-7, 'dx');
      // Outside the window only alpha's term remains: sign(x) * g[c].
      const ch = (i: number) => Math.floor(i / sizeOf(shape.slice(axis + 1))) % C;
      expect(got[3]).toBeCloseTo(gRef[ch(3)]!, 6);
      expect(got[4]).toBeCloseTo(-gRef[ch(4)]!, 6);

      // With clip 0 the straight-through part is off, and what is left is the true derivative of
      // alpha(x) * sign(x) away from 0: compare with float64 central differences of the forward.
      const alphaTerm = signSteGradRef(x, r, { alpha: alphaRef, g: gRef }, shape, 0, axis);
      const loss = (v: ArrayLike<number>) => signSteScaled64(v, shape, axis).reduce((s, y, i) => s + y * r[i]!, 0);
      const eps = 1e-3, xp = Float64Array.from(x);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const v = xp[i]!;
        xp[i] = v + eps; const lp = loss(xp);
        xp[i] = v - eps; const lm = loss(xp);
        xp[i] = v;
        const fd = (lp - lm) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - alphaTerm[i]!) / Math.max(Math.abs(fd), 1e-3));
      }
      expect(worst).toBeLessThanOrEqual(1e-2);
      expect(alphaTerm.some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('fakeQuantSte (fake_quant_ste.wgsl) and its gradient (fake_quant_ste_grad.wgsl)', () => {
  it('per tensor: bit-identical to the inference fake-quant reference (int8 grid, ties to even, clamping)', async () => {
    const ctx = await testContext();
    const scale = 0.0117, zero = -20, n = 513;
    const x = randomFloats(n, 60, -4, 4);
    for (let i = 0; i < 8; i++) x[i] = (i - 3.5) * scale; // exact .5 ties
    const grid = { scale, zero, qmin: -128, qmax: 127, perChannel: null };
    const y = garbage(ctx, [n]);
    const got = await runAndRead(ctx, () => fakeQuantSte(ctx, tensorOf(ctx, x, [n]), y, grid), y);
    const want = fakeQuantRef(x, scale, zero);
    const bad = got.findIndex((v, i) => !Object.is(v, want[i]));
    expect(bad, bad >= 0 ? `x=${x[bad]} got ${got[bad]} want ${want[bad]}` : '').toBe(-1);
    expect(Array.from(fakeQuantSteRef(x, [n], grid))).toEqual(Array.from(want));
  });

  it('per channel: symmetric int8 weights on the scales of steChannelStat, and an int32 bias grid', async () => {
    const ctx = await testContext();
    const shape = [4, 3, 3, 3], n = sizeOf(shape);
    const w = randomFloats(n, 61, -0.5, 0.5);
    const wt = tensorOf(ctx, w, shape), scales = garbage(ctx, [4], 'scales'), y = garbage(ctx, shape);
    const grid = { scale: 1, zero: 0, qmin: -127, qmax: 127, perChannel: { scales, axis: 0 } };
    const got = await runAndRead(ctx, () => [...steChannelStat(ctx, 'int8Scale', wt, null, scales, 0), ...fakeQuantSte(ctx, wt, y, grid)], y);
    const sRef = steChannelStatRef('int8Scale', w, null, shape, 0);
    const want = fakeQuantSteRef(w, shape, { ...grid, perChannel: { scales: sRef, axis: 0 } });
    expectClose(got, want, 1e-6, 0, 'weights');
    // Every value is on its channel's grid, and each channel's largest |w| lands on ±127 steps.
    for (let c = 0; c < 4; c++) {
      const row = Array.from(got.subarray(c * 27, (c + 1) * 27)).map((v) => v / sRef[c]!);
      expect(row.every((q) => Math.abs(q - Math.round(q)) < 1e-3)).toBe(true);
      expect(Math.max(...row.map(Math.abs))).toBeCloseTo(127, 3);
    }

    const b = randomFloats(4, 62, -0.3, 0.3), xScale = 0.02;
    const by = garbage(ctx, [4]);
    const bGrid = { scale: xScale, zero: 0, qmin: -(2 ** 31), qmax: 2 ** 31 - 1, perChannel: { scales, axis: 0 } };
    const gotB = await runAndRead(ctx, () => fakeQuantSte(ctx, tensorOf(ctx, b, [4]), by, bGrid), by);
    const wantB = fakeQuantSteRef(b, [4], { ...bGrid, perChannel: { scales: sRef, axis: 0 } });
    expectClose(gotB, wantB, 1e-6, 0, 'bias');
    for (let c = 0; c < 4; c++) {
      const step = xScale * sRef[c]!;
      expect(Math.abs(gotB[c]! - b[c]!)).toBeLessThanOrEqual(step * 0.5001);
    }
  });

  it('gradient: dy passes exactly where the value was not clamped', async () => {
    const ctx = await testContext();
    const scale = 0.1, zero = -28; // grid covers [(−128 + 28)·0.1, (127 + 28)·0.1] = [−10, 15.5]
    const x = Float32Array.from([0, -9.9, -10.04, -10.06, 15.5, 15.54, 15.56, 100, -100, 3.33]);
    const dy = Float32Array.from(x, (_, i) => i + 1);
    const grid: FakeQuantGridRef & { perChannel: null } = { scale, zero, qmin: -128, qmax: 127, perChannel: null };
    const dx = garbage(ctx, [x.length]);
    const got = await runAndRead(ctx, () => fakeQuantSteGrad(ctx, tensorOf(ctx, x, [x.length]), tensorOf(ctx, dy, [x.length]), dx, grid), dx);
    expect(Array.from(got)).toEqual([1, 2, 3, 0, 5, 6, 0, 0, 0, 10]);
    expect(Array.from(fakeQuantSteGradRef(x, dy, [x.length], grid))).toEqual(Array.from(got));
  });

  it('gradient per channel vs reference (random values, some clamped by a narrow grid)', async () => {
    const ctx = await testContext();
    const shape = [6, 5], n = 30;
    const x = randomFloats(n, 70, -3, 3), dy = randomFloats(n, 71);
    const s = Float32Array.from([0.01, 0.02, 0.005, 0.03, 0.01]);
    const dx = garbage(ctx, shape);
    const grid = { scale: 1, zero: 0, qmin: -127, qmax: 127, perChannel: { scales: tensorOf(ctx, s, [5], 'scales'), axis: 1 } };
    const got = await runAndRead(ctx, () => fakeQuantSteGrad(ctx, tensorOf(ctx, x, shape), tensorOf(ctx, dy, shape), dx, grid), dx);
    const want = fakeQuantSteGradRef(x, dy, shape, { ...grid, perChannel: { scales: s, axis: 1 } });
    expect(Array.from(got)).toEqual(Array.from(want));
    const passed = want.filter((v) => v !== 0).length;
    expect(passed).toBeGreaterThan(3);
    expect(passed).toBeLessThan(n - 3);
  });
});
