export interface CloseReport { ok: boolean; maxAbs: number; worstIndex: number; message: string }

/** numpy.allclose semantics: |a - b| <= atol + rtol * |b|, NaN equal to NaN, infinities equal by sign. */
export function compareClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-3, atol = 1e-5,
): CloseReport {
  if (actual.length !== expected.length) {
    return { ok: false, maxAbs: Infinity, worstIndex: -1, message: `length ${actual.length} != ${expected.length}` };
  }
  let maxAbs = 0, worst = -1, bad = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, b = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    const d = Math.abs(a - b);
    if (!(d <= maxAbs)) { maxAbs = d; worst = i; }
    if (!(d <= atol + rtol * Math.abs(b)) && bad < 0) bad = i;
  }
  const ok = bad < 0;
  const message = ok ? `max abs diff ${maxAbs}`
    : `mismatch at ${bad}: got ${actual[bad]}, want ${expected[bad]} (max abs diff ${maxAbs} at ${worst})`;
  return { ok, maxAbs, worstIndex: worst, message };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return compareClose(a, b, 0, 0).maxAbs;
}
