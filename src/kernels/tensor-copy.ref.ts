import { sizeOf, stridesOf } from '../core/shape';

/** Each flat index of `shape` (row-major) as per-axis indices. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = sizeOf(shape), idx = shape.map(() => 0);
  for (let i = 0; i < n; i++) {
    yield idx;
    for (let a = shape.length - 1; a >= 0; a--) { if (++idx[a]! < shape[a]!) break; idx[a] = 0; }
  }
}

/** y (dims) = x[begin + idx * steps] per axis; x (shape). */
export function sliceRef(x: Float32Array, shape: readonly number[], begin: readonly number[], steps: readonly number[], dims: readonly number[]): Float32Array {
  const st = stridesOf(shape), y = new Float32Array(sizeOf(dims));
  let k = 0;
  for (const idx of indices(dims)) y[k++] = x[idx.reduce((acc, i, a) => acc + (begin[a]! + i * steps[a]!) * st[a]!, 0)]!;
  return y;
}

/** Consecutive pieces of x (shape) along axis, of the given sizes. */
export function splitRef(x: Float32Array, shape: readonly number[], axis: number, sizes: readonly number[]): Float32Array[] {
  let start = 0;
  return sizes.map((s) => {
    const dims = shape.map((d, i) => (i === axis ? s : d));
    const y = sliceRef(x, shape, shape.map((_, i) => (i === axis ? start : 0)), shape.map(() => 1), dims);
    start += s;
    return y;
  });
}

/** x (shape) broadcast to out (numpy rules: x aligned to the trailing axes, size-1 axes repeat). */
export function expandRef(x: Float32Array, shape: readonly number[], out: readonly number[]): Float32Array {
  const st = stridesOf(shape), lead = out.length - shape.length, y = new Float32Array(sizeOf(out));
  let k = 0;
  for (const idx of indices(out)) {
    let off = 0;
    for (let a = 0; a < shape.length; a++) off += (shape[a] === 1 ? 0 : idx[lead + a]!) * st[a]!;
    y[k++] = x[off]!;
  }
  return y;
}

/** x (shape) repeated reps[a] times along each axis a. */
export function tileRef(x: Float32Array, shape: readonly number[], reps: readonly number[]): Float32Array {
  const out = shape.map((d, a) => d * reps[a]!), st = stridesOf(shape), y = new Float32Array(sizeOf(out));
  let k = 0;
  for (const idx of indices(out)) y[k++] = x[idx.reduce((acc, i, a) => acc + (i % shape[a]!) * st[a]!, 0)]!;
  return y;
}
