import code from '../shaders/reduce.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf, stridesOf } from '../core/shape';
import { withStrided, type GpuTensor } from './common';
import { checkRank, collapseDims, MAX_DIMS } from './strides';

export type ReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'l1' | 'l2' | 'sumSquare' | 'logSum' | 'logSumExp';

/** The WGSL `override OP` values; keep in step with reduce.wgsl. */
export const REDUCE_CODES: Record<ReduceOp, number> = {
  sum: 0, mean: 1, max: 2, min: 3, prod: 4, l1: 5, l2: 6, sumSquare: 7, logSum: 8, logSumExp: 9,
};

const WG = 64;

/**
 * y = reduce(x) over `axes` (normalised, any order); y holds the kept axes in order, so keepdims
 * only changes y's shape, never its layout. An empty axis list copies x.
 */
export function reduce(ctx: GpuContext, op: ReduceOp, x: GpuTensor, y: GpuTensor, axes: readonly number[], label = `reduce:${op}`): Dispatch[] {
  const r = x.shape.length;
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= r)) throw new Error(`${label}: axes [${axes}] out of range for [${x.shape}]`);
  const red = new Set(axes);
  const st = stridesOf(x.shape);
  const keptDims = x.shape.map((_, i) => i).filter((i) => !red.has(i));
  const redDims = [...red].sort((a, b) => a - b);
  const count = sizeOf(keptDims.map((i) => x.shape[i]!));
  if (sizeOf(y.shape) !== count) throw new Error(`${label}: output [${y.shape}] does not hold the ${count} kept elements of [${x.shape}]`);
  if (count === 0) return [];
  const kept = collapseDims(keptDims.map((i) => x.shape[i]!), [keptDims.map((i) => st[i]!)]);
  const reduced = collapseDims(redDims.map((i) => x.shape[i]!), [redDims.map((i) => st[i]!)]);
  checkRank(label, kept.shape.length);
  checkRank(label, reduced.shape.length);
  const w = new UniformWriter().u32(count).u32(kept.shape.length).u32(reduced.shape.length).u32(sizeOf(redDims.map((i) => x.shape[i]!)))
    .u32s(kept.shape, MAX_DIMS).u32s(kept.strides[0]!, MAX_DIMS).u32s(reduced.shape, MAX_DIMS).u32s(reduced.strides[0]!, MAX_DIMS);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('reduce', withStrided(code), { OP: REDUCE_CODES[op], WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, y.buffer]), workgroups: gridFor(count, WG) }];
}
