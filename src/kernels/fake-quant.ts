import code from '../shaders/fake_quant.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 256;

/** y = DequantizeLinear(QuantizeLinear(x, scale, zero)) with int8 limits, elementwise. */
export function fakeQuant(ctx: GpuContext, x: GpuTensor, y: GpuTensor, scale: number, zero: number, label = 'fakeQuant'): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(y.shape) !== count) throw new Error(`${label}: ${count} inputs but ${sizeOf(y.shape)} outputs`);
  if (!(scale > 0)) throw new Error(`${label}: scale must be positive, got ${scale}`);
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(count).f32(Math.fround(1 / scale)).f32(scale).i32(zero).finish());
  const pipeline = ctx.pipeline('fakeQuant', code, { WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, y.buffer]), workgroups: gridFor(count, WG) }];
}
