import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { matmul, type MatmulAttrs } from './matmul';
import { releaseSparseWeights, sparseMatmul, uploadSparseWeights, type SparseMatmulAttrs, type SparsePath } from './sparse-matmul';
import { sparseMatmulRef } from './sparse-matmul.ref';
import { pack24, packCsr, prune24, pruneByMagnitude, type SparseMatrix } from './sparse-pack';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Activation } from './common';

interface Case { name: string; M: number; K: number; N: number; c?: number[]; act?: Activation; alpha?: number; beta?: number; emptyRow?: boolean }

// Small shapes (SwiftShader): M = 1, M not a multiple of 4, K not a multiple of 4 (a partial 2:4
// group), N over one 32-wide workgroup, N = 1, an output with no nonzeros, every C layout.
const CASES: Case[] = [
  { name: 'M 1, K 784, N 64 + bias, relu (fc1 of the default CNN)', M: 1, K: 784, N: 64, c: [64], act: { kind: 'relu' } },
  { name: 'M 1, K 13, N 5', M: 1, K: 13, N: 5 },
  { name: 'M 6, K 37, N 33 + bias, an empty output row', M: 6, K: 37, N: 33, c: [33], emptyRow: true },
  { name: 'M 9, K 70, N 1 + C scalar, tanh', M: 9, K: 70, N: 1, c: [], act: { kind: 'tanh' } },
  { name: 'M 4, K 18, N 40 + C (M, 1), alpha/beta, leakyRelu', M: 4, K: 18, N: 40, c: [4, 1], alpha: 0.5, beta: -2, act: { kind: 'leakyRelu', a: 0.1 } },
  { name: 'M 17, K 64, N 70 + C (M, N), clip', M: 17, K: 64, N: 70, c: [17, 70], act: { kind: 'clip', a: -0.5, b: 0.7 } },
];
const PATTERNS = [
  { name: '0 %', prune: (w: Float32Array) => w },
  { name: '50 %', prune: (w: Float32Array) => pruneByMagnitude(w, 0.5) },
  { name: '75 %', prune: (w: Float32Array) => pruneByMagnitude(w, 0.75) },
  { name: '90 %', prune: (w: Float32Array) => pruneByMagnitude(w, 0.9) },
  { name: '2:4', prune: (w: Float32Array, N: number, K: number) => prune24(w, N, K) },
] as const;

