import code from '../shaders/batchnorm_params.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 64;

/**
 * BN's scale and shift (C values each) computed on the GPU, for
 * BatchNormalization whose parameters are graph inputs rather than initializers. The host path
 * for constant parameters is `batchNormToAffine`, which is also this kernel's reference.
 */
export function batchNormParams(
  ctx: GpuContext, gamma: GpuTensor, beta: GpuTensor, mean: GpuTensor, variance: GpuTensor,
  scale: GpuTensor, shift: GpuTensor, epsilon: number, label = 'batchNormParams',
): Dispatch[] {
  const C = sizeOf(gamma.shape);
  for (const t of [beta, mean, variance, scale, shift]) {
    if (sizeOf(t.shape) !== C) throw new Error(`${label}: every parameter needs ${C} values, got [${t.shape}]`);
  }
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(C).f32(epsilon).finish());
  const pipeline = ctx.pipeline('batchNormParams', code, { WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, gamma.buffer, beta.buffer, mean.buffer, variance.buffer, scale.buffer, shift.buffer]),
    workgroups: [Math.max(1, Math.ceil(C / WG)), 1, 1],
  }];
}
