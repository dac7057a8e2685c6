import { hyperValues, type OptimizerHyper, type OptimizerKind } from './optimizer';

/**
 * One optimizer step in place, as optimizer.wgsl computes it: in f32, each operation rounded
 * (Math.fround), so a velocity that is a small difference of large terms rounds as it does on the
 * GPU; only fused multiply-adds and sqrt/division rounding can still differ. state1/state2 as
 * optimizerStep.
 */
export function optimizerStepRef(
  kind: OptimizerKind, param: Float32Array, grad: Float32Array,
  state1: Float32Array | null, state2: Float32Array | null, h: OptimizerHyper,
): void {
  const v = hyperValues(h);
  const f = Math.fround;
  const lr = f(v.lr), mu = f(v.momentum), b1 = f(v.beta1), b2 = f(v.beta2), eps = f(v.eps), wd = f(v.weightDecay);
  const bc1 = f(v.bc1), bc2 = f(v.bc2);
  if (kind === 'adamw' && (!state1 || !state2)) throw new Error('optimizerStepRef: adamw needs state1 and state2');
  for (let i = 0; i < param.length; i++) {
    const p = param[i]!;
    const g = v.decoupled ? grad[i]! : f(grad[i]! + f(wd * p));
    let update: number;
    if (kind === 'sgd') {
      update = g;
      if (state1) {
        const vel = f(f(mu * state1[i]!) + g);
        state1[i] = vel;
        update = v.nesterov ? f(g + f(mu * vel)) : vel;
      }
    } else {
      const m = f(f(b1 * state1![i]!) + f(f(1 - b1) * g));
      const s = f(f(b2 * state2![i]!) + f(f(f(1 - b2) * g) * g));
      state1![i] = m;
      state2![i] = s;
      update = f(f(m / bc1) / f(f(Math.sqrt(f(s / bc2))) + eps));
    }
    if (v.decoupled) update = f(update + f(wd * p));
    param[i] = f(p - f(lr * update));
  }
}
