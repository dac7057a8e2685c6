import code from '../shaders/lrn.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sameShape, sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

export interface LrnAttrs { size: number; alpha: number; beta: number; bias: number }

const WG = 256;

/** LRN across channels of x (N, C, spatial...); y has x's shape. */
export function lrn(ctx: GpuContext, x: GpuTensor, y: GpuTensor, attrs: LrnAttrs, label = 'lrn'): Dispatch[] {
  if (x.shape.length < 2 || !sameShape(x.shape, y.shape)) throw new Error(`${label}: input [${x.shape}] and output [${y.shape}] must be the same (N, C, ...) shape`);
  if (!Number.isInteger(attrs.size) || attrs.size < 1) throw new Error(`${label}: size ${attrs.size} must be a positive integer`);
  const count = sizeOf(x.shape);
  if (count === 0) return [];
  const w = new UniformWriter().u32(count).u32(x.shape[1]!).u32(sizeOf(x.shape.slice(2))).u32(attrs.size)
    .f32(attrs.alpha).f32(attrs.beta).f32(attrs.bias).u32(0);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('lrn', code, { WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, y.buffer]), workgroups: gridFor(count, WG) }];
}
