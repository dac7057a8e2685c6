import { describe, expect, it } from 'vitest';
import { makeRng, randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { softmaxCrossEntropy, type LossAttrs } from './loss';
import { lossRef } from './loss.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

interface Case {
  name: string;
  B: number;
  K: number;
  teacher: boolean;
  T?: number;
  alpha?: number;
  /** Logit range +-scale. */
  scale?: number;
  /** Rows given label -1 (padding). */
  pad?: number[];
  /** Pass validRows explicitly instead of letting the kernel count. */
  explicitRows?: boolean;
}

/** Logits, labels (about half the rows labelled with their argmax, so `correct` is mixed) and a teacher near the student. */
function inputs(c: Case, seed: number) {
  const { B, K } = c;
  const s = c.scale ?? 3;
  const logits = randomFloats(B * K, seed, -s, s);
  const noise = randomFloats(B * K, seed + 1, -s, s);
  // The teacher is the student plus noise, so argmaxes agree on some rows and not on others.
  const teacher = c.teacher ? logits.map((v, i) => v + 0.7 * noise[i]!) : null;
  const rng = makeRng(seed + 2);
  const labels = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let am = 0;
    for (let j = 1; j < K; j++) if (logits[b * K + j]! > logits[b * K + am]!) am = j;
    labels[b] = b % 2 === 0 ? am : Math.floor(rng() * K);
  }
  for (const b of c.pad ?? []) labels[b] = -1;
  return { logits, labels, teacher };
}

function attrsOf(c: Case, labels: Float32Array): LossAttrs {
  const validRows = c.explicitRows ? labels.filter((l) => l >= 0).length : undefined;
  return { temperature: c.T ?? 1, alpha: c.alpha ?? 0, ...(validRows !== undefined ? { validRows } : {}) };
}

const CASES: Case[] = [
  { name: 'hard labels, K=10', B: 6, K: 10, teacher: false },
  { name: 'hard labels, K=10, a padded last row', B: 6, K: 10, teacher: false, pad: [5] },
  { name: 'hard labels, padding rows, validRows passed', B: 7, K: 10, teacher: false, pad: [2, 6], explicitRows: true },
  { name: 'distillation T=4 alpha=0.9, K=10', B: 6, K: 10, teacher: true, T: 4, alpha: 0.9 },
  { name: 'pure soft alpha=1 T=2, K=10, a padded row', B: 5, K: 10, teacher: true, T: 2, alpha: 1, pad: [3] },
  { name: 'hard labels, K=1000', B: 3, K: 1000, teacher: false },
  { name: 'distillation T=4 alpha=0.9, K=1000', B: 3, K: 1000, teacher: true, T: 4, alpha: 0.9 },
  { name: 'large logits +-80, hard', B: 4, K: 10, teacher: false, scale: 80 },
  { name: 'large logits +-80, distillation T=4', B: 4, K: 1000, teacher: true, T: 4, alpha: 0.5, scale: 80 },
  { name: 'huge logits +-500 (exp overflows without max subtraction), distillation T=1', B: 4, K: 10, teacher: true, T: 1, alpha: 0.5, scale: 500 },
];

