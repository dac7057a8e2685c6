import { sizeOf } from '../core/shape';

/** x: (outer, len, inner) around `axis` -> y of the same shape, softmax or log-softmax along len. */
export function softmaxRef(x: Float32Array, shape: readonly number[], axis: number, log: boolean): Float32Array {
  const len = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const y = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * len + j) * inner + i;
      let m = -Infinity;
      for (let j = 0; j < len; j++) m = Math.max(m, x[at(j)]!);
      let s = 0;
      for (let j = 0; j < len; j++) s += Math.exp(x[at(j)]! - m);
      for (let j = 0; j < len; j++) {
        const v = x[at(j)]! - m;
        y[at(j)] = log ? v - Math.log(s) : Math.exp(v) / s;
      }
    }
  }
  return y;
}
