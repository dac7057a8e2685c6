import type { Dispatch, GpuContext } from '../gpu/context';
import { sameShape, stridesOf } from '../core/shape';
import type { GpuTensor } from './common';
import { stridedCopy } from './transpose';

/**
 * y = concatenate(inputs, axis): every input has y's shape except along `axis` (non-negative),
 * where the sizes add up to y's. One strided-copy dispatch per non-empty input, each writing its
 * slab of y; all share transpose's pipeline.
 */
export function concat(ctx: GpuContext, inputs: GpuTensor[], y: GpuTensor, axis: number, label = 'concat'): Dispatch[] {
  const r = y.shape.length;
  if (inputs.length === 0) throw new Error('concat: no inputs');
  if (!Number.isInteger(axis) || axis < 0 || axis >= r) throw new Error(`concat: axis ${axis} is outside rank ${r}`);
  let total = 0;
  for (const t of inputs) {
    const expect = y.shape.map((d, i) => (i === axis ? t.shape[axis]! : d));
    if (!sameShape(t.shape, expect)) throw new Error(`concat: input [${t.shape}] does not match output [${y.shape}] off axis ${axis}`);
    total += t.shape[axis]!;
  }
  if (total !== y.shape[axis]) throw new Error(`concat: inputs add up to ${total} along axis ${axis}, output has ${y.shape[axis]}`);

  // Scatter: walk each input in order; it lands in y at `offset` along the axis, with y's strides.
  const ys = stridesOf(y.shape);
  const out: Dispatch[] = [];
  let offset = 0;
  inputs.forEach((t, i) => {
    out.push(...stridedCopy(ctx, t.buffer, y.buffer, {
      shape: t.shape, xStrides: stridesOf(t.shape), yStrides: ys, yOffset: offset * ys[axis]!,
    }, `${label}[${i}]`));
    offset += t.shape[axis]!;
  });
  return out;
}
