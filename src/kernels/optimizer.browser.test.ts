import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import type { GpuContext } from '../gpu/context';
import { createHyperBuffer, optimizerPairStep, optimizerStep, writeHyper, type OptimizerHyper, type OptimizerKind, type OptimizerSlot } from './optimizer';
import { optimizerStepRef } from './optimizer.ref';
import { tensorOf, testContext } from './testing';

interface Case {
  name: string;
  kind: OptimizerKind;
  n: number;
  hyper: OptimizerHyper;
  /** SGD without a velocity buffer. */
  noState?: boolean;
  steps?: number;
}

const CASES: Case[] = [
  { name: 'sgd momentum 0.9, coupled weight decay', kind: 'sgd', n: 1000, hyper: { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, decoupled: false } },
  { name: 'sgd nesterov momentum 0.9, coupled weight decay', kind: 'sgd', n: 1000, hyper: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true, decoupled: false } },
  { name: 'sgd momentum 0.8, decoupled weight decay', kind: 'sgd', n: 777, hyper: { lr: 0.1, momentum: 0.8, weightDecay: 0.1, decoupled: true } },
  { name: 'sgd without a velocity buffer', kind: 'sgd', n: 333, noState: true, hyper: { lr: 0.1, weightDecay: 1e-2, decoupled: false } },
  { name: 'adamw, decoupled weight decay', kind: 'adamw', n: 1000, hyper: { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: true } },
  { name: 'adam with coupled (L2) weight decay, beta2 0.99', kind: 'adamw', n: 1000, hyper: { lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2, decoupled: false } },
  // 64 * 65535 + 5 elements: more than 65535 workgroups of 64, so the grid folds into y.
  { name: 'adamw over a grid folded into y', kind: 'adamw', n: 64 * 65535 + 5, steps: 2, hyper: { lr: 1e-3, weightDecay: 1e-2, decoupled: true } },
];

async function readAll(ctx: GpuContext, bufs: GPUBuffer[], n: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const b of bufs) out.push(await ctx.readF32(b, n));
  return out;
}

describe('optimizerStep kernel vs reference, state carried across steps', () => {
  for (const [idx, c] of CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const n = c.n;
      const p = randomFloats(n, 1100 + idx, -1, 1);
      const s1 = c.noState ? null : new Float32Array(n);
      const s2 = c.kind === 'adamw' ? new Float32Array(n) : null;
      const pt = tensorOf(ctx, p, [n], 'param');
      const gt = tensorOf(ctx, new Float32Array(n), [n], 'grad');
      const s1t = s1 ? tensorOf(ctx, s1, [n], 'state1') : null;
      const s2t = s2 ? tensorOf(ctx, s2, [n], 'state2') : null;
      const hyper = createHyperBuffer(ctx, 'hyper');
      // Planned once and submitted every step, as the trainer will: only buffers' contents change.
      const plan = await ctx.checked('planning', () => optimizerStep(ctx, pt, gt, s1t, s2t, hyper, { kind: c.kind }));
      for (let step = 1; step <= (c.steps ?? 3); step++) {
        const g = randomFloats(n, 1200 + 10 * idx + step, -2, 2);
        ctx.device.queue.writeBuffer(gt.buffer, 0, g as Float32Array<ArrayBuffer>);
        const h = { ...c.hyper, step };
        writeHyper(ctx, hyper, h);
        await ctx.checked('an optimizer step', () => ctx.submit(plan));
        optimizerStepRef(c.kind, p, g, s1, s2, h);
        const [gotP, gotS1, gotS2] = await readAll(ctx, [pt.buffer, ...(s1t ? [s1t.buffer] : []), ...(s2t ? [s2t.buffer] : [])], n);
        const rp = compareClose(gotP!, p, 1e-6, 1e-7);
        expect(rp.ok, `param after step ${step}: ${rp.message}`).toBe(true);
        if (s1) {
          const r = compareClose(gotS1!, s1, 1e-6, 1e-7);
          expect(r.ok, `state1 after step ${step}: ${r.message}`).toBe(true);
        }
        if (s2) {
          const r = compareClose(gotS2!, s2, 1e-6, 1e-9);
          expect(r.ok, `state2 after step ${step}: ${r.message}`).toBe(true);
        }
      }
      // The parameters really moved.
      const p0 = randomFloats(n, 1100 + idx, -1, 1);
      expect(compareClose(p, p0, 0, 1e-4).ok).toBe(false);
      for (const t of [pt, gt, s1t, s2t]) if (t) ctx.release(t.buffer);
      hyper.destroy();
    });
  }

  it('compiles three pipelines: sgd with and without velocity, adamw', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('optimizer|')).length).toBe(3);
  });

  it('adamw without its state buffers is refused', async () => {
    const ctx = await testContext();
    const pt = tensorOf(ctx, new Float32Array(4), [4], 'param');
    const hyper = createHyperBuffer(ctx, 'hyper');
    expect(() => optimizerStep(ctx, pt, pt, null, null, hyper, { kind: 'adamw' })).toThrow(/needs state1/);
    ctx.release(pt.buffer);
    hyper.destroy();
  });
});

