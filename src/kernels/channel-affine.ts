import code from '../shaders/channel_affine.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type Activation, type GpuTensor } from './common';

const WG = 256;

/**
 * y = act(x * scale[c] + shift[c]) for x of shape (N, C, spatial...) or (N, C): BatchNormalization
 * at inference after `batchNormToAffine`, or any per-channel scale and shift.
 */
export function channelAffine(
  ctx: GpuContext, x: GpuTensor, scale: GpuTensor, shift: GpuTensor, y: GpuTensor, act: Activation,
  label = 'channelAffine',
): Dispatch[] {
  if (x.shape.length < 2) throw new Error(`${label}: x (${x.shape.join(', ')}) needs (N, C, ...)`);
  const C = x.shape[1]!;
  const count = sizeOf(x.shape);
  if (sizeOf(y.shape) !== count) throw new Error(`${label}: ${count} inputs but ${sizeOf(y.shape)} outputs`);
  if (sizeOf(scale.shape) !== C || sizeOf(shift.shape) !== C) {
    throw new Error(`${label}: scale and shift need ${C} values (one per channel), got ${sizeOf(scale.shape)} and ${sizeOf(shift.shape)}`);
  }
  if (count === 0) return [];
  const spatial = sizeOf(x.shape.slice(2));
  const [a, b] = activationParams(act);
  const params = ctx.uniform(`${label}:params`,
    new UniformWriter().u32(count).u32(C).u32(spatial).u32(0).f32(a).f32(b).finish());
  const pipeline = ctx.pipeline('channelAffine', withActivation(code), { ACT: ACT[act.kind], WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, scale.buffer, shift.buffer, y.buffer]),
    workgroups: gridFor(count, WG),
  }];
}

/**
 * BatchNormalization (inference) as y = x * scale + shift per channel:
 * scale = gamma / sqrt(variance + epsilon), shift = beta - mean * scale. Computed in f64, then
 * rounded once to f32. Also what the engine uses to fold a BN into the preceding Conv's weights.
 */
export function batchNormToAffine(
  gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, epsilon: number,
): { scale: Float32Array; shift: Float32Array } {
  const C = gamma.length;
  if (beta.length !== C || mean.length !== C || variance.length !== C) {
    throw new Error(`batchNormToAffine: gamma, beta, mean and variance need ${C} values each`);
  }
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const s = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
    scale[c] = s;
    shift[c] = beta[c]! - mean[c]! * s;
  }
  return { scale, shift };
}
