import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { dynamicQuantParams, rangePartialWords, RANGE_TWO_PASS_MIN } from './dynamic-quant';
import { dynamicQuantParamsRef } from './dynamic-quant.ref';
import { quantizeLinear } from './quantize-linear';
import { quantizeLinearRef } from './quantize-linear.ref';
import { emptyTensor, tensorOf, testContext } from './testing';

// ONNX's node tests (libonnx-testdata test_dynamicquantizelinear*): input, y, y_scale, y_zero_point.
const ONNX_CASES = [
  { name: 'test_dynamicquantizelinear', x: [0, 2, -3, -2.5, 1.34, 0.5], y: [153, 255, 0, 26, 221, 179], scale: 0.019607843831181526, zero: 153 },
  { name: 'test_dynamicquantizelinear_max_adjusted', x: [-1, -2.1, -1.3, -2.5, -3.34, -4], y: [191, 121, 172, 96, 42, 0], scale: 0.01568627543747425, zero: 255 },
  {
    name: 'test_dynamicquantizelinear_min_adjusted (3x4)', x: [1, 2.1, 1.3, 2.5, 3.34, 4, 1.5, 2.6, 3.9, 4, 3, 2.345],
    y: [64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149], scale: 0.01568627543747425, zero: 0,
  },
];

/** Runs dynamicQuantParams, then QuantizeLinear with the scale and zero it wrote: DynamicQuantizeLinear whole. */
async function run(x: Float32Array) {
  const ctx = await testContext();
  const xt = tensorOf(ctx, x, [x.length], 'x');
  const qp = emptyTensor(ctx, [4], 'qparams'), s = emptyTensor(ctx, [1], 'scale'), z = emptyTensor(ctx, [1], 'zero');
  const y = emptyTensor(ctx, [x.length], 'y');
  await ctx.checked('dynamic quantize', () => ctx.submit([
    ...dynamicQuantParams(ctx, xt, { qparams: qp, scale: s, zero: z }),
    ...quantizeLinear(ctx, xt, { scale: s, zero: z, axisSize: 1, inner: 1 }, y, { lo: 0, hi: 255 }),
  ]));
  const out = {
    qparams: await ctx.readF32(qp.buffer, 4), scale: (await ctx.readF32(s.buffer, 1))[0]!,
    zero: (await ctx.readF32(z.buffer, 1))[0]!, y: await ctx.readF32(y.buffer, x.length),
  };
  for (const b of [xt.buffer, qp.buffer, s.buffer, z.buffer, y.buffer]) ctx.release(b);
  return out;
}

describe('dynamicQuantParams (dynamic_quant_params.wgsl, two passes from range_partials.wgsl, both with range_fold.wgsl) vs reference and ONNX (exact)', () => {
  for (const c of ONNX_CASES) {
    it(c.name, async () => {
      const x = Float32Array.from(c.x);
      const got = await run(x);
      const want = dynamicQuantParamsRef(x);
      expect(want.scale).toBe(c.scale);
      expect(want.zero).toBe(c.zero);
      expect([...got.qparams]).toEqual([want.scale, want.zero, want.invScale, 0]);
      expect(got.scale).toBe(c.scale);
      expect(got.zero).toBe(c.zero);
      expect([...got.y]).toEqual(c.y);
    });
  }

  it('all-zero input: scale 1, zero 0 (ONNX leaves it undefined)', async () => {
    const got = await run(new Float32Array(300));
    expect([...got.qparams]).toEqual([1, 0, 1, 0]);
    expect([got.scale, got.zero]).toEqual([1, 0]);
    expect(got.y.every((v) => v === 0)).toBe(true);
  });

  const sizes = [
    { name: '100 003 random values in [-2.7, 5.1]', n: 100_003, lo: -2.7, hi: 5.1 },
    { name: '100 003 random values, all negative', n: 100_003, lo: -9.3, hi: -0.2 },
    { name: '257 values, extremes in the last partial stride', n: 257, lo: -0.05, hi: 0.05 },
    // Two passes (range_partials.wgsl) from RANGE_TWO_PASS_MIN values; past 256 chunks each workgroup folds more.
    { name: '4 200 011 values (256 partials), extremes at both ends', n: 4_200_011, lo: -0.5, hi: 0.5 },
  ];
  sizes.forEach((c, i) => {
    it(c.name, async () => {
      const x = randomFloats(c.n, 40 + i, c.lo, c.hi);
      if (c.n === 257) { x[256] = -1.75; x[255] = 3.25; } // found only by the threads that stride to the end
      if (c.n > 1e6) { x[c.n - 1] = -1.75; x[0] = 3.25; } // the last workgroup's short chunk, and the first
      const got = await run(x);
      const want = dynamicQuantParamsRef(x);
      expect([...got.qparams]).toEqual([want.scale, want.zero, want.invScale, 0]);
      expect([got.scale, got.zero]).toEqual([want.scale, want.zero]);
      const y = quantizeLinearRef(x, [want.scale], [want.zero], 1, 1, { lo: 0, hi: 255 });
      const bad = y.findIndex((v, j) => v !== got.y[j]);
      expect(bad, bad >= 0 ? `[${bad}] x=${x[bad]} got ${got.y[bad]} want ${y[bad]}` : '').toBe(-1);
    });
  });

  it('runs without the optional outputs; one pipeline', async () => {
    const ctx = await testContext();
    const x = Float32Array.of(-1, 0.5, 3);
    const xt = tensorOf(ctx, x, [3]), qp = emptyTensor(ctx, [4]);
    await ctx.checked('qparams only', () => ctx.submit(dynamicQuantParams(ctx, xt, { qparams: qp })));
    const want = dynamicQuantParamsRef(x);
    expect([...(await ctx.readF32(qp.buffer, 4))]).toEqual([want.scale, want.zero, want.invScale, 0]);
    expect(() => dynamicQuantParams(ctx, xt, { qparams: emptyTensor(ctx, [3]) })).toThrow(/4 values/);
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('dynamicQuantParams'))).toEqual(['dynamicQuantParams|']);
  });

  it('folds a large tensor in two passes into the caller\'s partials, a small one in one', async () => {
    const ctx = await testContext();
    const small = dynamicQuantParams(ctx, emptyTensor(ctx, [RANGE_TWO_PASS_MIN - 1]), { qparams: emptyTensor(ctx, [4]) });
    expect(small.map((d) => d.pipeline.label)).toEqual(['dynamicQuantParams|']);
    const n = 3 * RANGE_TWO_PASS_MIN + 5;
    const x = randomFloats(n, 7, -1, 1);
    x[n - 2] = 9;
    const partials = emptyTensor(ctx, [rangePartialWords(n)]);
    const xt = tensorOf(ctx, x, [n]), qp = emptyTensor(ctx, [4]);
    const ds = dynamicQuantParams(ctx, xt, { qparams: qp, partials });
    expect(ds.map((d) => d.pipeline.label)).toEqual(['rangePartials|', 'dynamicQuantParams|']);
    await ctx.checked('two passes', () => ctx.submit(ds));
    const want = dynamicQuantParamsRef(x);
    expect([...(await ctx.readF32(qp.buffer, 4))]).toEqual([want.scale, want.zero, want.invScale, 0]);
    // The partials: each workgroup's (min(0, .), max(0, .)); the one holding the 9 says so.
    const p = await ctx.readF32(partials.buffer, rangePartialWords(n));
    expect(Math.max(...p)).toBe(9);
    expect(() => dynamicQuantParams(ctx, xt, { qparams: qp, partials: emptyTensor(ctx, [2]) })).toThrow(/partials hold/);
  });
});
