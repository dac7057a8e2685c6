import poolCode from '../shaders/pool2d.wgsl?raw';
import globalChunksCode from '../shaders/global_avg_pool_chunks.wgsl?raw';
import globalRowsCode from '../shaders/global_avg_pool_rows.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';

const WG = 64;
const ROWS_WG = 64;
/** Up to this many values per row, one thread sums a row (global_avg_pool_rows.wgsl); above, two passes do. */
export const GLOBAL_ROW_PER_THREAD_MAX_HW = 64;

export interface PoolAttrs {
  kind: 'max' | 'avg';
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilations: [number, number];
  countIncludePad: boolean;
}

/** The params uniform pool2d.wgsl and pool2d_grad.wgsl share: sizes, window, pads, and how many invocations run. */
export function poolParams(ctx: GpuContext, label: string, [H, W, OH, OW]: number[], attrs: PoolAttrs, total: number): GPUBuffer {
  const [padT, padL, padB, padR] = attrs.pads;
  return ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(H!).u32(W!).u32(OH!).u32(OW!)
    .u32(attrs.kernel[0]).u32(attrs.kernel[1]).u32(attrs.strides[0]).u32(attrs.strides[1])
    .i32(padT).i32(padL).i32(padB).i32(padR)
    .u32(attrs.dilations[0]).u32(attrs.dilations[1]).u32(attrs.countIncludePad ? 1 : 0).u32(total)
    .finish());
}

/**
 * ONNX MaxPool / AveragePool over NCHW. y's shape (N, C, OH, OW) comes from the caller, so ceil_mode
 * is just a larger OH/OW: the last window may run past the padded end, and the kernel copes.
 */
export function pool2d(ctx: GpuContext, x: GpuTensor, y: GpuTensor, attrs: PoolAttrs, label = 'pool2d'): Dispatch[] {
  if (x.shape.length !== 4 || y.shape.length !== 4) {
    throw new Error(`${label}: x and y must be 4-D, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  }
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [yN, yC, OH, OW] = y.shape as [number, number, number, number];
  if (yN !== N || yC !== C) throw new Error(`${label}: y ${fmt(y.shape)} does not match x ${fmt(x.shape)}`);
  const [KH, KW] = attrs.kernel;
  if (!(KH >= 1 && KW >= 1)) throw new Error(`${label}: kernel ${attrs.kernel.join('x')} is empty`);
  const total = N * C * OH * OW;
  if (total === 0) return [];
  const params = poolParams(ctx, label, [H, W, OH, OW], attrs, total);
  // countIncludePad only changes a divisor, so it rides in params and costs no extra pipeline.
  const pipeline = ctx.pipeline('pool2d', poolCode, { KIND: attrs.kind === 'max' ? 0 : 1, WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, y.buffer]),
    workgroups: gridFor(total, WG),
  }];
}

/** Values each pass-1 invocation of the large-map GlobalAveragePool sums (global_avg_pool_chunks.wgsl's CHUNK). */
const GLOBAL_CHUNK = 256;

/** Floats of scratch globalAvgPool needs for x's shape (0: none, one pass). */
export function globalAvgPoolScratch(xShape: readonly number[]): number {
  const hw = xShape.slice(2).reduce((a, b) => a * b, 1);
  return hw <= GLOBAL_ROW_PER_THREAD_MAX_HW ? 0 : xShape[0]! * xShape[1]! * Math.ceil(hw / GLOBAL_CHUNK);
}

/**
 * GlobalAveragePool: y (N, C, 1, 1) = mean of x (N, C, H, W) over H, W. Up to 64 values a row, one
 * thread sums each row (global_avg_pool_rows.wgsl); above, pass 1 sums slices of 256 values, one
 * invocation each, into `scratch` (globalAvgPoolScratch floats), and pass 2 sums each row's slices.
 */
export function globalAvgPool(ctx: GpuContext, x: GpuTensor, y: GpuTensor, label = 'globalAvgPool', scratch?: GPUBuffer): Dispatch[] {
  if (x.shape.length < 3) throw new Error(`${label}: x ${fmt(x.shape)} needs (N, C, spatial...)`);
  const [N, C] = x.shape as [number, number];
  const hw = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const ySize = y.shape.reduce((a, b) => a * b, 1);
  if (ySize !== N * C) throw new Error(`${label}: y ${fmt(y.shape)} should hold N*C = ${N * C} values`);
  const rows = N * C;
  if (rows === 0) return [];
  const fold = ctx.pipeline('globalAvgPoolRows', globalRowsCode, { WG: ROWS_WG });
  const foldDispatch = (src: GPUBuffer, perRow: number): Dispatch => ({
    label, pipeline: fold, workgroups: gridFor(rows, ROWS_WG),
    bindGroup: ctx.bindGroup(label, fold, [ctx.uniform(`${label}:params`, new UniformWriter().u32(rows).u32(perRow).u32(hw).finish()), src, y.buffer]),
  });
  const need = globalAvgPoolScratch(x.shape);
  if (!need) return [foldDispatch(x.buffer, hw)];
  if (!scratch || scratch.size < need * 4) throw new Error(`${label}: needs a scratch buffer of ${need * 4} bytes (globalAvgPoolScratch), got ${scratch?.size ?? 'none'}`);
  const chunks = Math.ceil(hw / GLOBAL_CHUNK);
  const sums = ctx.pipeline('globalAvgPoolChunks', globalChunksCode, { WG: ROWS_WG, CHUNK: GLOBAL_CHUNK });
  const params = ctx.uniform(`${label}:chunk-params`, new UniformWriter().u32(rows).u32(hw).u32(chunks).u32(rows * chunks).finish());
  return [
    { label: `${label}:slices`, pipeline: sums, bindGroup: ctx.bindGroup(`${label}:slices`, sums, [params, x.buffer, scratch]), workgroups: gridFor(rows * chunks, ROWS_WG) },
    foldDispatch(scratch, chunks),
  ];
}

function fmt(shape: readonly number[]): string { return `(${shape.join(', ')})`; }
