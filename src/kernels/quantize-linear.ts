/**
 * Runtime ONNX QuantizeLinear / DequantizeLinear (shaders/quantize_linear.wgsl), per tensor or
 * per axis, with scale and zero point in GPU buffers (constants uploaded once, or values another
 * kernel computed, e.g. dynamicQuantParams). Integer tensors are f32 holding integer values.
 */
import code from '../shaders/quantize_linear.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 256;
const F32_INT_LIMIT = 2 ** 24; // f32 holds every integer up to here

export interface LinearQuantParams {
  scale: GpuTensor; // f32, length axisSize (per-axis) or 1 (per-tensor)
  zero: GpuTensor; // f32 holding integer zero points, same length as scale
  axisSize: number; // 1 for per-tensor
  inner: number; // product of dims after the axis (1 for per-tensor)
}

function plan(
  ctx: GpuContext, mode: 0 | 1, x: GpuTensor, p: LinearQuantParams, y: GpuTensor, lo: number, hi: number, label: string,
): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(y.shape) !== count) throw new Error(`${label}: x has ${count} values but y [${y.shape}] has ${sizeOf(y.shape)}`);
  const { axisSize, inner } = p;
  if (!(Number.isInteger(axisSize) && axisSize >= 1 && Number.isInteger(inner) && inner >= 1)) {
    throw new Error(`${label}: axisSize and inner must be positive integers, got ${axisSize}, ${inner}`);
  }
  if (count % (axisSize * inner) !== 0) {
    throw new Error(`${label}: x [${x.shape}] does not split into (outer, ${axisSize}, ${inner})`);
  }
  if (sizeOf(p.scale.shape) !== axisSize || sizeOf(p.zero.shape) !== axisSize) {
    throw new Error(`${label}: scale [${p.scale.shape}] and zero [${p.zero.shape}] need ${axisSize} values each`);
  }
  if (count === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(count).u32(axisSize).u32(inner).f32(lo).f32(hi).finish());
  const pipeline = ctx.pipeline('quantizeLinear', code, { WG, MODE: mode });
  const buffers = [params, x.buffer, p.scale.buffer, p.zero.buffer, y.buffer];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: gridFor(count, WG) }];
}

/** y = saturate(roundHalfEven(x / scale[c]) + zero[c]) into [lo, hi] (uint8: 0..255, int8: -128..127), stored as f32. */
export function quantizeLinear(
  ctx: GpuContext, x: GpuTensor, p: LinearQuantParams, y: GpuTensor, range: { lo: number; hi: number }, label = 'quantizeLinear',
): Dispatch[] {
  const { lo, hi } = range;
  const ok = (v: number) => Number.isInteger(v) && Math.abs(v) <= F32_INT_LIMIT;
  if (!ok(lo) || !ok(hi) || lo > hi) throw new Error(`${label}: range must be integers lo <= hi within ±2^24, got [${lo}, ${hi}]`);
  return plan(ctx, 0, x, p, y, lo, hi, label);
}

/** y = (x - zero[c]) * scale[c]. */
export function dequantizeLinear(ctx: GpuContext, x: GpuTensor, p: LinearQuantParams, y: GpuTensor, label = 'dequantizeLinear'): Dispatch[] {
  return plan(ctx, 1, x, p, y, 0, 0, label);
}