describe('sparse matmul kernels (sparse_csr, sparse_24 and their _t forms after sparse_xt, with sparse_io.wgsl) vs the reference and vs dense matmul', () => {
  CASES.forEach((c, i) => PATTERNS.forEach((p) => {
    const forms = p.name === '2:4' ? (['csr', '2:4'] as const) : (['csr'] as const);
    for (const form of forms) for (const path of ['direct', 'transposed'] as SparsePath[]) {
      it(`${c.name} at ${p.name} [${form}, ${path}]`, async () => {
        const ctx = await testContext();
        const { M, K, N } = c;
        const w = p.prune(randomFloats(N * K, 5 * i + 1), N, K);
        if (c.emptyRow) w.fill(0, 3 * K, 4 * K);
        const x = randomFloats(M * K, 5 * i + 2);
        const cv = c.c ? randomFloats(c.c.reduce((a, b) => a * b, 1), 5 * i + 3) : null;
        const attrs: SparseMatmulAttrs = { alpha: c.alpha ?? 1, beta: c.beta ?? 1, act: c.act ?? { kind: 'none' } };
        const m: SparseMatrix = form === 'csr' ? packCsr(w, N, K) : pack24(w, N, K);
        const sw = uploadSparseWeights(ctx, 'w', m);
        const xt = tensorOf(ctx, x, [M, K], 'x'), ct = cv ? tensorOf(ctx, cv, c.c!, 'c') : null;
        const wt = tensorOf(ctx, w, [N, K], 'wdense');
        const ys = emptyTensor(ctx, [M, N], 'ys'), yd = emptyTensor(ctx, [M, N], 'yd');
        try {
          const got = await runAndRead(ctx, () => sparseMatmul(ctx, xt, sw, ct, ys, attrs, 'sparse', { path }), ys);
          const want = sparseMatmulRef(x, M, m, cv, c.c ?? null, attrs);
          const r = compareClose(got, want, 1e-4, 1e-5);
          expect(r.ok, `vs reference: ${r.message}`).toBe(true);
          const dAttrs: MatmulAttrs = { transA: false, transB: true, ...attrs };
          const dense = await runAndRead(ctx, () => matmul(ctx, xt, wt, ct, yd, dAttrs), yd);
          const rd = compareClose(got, dense, 1e-4, 1e-5);
          expect(rd.ok, `vs dense matmul: ${rd.message}`).toBe(true);
          if (c.emptyRow) for (let r0 = 0; r0 < M; r0++) expect(got[r0 * N + 3]).toBeCloseTo(cv![3]!, 6);
        } finally {
          releaseSparseWeights(ctx, sw);
          for (const t of [xt, wt, ys, yd, ...(ct ? [ct] : [])]) ctx.release(t.buffer);
        }
      });
    }
  }));

  it('an all-zero W gives act(beta · C) on both forms', async () => {
    const ctx = await testContext();
    const M = 3, K = 9, N = 4;
    const bias = Float32Array.from([1, -2, 3, -4]);
    for (const m of [packCsr(new Float32Array(N * K), N, K), pack24(new Float32Array(N * K), N, K)]) {
      const sw = uploadSparseWeights(ctx, 'zero', m);
      const y = emptyTensor(ctx, [M, N]);
      const got = await runAndRead(ctx, () => sparseMatmul(ctx, tensorOf(ctx, randomFloats(M * K, 9), [M, K]), sw, tensorOf(ctx, bias, [N]), y,
        { alpha: 1, beta: 1, act: { kind: 'relu' } }), y);
      expect(Array.from(got)).toEqual([1, 0, 3, 0, 1, 0, 3, 0, 1, 0, 3, 0]);
    }
  });

  it('auto takes the direct path up to 4 rows and the transposed one (2 dispatches) above', async () => {
    const ctx = await testContext();
    const K = 12, N = 3, sw = uploadSparseWeights(ctx, 'auto', packCsr(pruneByMagnitude(randomFloats(N * K, 8), 0.5), N, K));
    const attrs: SparseMatmulAttrs = { alpha: 1, beta: 1, act: { kind: 'none' } };
    const plan = (M: number) => sparseMatmul(ctx, emptyTensor(ctx, [M, K]), sw, null, emptyTensor(ctx, [M, N]), attrs).map((d) => d.pipeline.label);
    expect(plan(4)).toEqual(['sparse_csr|ACT=0']);
    expect(plan(5)).toEqual(['sparse_xt|', 'sparse_csr_t|ACT=0']);
  });

  it('folds leading dims of x into rows and rejects mismatched shapes', async () => {
    const ctx = await testContext();
    const K = 10, N = 6, w = pruneByMagnitude(randomFloats(N * K, 3), 0.6), x = randomFloats(2 * 3 * K, 4);
    const m = packCsr(w, N, K), sw = uploadSparseWeights(ctx, 'fold', m);
    const attrs: SparseMatmulAttrs = { alpha: 1, beta: 1, act: { kind: 'none' } };
    const y = emptyTensor(ctx, [2, 3, N]);
    const got = await runAndRead(ctx, () => sparseMatmul(ctx, tensorOf(ctx, x, [2, 3, K]), sw, null, y, attrs), y);
    const r = compareClose(got, sparseMatmulRef(x, 6, m, null, null, attrs), 1e-5, 1e-6);
    expect(r.ok, r.message).toBe(true);
    expect(() => sparseMatmul(ctx, emptyTensor(ctx, [2, K + 1]), sw, null, emptyTensor(ctx, [2, N]), attrs)).toThrow(/expect K/);
    expect(() => sparseMatmul(ctx, emptyTensor(ctx, [2, K]), sw, null, emptyTensor(ctx, [2, N + 1]), attrs)).toThrow(/gives/);
    expect(() => sparseMatmul(ctx, emptyTensor(ctx, [2, K]), sw, emptyTensor(ctx, [3, N]), emptyTensor(ctx, [2, N]), attrs)).toThrow(/broadcast/);
  });

  it('compiles one pipeline per form and activation, never per size or sparsity', async () => {
    const ctx = await testContext();
    const keys = ctx.pipelineKeys().filter((k) => k.startsWith('sparse'));
    for (const k of keys) expect(k).toMatch(/^(sparse_(csr|24)(_t)?\|ACT=[0-5]|sparse_xt\|)$/);
    for (const form of ['sparse_csr|', 'sparse_24|', 'sparse_csr_t|', 'sparse_24_t|']) expect(keys.filter((k) => k.startsWith(form)).length).toBe(5);
    expect(keys).toContain('sparse_xt|');
  });
});
