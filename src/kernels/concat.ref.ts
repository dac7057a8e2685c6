import { sizeOf } from '../core/shape';

/** Inputs (outer, n_i, inner) around `axis` -> y (outer, sum n_i, inner). */
export function concatRef(inputs: readonly Float32Array[], shapes: readonly (readonly number[])[], axis: number): Float32Array {
  const first = shapes[0]!;
  const outer = sizeOf(first.slice(0, axis));
  const inner = sizeOf(first.slice(axis + 1));
  const total = shapes.reduce((s, sh) => s + sh[axis]!, 0);
  const y = new Float32Array(outer * total * inner);
  let offset = 0;
  inputs.forEach((x, k) => {
    const n = shapes[k]![axis]!;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < inner; i++) y[(o * total + offset + j) * inner + i] = x[(o * n + j) * inner + i]!;
      }
    }
    offset += n;
  });
  return y;
}