describe('softmaxCrossEntropy kernel (softmax_xent.wgsl) vs reference', () => {
  for (const [idx, c] of CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const { logits, labels, teacher } = inputs(c, 700 + 10 * idx);
      const attrs = attrsOf(c, labels);
      const zt = tensorOf(ctx, logits, [c.B, c.K], 'logits');
      const yt = tensorOf(ctx, labels, [c.B], 'labels');
      const tt = teacher ? tensorOf(ctx, teacher, [c.B, c.K], 'teacher') : null;
      const dz = emptyTensor(ctx, [c.B, c.K], 'dlogits');
      const st = emptyTensor(ctx, [c.B, 4], 'stats');
      const gotD = await runAndRead(ctx, () => softmaxCrossEntropy(ctx, zt, yt, tt, dz, st, attrs), dz);
      const gotS = await ctx.readF32(st.buffer, c.B * 4);
      const want = lossRef(logits, labels, teacher, [c.B, c.K], attrs);

      const rd = compareClose(gotD, want.dlogits, 1e-4, 1e-7);
      expect(rd.ok, `dlogits: ${rd.message}`).toBe(true);
      const rs = compareClose(gotS, want.stats, 1e-5, 2e-5 * (c.scale ?? 1));
      expect(rs.ok, `stats: ${rs.message}`).toBe(true);
      // Everything finite, padding rows all zero, and the flags really vary where they should.
      expect(gotD.every(Number.isFinite)).toBe(true);
      expect(gotS.every(Number.isFinite)).toBe(true);
      for (let b = 0; b < c.B; b++) {
        const padded = (c.pad ?? []).includes(b);
        expect(gotS[b * 4 + 3], `finite flag of row ${b}`).toBe(padded ? 0 : 1);
        if (padded) {
          expect([...gotS.subarray(b * 4, b * 4 + 4)]).toEqual([0, 0, 0, 0]);
          expect(gotD.subarray(b * c.K, (b + 1) * c.K).every((v) => v === 0)).toBe(true);
        } else {
          // A confident correct row's loss may round to exactly 0 in f32.
          expect(gotS[b * 4]!).toBeGreaterThanOrEqual(0);
        }
      }
      expect(want.correct.reduce((a, v) => a + v, 0)).toBeGreaterThan(0);
      // Each valid row's gradient sums to 0 (softmax minus a distribution).
      for (let b = 0; b < c.B; b++) {
        let s = 0, a = 0;
        for (let j = 0; j < c.K; j++) { s += gotD[b * c.K + j]!; a += Math.abs(gotD[b * c.K + j]!); }
        expect(Math.abs(s)).toBeLessThanOrEqual(1e-5 * Math.max(a, 1e-3));
      }
      for (const t of [zt, yt, tt, dz, st]) if (t) ctx.release(t.buffer);
    });
  }

  it('flags rows with NaN or infinite logits as not finite and leaves other rows alone', async () => {
    const ctx = await testContext();
    const B = 4, K = 10;
    const logits = randomFloats(B * K, 880, -3, 3);
    logits[3] = NaN;          // row 0
    logits[K + 5] = Infinity; // row 1
    const labels = Float32Array.from([1, 2, 3, 4]);
    const attrs = { temperature: 1, alpha: 0 };
    const zt = tensorOf(ctx, logits, [B, K], 'logits');
    const yt = tensorOf(ctx, labels, [B], 'labels');
    const dz = emptyTensor(ctx, [B, K], 'dlogits');
    const st = emptyTensor(ctx, [B, 4], 'stats');
    const gotS = await runAndRead(ctx, () => softmaxCrossEntropy(ctx, zt, yt, null, dz, st, attrs), st);
    const gotD = await ctx.readF32(dz.buffer, B * K);
    const want = lossRef(logits, labels, null, [B, K], attrs);
    expect([gotS[3], gotS[7], gotS[11], gotS[15]]).toEqual([0, 0, 1, 1]);
    expect([...want.finite]).toEqual([0, 0, 1, 1]);
    const r = compareClose(gotD.subarray(2 * K), want.dlogits.subarray(2 * K), 1e-4, 1e-7);
    expect(r.ok, r.message).toBe(true);
    for (const t of [zt, yt, dz, st]) ctx.release(t.buffer);
  });

  it('compiles one pipeline per teacher/no teacher and per row form (a thread for up to 32 classes, a workgroup above), never one per size', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('softmaxXent|')).sort())
      .toEqual(['softmaxXent|TEACHER=0,WG=1', 'softmaxXent|TEACHER=0,WG=64', 'softmaxXent|TEACHER=1,WG=1', 'softmaxXent|TEACHER=1,WG=64']);
  });
});

describe('lossRef gradients vs central finite differences of its mean loss', () => {
  const FD: Case[] = [
    { name: 'hard labels, with a padded row', B: 4, K: 10, teacher: false, pad: [2] },
    { name: 'distillation T=4 alpha=0.9', B: 4, K: 10, teacher: true, T: 4, alpha: 0.9 },
    { name: 'pure soft alpha=1 T=3', B: 3, K: 10, teacher: true, T: 3, alpha: 1 },
    { name: 'distillation T=2 alpha=0.5, K=1000', B: 2, K: 1000, teacher: true, T: 2, alpha: 0.5 },
  ];
  for (const [idx, c] of FD.entries()) {
    it(c.name, () => {
      const { logits, labels, teacher } = inputs(c, 900 + 10 * idx);
      const attrs = attrsOf(c, labels);
      const shape = [c.B, c.K] as const;
      const z = Float64Array.from(logits);
      const t = teacher ? Float64Array.from(teacher) : null;
      const grad = lossRef(z, labels, t, shape, attrs).dlogits;
      const eps = 1e-3;
      const fd = new Float64Array(z.length);
      for (let i = 0; i < z.length; i++) {
        const v = z[i]!;
        z[i] = v + eps; const up = lossRef(z, labels, t, shape, attrs).meanLoss;
        z[i] = v - eps; const down = lossRef(z, labels, t, shape, attrs).meanLoss;
        z[i] = v;
        fd[i] = (up - down) / (2 * eps);
      }
      const maxG = grad.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      expect(maxG).toBeGreaterThan(1e-3);
      // Brief's bound is 1e-2; in float64 central differences land far closer.
      const r = compareClose(grad, fd, 1e-4, 1e-7 * maxG);
      expect(r.ok, r.message).toBe(true);
    });
  }
});
