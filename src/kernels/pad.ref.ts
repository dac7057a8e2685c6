import { sizeOf, stridesOf } from '../core/shape';
import type { PadMode } from './pad';

/** y = x (shape) padded by begin/end per axis; negative pads crop. */
export function padRef(x: Float32Array, shape: readonly number[], mode: PadMode, begin: readonly number[], end: readonly number[], value: number): Float32Array {
  const out = shape.map((d, i) => d + begin[i]! + end[i]!), st = stridesOf(shape), y = new Float32Array(sizeOf(out));
  const fold = (c: number, n: number): number => {
    if (mode === 'edge') return Math.min(Math.max(c, 0), n - 1);
    if (mode === 'wrap') return ((c % n) + n) % n;
    // reflect: mirror about the edge elements without repeating them (period 2(n-1)).
    if (n === 1) return 0;
    const p = 2 * (n - 1), m = ((c % p) + p) % p;
    return m >= n ? p - m : m;
  };
  for (let i = 0; i < y.length; i++) {
    let rem = i, src = 0, outside = false;
    for (let a = out.length - 1; a >= 0; a--) {
      let c = (rem % out[a]!) - begin[a]!;
      rem = Math.floor(rem / out[a]!);
      if (c < 0 || c >= shape[a]!) {
        if (mode === 'constant') { outside = true; break; }
        c = fold(c, shape[a]!);
      }
      src += c * st[a]!;
    }
    y[i] = outside ? value : x[src]!;
  }
  return y;
}
