import ioCode from '../shaders/int8_matmul_io.wgsl?raw';
import code from '../shaders/int8_matmul.wgsl?raw';
import smallCode from '../shaders/int8_matmul_small.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';
import { int8Module, int8Pipeline, int8QuantBindings, type Int8Options, type Int8Quant, type Int8Weights } from './int8';

const TILE = 64; // output tile side, BM/BN in int8_matmul.wgsl
const MAX_GROUPS = 65535;
/** Columns and rows one workgroup of int8_matmul_small.wgsl computes (NC, RB there). */
const SMALL_COLS = 32;
const SMALL_ROWS = 4;
/**
 * Up to this many rows go to the small-M kernel (K split across a workgroup, 32 columns each);
 * above it the 64x64 tile idles fewer rows and re-reads weights less. `npm run bench -- --only
 * kernels`, SwiftShader, N = K = 1024: M 8 small 37 ms vs tiled 192; M 16 small 115 vs tiled 354.
 * Kept at 16 rather than pushed higher because on a GPU the tile's reuse wins sooner.
 */
export const INT8_SMALL_M = 16;

/**
 * y = dequant(requant(quant(x) @ wq^T + bias)) with int8 arithmetic (see shaders/int8_matmul.wgsl),
 * or for 'float' weights y = (quant(x) @ wq^T) * xScale * wScale + biasF.
 * x: (..., K) f32, leading dims folded into M; w: (N, K) int8 from `uploadInt8Weights`;
 * y: (..., N) f32. x's quantisation is static (q.xScale, q.xZero) or dynamic (q.xq), see int8.ts.
 * One dispatch: M <= INT8_SMALL_M runs int8_matmul_small.wgsl (K split across a workgroup), larger M
 * the 64x64-tiled int8_matmul.wgsl; bit-identical results. Pipelines depend on that choice and the
 * dot4 variant only.
 */
export function int8Matmul(
  ctx: GpuContext, x: GpuTensor, w: Int8Weights, y: GpuTensor, q: Int8Quant, opts?: Int8Options,
): Dispatch[] {
  const label = opts?.label ?? 'int8_matmul';
  const { N, K } = w;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== K) {
    throw new Error(`${label}: x is [${x.shape}] but weights '${w.label}' expect K = ${K} last`);
  }
  const M = sizeOf(x.shape) / K;
  const yShape = [...x.shape.slice(0, -1), N];
  if (y.shape.length !== yShape.length || y.shape.some((d, i) => d !== yShape[i])) {
    throw new Error(`${label}: y is [${y.shape}] but x [${x.shape}] with N = ${N} gives [${yShape}]`);
  }
  if (M * N === 0) return [];
  const small = M <= INT8_SMALL_M;
  let grid: [number, number, number];
  if (small) {
    // Column blocks fold into x and y (the shader recombines them with num_workgroups); row blocks in z.
    const blocks = Math.ceil(N / SMALL_COLS);
    const gy = Math.ceil(blocks / MAX_GROUPS);
    grid = [Math.ceil(blocks / gy), gy, Math.ceil(M / SMALL_ROWS)];
  } else {
    grid = [Math.ceil(N / TILE), Math.ceil(M / TILE), 1];
    if (grid[1] > MAX_GROUPS) throw new Error(`${label}: M = ${M} needs ${grid[1]} row tiles, over ${MAX_GROUPS}`);
  }

  const u = new UniformWriter().u32(M).u32(N);
  const { params, xq } = int8QuantBindings(ctx, u, w, q, label);
  const module = int8Module(`${ioCode}\n${small ? smallCode : code}`, { quantize: true, epilogue: true });
  const pipeline = int8Pipeline(ctx, small ? 'int8_matmul_small' : 'int8_matmul', module, opts);
  const buffers = [params, x.buffer, w.packed, w.channels, y.buffer, xq];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: grid }];
}
