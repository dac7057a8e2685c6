import code from '../shaders/softmax.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { normAxis, sameShape, sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const WG = 64;
/** Rows up to this long get a thread each; longer ones a workgroup each (see softmax.wgsl). */
export const SOFTMAX_ROW_PER_THREAD_MAX = 32;

/**
 * y = softmax(x) along `axis` (or log-softmax when `log`), any rank; x and y share a shape.
 * Opset < 13's "coerce to 2-D" is the caller's reshape. Pipelines: one per `log`.
 */
export function softmax(ctx: GpuContext, x: GpuTensor, y: GpuTensor, axis: number, log: boolean, label = log ? 'logSoftmax' : 'softmax'): Dispatch[] {
  const r = x.shape.length;
  const ax = normAxis(axis, r);
  if (!Number.isInteger(ax) || ax < 0 || ax >= r) throw new Error(`${label}: axis ${axis} is outside rank ${r}`);
  if (!sameShape(x.shape, y.shape)) throw new Error(`${label}: output is [${y.shape}] but input is [${x.shape}]`);
  const len = x.shape[ax]!;
  const inner = sizeOf(x.shape.slice(ax + 1));
  const rows = sizeOf(x.shape.slice(0, ax)) * inner;
  if (rows === 0 || len === 0) return [];
  const perThread = len <= SOFTMAX_ROW_PER_THREAD_MAX;
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(rows).u32(len).u32(inner).u32(perThread ? 1 : 0).finish());
  const pipeline = ctx.pipeline('softmax', code, { LOG: log ? 1 : 0, WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, y.buffer]),
    workgroups: perThread ? gridFor(rows, WG) : gridFor(rows, 1),
  }];
}