describe('optimizerPairStep (optimizer_pair.wgsl with optimizer_update.wgsl): two parameters, two hyper uniforms, one dispatch', () => {
  const pairs: { name: string; kind: OptimizerKind; velocity: boolean; nA: number; nB: number; a: OptimizerHyper; b: OptimizerHyper }[] = [
    { name: 'adamw: a weight with decay and its bias without', kind: 'adamw', velocity: true, nA: 1000, nB: 33, a: { lr: 1e-2, weightDecay: 1e-2, decoupled: true }, b: { lr: 1e-2, weightDecay: 0, decoupled: true } },
    { name: 'sgd with momentum, coupled decay on A only', kind: 'sgd', velocity: true, nA: 130, nB: 7, a: { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, decoupled: false }, b: { lr: 0.1, momentum: 0.9, decoupled: false } },
    { name: 'plain sgd (no state), B larger than A', kind: 'sgd', velocity: false, nA: 5, nB: 300, a: { lr: 0.05, weightDecay: 1e-3, decoupled: false }, b: { lr: 0.05, decoupled: false } },
  ];
  for (const [idx, c] of pairs.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const make = (n: number, seed: number) => {
        const p = randomFloats(n, seed, -1, 1);
        const s1 = c.velocity ? new Float32Array(n) : null, s2 = c.kind === 'adamw' ? new Float32Array(n) : null;
        const slot: OptimizerSlot = {
          param: tensorOf(ctx, p, [n], 'param'), grad: tensorOf(ctx, new Float32Array(n), [n], 'grad'),
          state1: s1 ? tensorOf(ctx, s1, [n], 's1') : null, state2: s2 ? tensorOf(ctx, s2, [n], 's2') : null, hyper: createHyperBuffer(ctx, 'hyper'),
        };
        return { p, s1, s2, slot };
      };
      const A = make(c.nA, 2100 + idx), B = make(c.nB, 2200 + idx);
      const plan = await ctx.checked('planning', () => optimizerPairStep(ctx, A.slot, B.slot, { kind: c.kind }));
      expect(plan).toHaveLength(1);
      for (let step = 1; step <= 3; step++) {
        for (const [X, h, seed] of [[A, c.a, 2300], [B, c.b, 2400]] as const) {
          const g = randomFloats(X.p.length, seed + 10 * idx + step, -2, 2);
          ctx.device.queue.writeBuffer(X.slot.grad.buffer, 0, g as Float32Array<ArrayBuffer>);
          writeHyper(ctx, X.slot.hyper, { ...h, step });
          optimizerStepRef(c.kind, X.p, g, X.s1, X.s2, { ...h, step });
        }
        await ctx.checked('a paired optimizer step', () => ctx.submit(plan));
        for (const X of [A, B]) {
          const r = compareClose(await ctx.readF32(X.slot.param.buffer, X.p.length), X.p, 1e-6, 1e-7);
          expect(r.ok, `param after step ${step}: ${r.message}`).toBe(true);
          if (X.s2) expect(compareClose(await ctx.readF32(X.slot.state2!.buffer, X.p.length), X.s2, 1e-6, 1e-9).ok).toBe(true);
        }
      }
      for (const X of [A, B]) {
        for (const t of [X.slot.param, X.slot.grad, X.slot.state1, X.slot.state2]) if (t) ctx.release(t.buffer);
        X.slot.hyper.destroy();
      }
    });
  }

  it('refuses two parameters with different optimizer state', async () => {
    const ctx = await testContext();
    const t = tensorOf(ctx, new Float32Array(4), [4], 'p');
    const hyper = createHyperBuffer(ctx, 'hyper');
    expect(() => optimizerPairStep(ctx, { param: t, grad: t, state1: t, state2: null, hyper }, { param: t, grad: t, state1: null, state2: null, hyper }, { kind: 'sgd' }))
      .toThrow(/same optimizer state/);
    ctx.release(t.buffer);
    hyper.destroy();
  });
});

describe('adamw on the GPU minimizes a quadratic (gradients from the host)', () => {
  it('loss falls more than 10x in 50 steps', async () => {
    const ctx = await testContext();
    const n = 200;
    // L(p) = 1/2 sum a_i (p_i - c_i)^2, dL/dp = a (p - c), with curvatures spread over 10x.
    const a = randomFloats(n, 1301, 0.2, 2);
    const c = randomFloats(n, 1302, -1, 1);
    const p = randomFloats(n, 1303, -1, 1);
    const lossOf = (x: Float32Array) => x.reduce((s, v, i) => s + 0.5 * a[i]! * (v - c[i]!) ** 2, 0);
    const pt = tensorOf(ctx, p, [n], 'param');
    const gt = tensorOf(ctx, new Float32Array(n), [n], 'grad');
    const mt = tensorOf(ctx, new Float32Array(n), [n], 'm');
    const vt = tensorOf(ctx, new Float32Array(n), [n], 'v');
    const hyper = createHyperBuffer(ctx, 'hyper');
    const plan = optimizerStep(ctx, pt, gt, mt, vt, hyper, { kind: 'adamw' });
    const losses = [lossOf(p)];
    let x = p;
    for (let step = 1; step <= 50; step++) {
      const g = x.map((v, i) => a[i]! * (v - c[i]!));
      ctx.device.queue.writeBuffer(gt.buffer, 0, g as Float32Array<ArrayBuffer>);
      writeHyper(ctx, hyper, { lr: 0.05, step, decoupled: true });
      await ctx.checked('an adam step', () => ctx.submit(plan));
      x = await ctx.readF32(pt.buffer, n);
      losses.push(lossOf(x));
    }
    expect(losses[0]!).toBeGreaterThan(1);
    expect(losses[50]!).toBeLessThan(losses[0]! / 10);
    for (const t of [pt, gt, mt, vt]) ctx.release(t.buffer);
    hyper.destroy();
  });
});
