import code from '../shaders/pad.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sameShape, sizeOf } from '../core/shape';
import { withStrided, type GpuTensor } from './common';
import { checkRank, MAX_DIMS } from './strides';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';
/** The WGSL `override MODE` values; keep in step with pad.wgsl. */
export const PAD_CODES: Record<PadMode, number> = { constant: 0, reflect: 1, edge: 2, wrap: 3 };

const WG = 256;

/** y = x padded by begin/end per axis (negative crops); value's single element fills constant mode. */
export function pad(
  ctx: GpuContext, x: GpuTensor, value: GpuTensor, y: GpuTensor,
  opts: { mode: PadMode; begin: readonly number[]; end: readonly number[] }, label = 'pad',
): Dispatch[] {
  const r = x.shape.length;
  if (sizeOf(value.shape) !== 1) throw new Error(`${label}: the fill value must be one element, got [${value.shape}]`);
  const want = x.shape.map((d, i) => d + opts.begin[i]! + opts.end[i]!);
  if (opts.begin.length !== r || opts.end.length !== r || !sameShape(want, y.shape)) {
    throw new Error(`${label}: [${x.shape}] padded by [${opts.begin}] / [${opts.end}] is [${want}], not [${y.shape}]`);
  }
  checkRank(label, r);
  const count = sizeOf(y.shape);
  if (count === 0) return [];
  if (opts.mode !== 'constant' && sizeOf(x.shape) === 0) throw new Error(`${label}: mode '${opts.mode}' needs a non-empty input`);
  const w = new UniformWriter().u32(count).u32(r).u32(0).u32(0).u32s(y.shape, MAX_DIMS).u32s(x.shape, MAX_DIMS);
  for (let i = 0; i < MAX_DIMS; i++) w.i32(opts.begin[i] ?? 0);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('pad', withStrided(code), { MODE: PAD_CODES[opts.mode], WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, value.buffer, y.buffer]), workgroups: gridFor(count, WG) }];
}
