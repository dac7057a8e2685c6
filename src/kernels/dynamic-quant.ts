/**
 * ONNX DynamicQuantizeLinear's (scale, zero point) for a whole tensor, computed on the GPU
 * (shaders/dynamic_quant_params.wgsl): uint8 grid, range widened to hold 0, all-zero input gives
 * scale 1, zero 0. qparams = (scale, zero, 1/scale, 0) is the layout the int8 kernels' `xq` reads.
 */
import code from '../shaders/dynamic_quant_params.wgsl?raw';
import partialsCode from '../shaders/range_partials.wgsl?raw';
import foldCode from '../shaders/range_fold.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

/** Where absent outputs write: one pair per context (WebGPU forbids aliased writable bindings). */
const scratch = new WeakMap<GpuContext, [GPUBuffer, GPUBuffer]>();

/** Tensors of at least this many values are reduced in two passes (range_partials.wgsl first). */
export const RANGE_TWO_PASS_MIN = 1 << 16;
/** Values each first-pass workgroup folds; at most RANGE_MAX_PARTIALS workgroups (more values each beyond that). */
const RANGE_CHUNK = 1 << 14;
const RANGE_MAX_PARTIALS = 256;

/** The first pass's partials for a tensor of `count` values: (min, max) per workgroup, as f32 words; 0 for one pass. */
export function rangePartialWords(count: number): number {
  return count < RANGE_TWO_PASS_MIN ? 0 : 2 * Math.min(RANGE_MAX_PARTIALS, Math.ceil(count / RANGE_CHUNK));
}

/**
 * Writes qparams (f32[4]: scale, zero, invScale = 1/scale, 0) and, when given, scaleOut (f32[1]) and
 * zeroOut (f32[1]). A tensor of RANGE_TWO_PASS_MIN values or more is first folded by many workgroups
 * into `partials` (rangePartialWords(count) f32, the caller's scratch; acquired here when absent),
 * with the same result bit for bit.
 */
export function dynamicQuantParams(
  ctx: GpuContext, x: GpuTensor, out: { qparams: GpuTensor; scale?: GpuTensor; zero?: GpuTensor; partials?: GpuTensor }, label = 'dynamicQuantParams',
): Dispatch[] {
  if (sizeOf(out.qparams.shape) !== 4) throw new Error(`${label}: qparams must hold 4 values, got [${out.qparams.shape}]`);
  for (const [name, t] of [['scale', out.scale], ['zero', out.zero]] as const) {
    if (t && sizeOf(t.shape) !== 1) throw new Error(`${label}: ${name} must hold 1 value, got [${t.shape}]`);
  }
  let spare = scratch.get(ctx);
  if (!spare) scratch.set(ctx, (spare = [ctx.acquire('dynamicQuantParams:scratch0', 16), ctx.acquire('dynamicQuantParams:scratch1', 16)]));
  const count = sizeOf(x.shape);
  const words = rangePartialWords(count);
  const first: Dispatch[] = [];
  let source = x.buffer, sourceCount = count;
  if (words > 0) {
    const groups = words / 2;
    const partials = out.partials?.buffer ?? ctx.acquire(`${label}:partials`, words * 4);
    if (partials.size < words * 4) throw new Error(`${label}: partials hold ${partials.size} bytes, need ${words * 4}`);
    const pp = ctx.uniform(`${label}:partials-params`, new UniformWriter().u32(count).u32(Math.ceil(count / groups)).finish());
    const pass1 = ctx.pipeline('rangePartials', `${foldCode}\n${partialsCode}`);
    first.push({ label: `${label}:partials`, pipeline: pass1, bindGroup: ctx.bindGroup(`${label}:partials`, pass1, [pp, x.buffer, partials]), workgroups: [groups, 1, 1] });
    source = partials; sourceCount = words;
  }
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(sourceCount).f32(255).finish());
  const pipeline = ctx.pipeline('dynamicQuantParams', `${foldCode}\n${code}`);
  const buffers = [params, source, out.qparams.buffer, out.scale?.buffer ?? spare[0], out.zero?.buffer ?? spare[1]];
  return [...first, { label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: [1, 1, 1] }];
}
