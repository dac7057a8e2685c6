import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import type { GpuContext } from '../gpu/context';
import { createHyperBuffer, optimizerStep, writeHyper, type OptimizerHyper, type OptimizerKind } from './optimizer';
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
