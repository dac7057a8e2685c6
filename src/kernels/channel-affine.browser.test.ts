import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { batchNormToAffine, channelAffine } from './channel-affine';
import { batchNormRef, channelAffineRef } from './channel-affine.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Activation } from './common';

const CASES: { name: string; shape: number[]; act: Activation }[] = [
  { name: '(N, C, H, W)', shape: [2, 5, 7, 3], act: { kind: 'none' } },
  { name: '(N, C) after a Gemm', shape: [3, 17], act: { kind: 'none' } },
  { name: '(N, C, L) 1-D', shape: [2, 4, 9], act: { kind: 'none' } },
  { name: 'relu', shape: [1, 6, 5, 5], act: { kind: 'relu' } },
  { name: 'leakyRelu', shape: [1, 3, 4, 7], act: { kind: 'leakyRelu', a: 0.1 } },
  { name: 'clip (ReLU6)', shape: [2, 3, 3, 3], act: { kind: 'clip', a: 0, b: 6 } },
  { name: 'sigmoid', shape: [1, 2, 9], act: { kind: 'sigmoid' } },
  { name: 'tanh', shape: [1, 7, 2, 2], act: { kind: 'tanh' } },
  { name: 'one channel, many values', shape: [1, 1, 300, 257], act: { kind: 'none' } },
];

/** Random BatchNormalization parameters for C channels; variance positive. */
function bnParams(C: number, seed: number) {
  return {
    gamma: randomFloats(C, seed, 0.5, 2),
    beta: randomFloats(C, seed + 1, -1, 1),
    mean: randomFloats(C, seed + 2, -1, 1),
    variance: randomFloats(C, seed + 3, 0.1, 3),
  };
}

describe('channelAffine kernel (channel_affine.wgsl) vs reference', () => {
  for (const [idx, c] of CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const C = c.shape[1]!;
      const x = randomFloats(sizeOf(c.shape), 600 + idx, -3, 3);
      const bn = bnParams(C, 700 + 10 * idx);
      const { scale, shift } = batchNormToAffine(bn.gamma, bn.beta, bn.mean, bn.variance, 1e-5);
      const xt = tensorOf(ctx, x, c.shape, 'x');
      const st = tensorOf(ctx, scale, [C], 'scale');
      const ht = tensorOf(ctx, shift, [C], 'shift');
      const yt = emptyTensor(ctx, c.shape, 'y');
      const got = await runAndRead(ctx, () => channelAffine(ctx, xt, st, ht, yt, c.act), yt);
      const r = compareClose(got, channelAffineRef(x, c.shape, scale, shift, c.act), 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
      // Without an activation the affine route must equal BatchNormalization's own formula.
      if (c.act.kind === 'none') {
        const rb = compareClose(got, batchNormRef(x, c.shape, bn.gamma, bn.beta, bn.mean, bn.variance, 1e-5), 1e-4, 1e-5);
        expect(rb.ok, `vs batchNormRef: ${rb.message}`).toBe(true);
      }
      for (const t of [xt, st, ht, yt]) ctx.release(t.buffer);
    });
  }

  it('compiles one pipeline per activation, never per size', async () => {
    const ctx = await testContext();
    const acts = new Set(CASES.map((c) => c.act.kind));
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('channelAffine|')).length).toBe(acts.size);
  });
});

describe('batchNormToAffine', () => {
  it('matches batchNormRef on the host, including a large epsilon and zero variance', () => {
    const C = 6, shape = [2, C, 3, 4];
    const bn = bnParams(C, 900);
    bn.variance[2] = 0;
    const x = randomFloats(sizeOf(shape), 901, -2, 2);
    for (const eps of [1e-5, 1e-3, 0.5]) {
      const { scale, shift } = batchNormToAffine(bn.gamma, bn.beta, bn.mean, bn.variance, eps);
      const r = compareClose(channelAffineRef(x, shape, scale, shift, { kind: 'none' }),
        batchNormRef(x, shape, bn.gamma, bn.beta, bn.mean, bn.variance, eps), 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
    }
  });

  it('rejects mismatched lengths', () => {
    const a = new Float32Array(3);
    expect(() => batchNormToAffine(a, a, a, new Float32Array(2), 1e-5)).toThrow(/3 values/);
  });
});
