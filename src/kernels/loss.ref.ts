import type { LossAttrs } from './loss';

export interface LossRefResult {
  /** Per-row loss (0 on padding rows). */
  loss: Float64Array;
  /** d(meanLoss)/d logits, (B, K). */
  dlogits: Float64Array;
  correct: Float64Array;
  agree: Float64Array;
  finite: Float64Array;
  /** (B, 4) rows [loss, correct, agree, finite], as the kernel's stats. */
  stats: Float64Array;
  validRows: number;
  /** Sum of the valid rows' losses over validRows. */
  meanLoss: number;
}

/** The row's class, or -1 for padding; the same rounding as softmax_xent.wgsl. */
export function classOfLabel(l: number, K: number): number {
  if (l < 0) return -1;
  const c = Math.floor(l + 0.5);
  return c < K ? c : -1;
}

/**
 * Plain-loop softmax cross-entropy with optional distillation, in float64 (so finite differences
 * of `meanLoss` check `dlogits`). logits and teacher are (B, K) row-major; labels (B).
 */
export function lossRef(
  logits: ArrayLike<number>, labels: ArrayLike<number>, teacher: ArrayLike<number> | null,
  shape: readonly [number, number], attrs: LossAttrs,
): LossRefResult {
  const [B, K] = shape;
  const T = attrs.temperature, alpha = attrs.alpha;
  const loss = new Float64Array(B), correct = new Float64Array(B), agree = new Float64Array(B), finite = new Float64Array(B);
  const dlogits = new Float64Array(B * K);
  let counted = 0;
  for (let b = 0; b < B; b++) if (classOfLabel(labels[b]!, K) >= 0) counted++;
  const validRows = attrs.validRows || counted; // 0 or omitted: count, as the kernel does
  const scale = 1 / Math.max(validRows, 1);
  let total = 0;
  for (let b = 0; b < B; b++) {
    const y = classOfLabel(labels[b]!, K);
    if (y < 0) continue;
    const z = (j: number) => logits[b * K + j]!;
    const t = (j: number) => teacher![b * K + j]!;
    const ams = argmax(z, K);
    const ms = z(ams);
    let ss = 0;
    for (let j = 0; j < K; j++) ss += Math.exp(z(j) - ms);
    const ce = Math.log(ss) - (z(y) - ms);
    let l = ce;
    const p = (j: number) => Math.exp(z(j) - ms) / ss;
    if (!teacher) {
      for (let j = 0; j < K; j++) dlogits[b * K + j] = (p(j) - (j === y ? 1 : 0)) * scale;
    } else {
      const amt = argmax(t, K);
      const mt = t(amt);
      // log q_j = (z_j - ms)/T - log sum, log pt_j likewise; KL summed term by term.
      let ssT = 0, st = 0;
      for (let j = 0; j < K; j++) { ssT += Math.exp((z(j) - ms) / T); st += Math.exp((t(j) - mt) / T); }
      const logQ = (j: number) => (z(j) - ms) / T - Math.log(ssT);
      const logPt = (j: number) => (t(j) - mt) / T - Math.log(st);
      let kl = 0;
      for (let j = 0; j < K; j++) kl += Math.exp(logPt(j)) * (logPt(j) - logQ(j));
      l = alpha * T * T * kl + (1 - alpha) * ce;
      for (let j = 0; j < K; j++) {
        const hard = (1 - alpha) * (p(j) - (j === y ? 1 : 0));
        const soft = alpha * T * (Math.exp(logQ(j)) - Math.exp(logPt(j)));
        dlogits[b * K + j] = (hard + soft) * scale;
      }
      agree[b] = ams === amt ? 1 : 0;
    }
    loss[b] = l;
    correct[b] = ams === y ? 1 : 0;
    finite[b] = Number.isFinite(l) ? 1 : 0;
    total += l;
  }
  const stats = new Float64Array(B * 4);
  for (let b = 0; b < B; b++) stats.set([loss[b]!, correct[b]!, agree[b]!, finite[b]!], b * 4);
  return { loss, dlogits, correct, agree, finite, stats, validRows, meanLoss: total * scale };
}

/** Index of the first maximum. */
function argmax(v: (j: number) => number, K: number): number {
  let best = 0;
  for (let j = 1; j < K; j++) if (v(j) > v(best)) best = j;
  return best;
}
