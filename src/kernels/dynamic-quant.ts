/**
 * ONNX DynamicQuantizeLinear's (scale, zero point) for a whole tensor, computed on the GPU
 * (shaders/dynamic_quant_params.wgsl): uint8 grid, range widened to hold 0, all-zero input gives
 * scale 1, zero 0. qparams = (scale, zero, 1/scale, 0) is the layout the int8 kernels' `xq` reads.
 */
import code from '../shaders/dynamic_quant_params.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

/** Where absent outputs write: one pair per context (WebGPU forbids aliased writable bindings). */
const scratch = new WeakMap<GpuContext, [GPUBuffer, GPUBuffer]>();

/** Writes qparams (f32[4]: scale, zero, invScale = 1/scale, 0) and, when given, scaleOut (f32[1]) and zeroOut (f32[1]). */
export function dynamicQuantParams(
  ctx: GpuContext, x: GpuTensor, out: { qparams: GpuTensor; scale?: GpuTensor; zero?: GpuTensor }, label = 'dynamicQuantParams',
): Dispatch[] {
  if (sizeOf(out.qparams.shape) !== 4) throw new Error(`${label}: qparams must hold 4 values, got [${out.qparams.shape}]`);
  for (const [name, t] of [['scale', out.scale], ['zero', out.zero]] as const) {
    if (t && sizeOf(t.shape) !== 1) throw new Error(`${label}: ${name} must hold 1 value, got [${t.shape}]`);
  }
  let spare = scratch.get(ctx);
  if (!spare) scratch.set(ctx, (spare = [ctx.acquire('dynamicQuantParams:scratch0', 16), ctx.acquire('dynamicQuantParams:scratch1', 16)]));
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(sizeOf(x.shape)).f32(255).finish());
  const pipeline = ctx.pipeline('dynamicQuantParams', code);
  const buffers = [params, x.buffer, out.qparams.buffer, out.scale?.buffer ?? spare[0], out.zero?.buffer ?? spare[1]];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: [1, 1, 1] }];
}
