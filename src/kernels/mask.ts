import maskCode from '../shaders/apply_mask.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 64;

/**
 * In place: param[i] = mask[i] ≠ 0 ? param[i] : 0. Planned once and submitted after every optimizer
 * step of a pruned model's fine-tuning; the mask buffer's contents may change between submissions
 * (a gradual schedule raises the sparsity).
 */
export function applyMask(ctx: GpuContext, param: GpuTensor, mask: GpuTensor, label = 'applyMask'): Dispatch[] {
  const n = sizeOf(param.shape);
  if (sizeOf(mask.shape) !== n) throw new Error(`${label}: the mask holds ${sizeOf(mask.shape)} values, the parameter ${n}`);
  if (n === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(n).finish());
  const pipeline = ctx.pipeline('applyMask', maskCode, { WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, param.buffer, mask.buffer]), workgroups: gridFor(n, WG) }];
}
