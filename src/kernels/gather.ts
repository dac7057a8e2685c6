import code from '../shaders/gather.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sameShape, sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 256;

/** y = data.take(indices, axis): data's dims with `axis` replaced by the indices' dims. */
export function gather(ctx: GpuContext, data: GpuTensor, indices: GpuTensor, y: GpuTensor, axis: number, label = 'gather'): Dispatch[] {
  const d = data.shape;
  if (!Number.isInteger(axis) || axis < 0 || axis >= d.length) throw new Error(`${label}: axis ${axis} out of range for [${d}]`);
  const want = [...d.slice(0, axis), ...indices.shape, ...d.slice(axis + 1)];
  if (!sameShape(want, y.shape)) throw new Error(`${label}: output is [${y.shape}] but gathering [${indices.shape}] from [${d}] along ${axis} gives [${want}]`);
  const count = sizeOf(want);
  if (count === 0) return [];
  if (d[axis] === 0) throw new Error(`${label}: cannot gather from the empty axis ${axis} of [${d}]`);
  const w = new UniformWriter().u32(count).u32(d[axis]!).u32(sizeOf(d.slice(axis + 1))).u32(sizeOf(indices.shape));
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('gather', code, { WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, data.buffer, indices.buffer, y.buffer]), workgroups: gridFor(count, WG) }];
}
