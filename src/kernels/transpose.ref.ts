import { sizeOf, stridesOf } from '../core/shape';

/** x: shape; y: shape permuted, y.shape[d] = shape[perm[d]], y[idx] = x[idx mapped back through perm]. */
export function transposeRef(x: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]!);
  const xs = stridesOf(shape), ys = stridesOf(outShape);
  const y = new Float32Array(sizeOf(outShape));
  for (let i = 0; i < y.length; i++) {
    let src = 0;
    for (let d = 0; d < outShape.length; d++) src += (Math.floor(i / ys[d]!) % outShape[d]!) * xs[perm[d]!]!;
    y[i] = x[src]!;
  }
  return y;
}
