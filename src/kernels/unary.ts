import code from '../shaders/unary.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type Activation, type GpuTensor } from './common';

const WG = 256;

/** y = act(x), elementwise; x and y have the same number of elements. */
export function unary(ctx: GpuContext, x: GpuTensor, y: GpuTensor, act: Activation, label = 'unary'): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(y.shape) !== count) throw new Error(`unary: ${count} inputs but ${sizeOf(y.shape)} outputs`);
  const [a, b] = activationParams(act);
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(count).f32(a).f32(b).u32(0).finish());
  const pipeline = ctx.pipeline('unary', withActivation(code), { ACT: ACT[act.kind], WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, y.buffer]),
    workgroups: gridFor(count, WG),
  }];
}
