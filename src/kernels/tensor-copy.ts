/**
 * Slice, Split, Expand and Tile as launches of the strided-copy kernel (transpose.wgsl): each is a
 * read of x through some strides (0 where it broadcasts, negative where a slice steps backwards;
 * u32 arithmetic wraps, so a negative stride works modulo 2^32) into a contiguous y.
 */
import type { Dispatch, GpuContext } from '../gpu/context';
import { broadcastStrides, sameShape, sizeOf, stridesOf } from '../core/shape';
import type { GpuTensor } from './common';
import { stridedCopy } from './transpose';

/** y[idx] = x[offset + idx·strides]: a slice given its first element and per-axis input strides. */
export function sliceCopy(ctx: GpuContext, x: GpuTensor, y: GpuTensor, offset: number, strides: readonly number[], label = 'slice'): Dispatch[] {
  if (strides.length !== y.shape.length) throw new Error(`${label}: ${strides.length} strides for output [${y.shape}]`);
  return stridedCopy(ctx, x.buffer, y.buffer, { shape: y.shape, xStrides: strides, yStrides: stridesOf(y.shape), xOffset: offset }, label);
}

/** Each y[k] takes the next ys[k].shape[axis] entries of x along `axis`. */
export function split(ctx: GpuContext, x: GpuTensor, ys: readonly GpuTensor[], axis: number, label = 'split'): Dispatch[] {
  const xs = stridesOf(x.shape);
  let start = 0;
  const out: Dispatch[] = [];
  ys.forEach((y, k) => {
    if (y.shape.length !== x.shape.length || y.shape.some((d, i) => i !== axis && d !== x.shape[i])) {
      throw new Error(`${label}: output ${k} [${y.shape}] does not match input [${x.shape}] outside axis ${axis}`);
    }
    out.push(...sliceCopy(ctx, x, y, start * xs[axis]!, xs, `${label}:${k}`));
    start += y.shape[axis]!;
  });
  if (start !== x.shape[axis]) throw new Error(`${label}: outputs take ${start} of the ${x.shape[axis]} entries along axis ${axis}`);
  return out;
}

/** y = x broadcast (numpy rules) to y's shape. */
export function expand(ctx: GpuContext, x: GpuTensor, y: GpuTensor, label = 'expand'): Dispatch[] {
  if (y.shape.length < x.shape.length || x.shape.some((d, i) => d !== 1 && d !== y.shape[y.shape.length - x.shape.length + i])) {
    throw new Error(`${label}: [${x.shape}] does not broadcast to [${y.shape}]`);
  }
  return sliceCopy(ctx, x, y, 0, broadcastStrides(x.shape, y.shape), label);
}

/**
 * y = x repeated reps[d] times along each axis d. y viewed as (reps[0], x0, reps[1], x1, ...) reads
 * x with stride 0 along each repeat axis, so one launch covers every copy.
 */
export function tile(ctx: GpuContext, x: GpuTensor, y: GpuTensor, reps: readonly number[], label = 'tile'): Dispatch[] {
  const want = x.shape.map((d, i) => d * reps[i]!);
  if (reps.length !== x.shape.length || !sameShape(want, y.shape)) throw new Error(`${label}: [${x.shape}] tiled by [${reps}] is [${want}], not [${y.shape}]`);
  if (sizeOf(want) === 0) return [];
  const xs = stridesOf(x.shape);
  const shape = x.shape.flatMap((d, i) => [reps[i]!, d]);
  const xStrides = xs.flatMap((s) => [0, s]);
  return stridedCopy(ctx, x.buffer, y.buffer, { shape, xStrides, yStrides: stridesOf(shape) }, label);
}
