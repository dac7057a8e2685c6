import code from '../shaders/binary.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from '../core/shape';
import { withStrided, type GpuTensor } from './common';
import { checkRank, collapseDims, MAX_DIMS } from './strides';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

/** The WGSL `override OP` values; keep in step with binary.wgsl. */
export const BINARY_OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };

const WG = 256;
/** binary.wgsl's MODE: how the operands' indices follow from the output's. */
export const BINARY_MODES = { strided: 0, same: 1, rowsB: 2, rowsA: 3 } as const;
/**
 * The row modes' workgroup: 256 wide for rows of 128 or more, else 64 wide. Rows shorter than 32
 * stay strided: they would leave most of a workgroup idle. efficientnet's last squeeze-excite
 * scales have rows of 49 (7x7), where the strided form paid two divisions an element.
 */
const ROW_WG_NARROW = 64;
const MIN_ROW = ROW_WG_NARROW / 2;
const rowWorkgroup = (I: number) => (I >= WG / 2 ? WG : ROW_WG_NARROW);
const MAX_GROUPS = 65535;

/** y = a op b elementwise, numpy broadcasting; y has the broadcast shape (rank <= 8 after collapsing). */
export function binary(ctx: GpuContext, op: BinaryOp, a: GpuTensor, b: GpuTensor, y: GpuTensor, label = `binary:${op}`): Dispatch[] {
  const outShape = broadcastShapes(a.shape, b.shape);
  if (!outShape) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] do not broadcast`);
  if (!sameShape(outShape, y.shape)) throw new Error(`${op}: output is [${y.shape}] but [${a.shape}] ${op} [${b.shape}] gives [${outShape}]`);
  const count = sizeOf(outShape);
  if (count === 0) return [];

  const { shape, strides } = collapseDims(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
  const [sa, sb] = strides as [number[], number[]];
  checkRank(op, shape.length);
  // After collapsing, operands laid out like the output have rank <= 1 and unit stride; a [R, I]
  // shape where one operand has strides [I, 1] and the other [1, 0] broadcasts one value a row.
  const same = shape.length === 0 || (shape.length === 1 && sa[0] === 1 && sb[0] === 1);
  const [R, I] = shape as [number, number];
  const rows = shape.length === 2 && I >= MIN_ROW && I <= MAX_GROUPS * WG && R <= MAX_GROUPS;
  const laidOut = (s: number[]) => s[0] === I && s[1] === 1, perRow = (s: number[]) => s[0] === 1 && s[1] === 0;
  const mode = same ? BINARY_MODES.same
    : rows && laidOut(sa) && perRow(sb) ? BINARY_MODES.rowsB
      : rows && perRow(sa) && laidOut(sb) ? BINARY_MODES.rowsA : BINARY_MODES.strided;

  const w = new UniformWriter().u32(count).u32(shape.length).u32(0).u32(0)
    .u32s(shape, MAX_DIMS).u32s(sa, MAX_DIMS).u32s(sb, MAX_DIMS);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const rowMode = mode >= BINARY_MODES.rowsB;
  const wg = rowMode ? rowWorkgroup(I) : WG;
  const pipeline = ctx.pipeline('binary', withStrided(code), { MODE: mode, OP: BINARY_OPS[op], WG: wg });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, a.buffer, b.buffer, y.buffer]),
    workgroups: rowMode ? [Math.ceil(I / wg), R, 1] : gridFor(count, wg),
  }];
}
