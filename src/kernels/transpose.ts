import code from '../shaders/transpose.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sameShape, sizeOf, stridesOf } from '../core/shape';
import { withStrided, type GpuTensor } from './common';
import { checkRank, collapseDims, MAX_DIMS } from './strides';

const WG = 256;

export interface StridedCopy {
  shape: readonly number[];
  xStrides: readonly number[];
  yStrides: readonly number[];
  xOffset?: number;
  yOffset?: number;
}

/**
 * One launch of the strided-copy kernel (transpose.wgsl), shared by transpose and concat so both
 * use a single pipeline: y[yOffset + idx·yStrides] = x[xOffset + idx·xStrides] over `shape`.
 */
export function stridedCopy(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, copy: StridedCopy, label: string): Dispatch[] {
  const count = sizeOf(copy.shape);
  if (count === 0) return [];
  const { shape, strides } = collapseDims(copy.shape, [copy.xStrides, copy.yStrides]);
  const [xs, ys] = strides as [number[], number[]];
  checkRank(label, shape.length);
  const w = new UniformWriter().u32(count).u32(shape.length).u32(copy.xOffset ?? 0).u32(copy.yOffset ?? 0)
    .u32s(shape, MAX_DIMS).u32s(xs, MAX_DIMS).u32s(ys, MAX_DIMS);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('stridedCopy', withStrided(code), { WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, x, y]), workgroups: gridFor(count, WG) }];
}

/** y = x.transpose(perm): y.shape[d] = x.shape[perm[d]], any rank up to 8. */
export function transpose(ctx: GpuContext, x: GpuTensor, y: GpuTensor, perm: number[], label = 'transpose'): Dispatch[] {
  const r = x.shape.length;
  const seen = new Set(perm);
  if (perm.length !== r || seen.size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) {
    throw new Error(`transpose: perm [${perm}] is not a permutation of ${r} axes`);
  }
  const outShape = perm.map((p) => x.shape[p]!);
  if (!sameShape(outShape, y.shape)) throw new Error(`transpose: output is [${y.shape}] but [${x.shape}] permuted by [${perm}] is [${outShape}]`);
  // Gather: walk y in order; along y's axis d, x moves by its stride on axis perm[d].
  const xs = stridesOf(x.shape);
  return stridedCopy(ctx, x.buffer, y.buffer, { shape: outShape, xStrides: perm.map((p) => xs[p]!), yStrides: stridesOf(outShape) }, label);
}
