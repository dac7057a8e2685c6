import ioCode from '../shaders/matmul_io.wgsl?raw';
import code from '../shaders/matmul.wgsl?raw';
import smallCode from '../shaders/matmul_small.wgsl?raw';
import regCode from '../shaders/matmul_reg.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, withStrided, type Activation, type GpuTensor } from './common';
import { MAX_DIMS } from './strides';

/** MatMul and Gemm in one: y = act(alpha * op(A) @ op(B) + beta * C). */
export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  act: Activation;
}

const TILE = 64; // output tile side, as BM/BN in matmul.wgsl
const MAX_GROUPS = 65535;
/** Columns and rows one workgroup of matmul_small.wgsl computes (NC, RB there). */
const SMALL_COLS = 32;
const SMALL_ROWS = 4;
/**
 * Up to this many rows (after folding A's batches into rows) go to matmul_small.wgsl, K split
 * across a workgroup; above it the 64x64 tile idles fewer rows and re-reads B less.
 * `npm run bench -- --only kernels`, SwiftShader, N = K = 1024, GPU-time medians: M 1 small 23 ms
 * vs tiled 810; M 16 small 64-90 vs tiled 790; even M 64 small 252 vs tiled 667-1244, as SwiftShader
 * pays for the tile's two barriers per 16-deep K step. Kept at 16 (as INT8_SMALL_M) rather than
 * pushed higher because on a GPU the tile's reuse of B wins sooner; not measured on one yet.
 */
export const MATMUL_SMALL_M = 16;

/**
 * The kernel for a shape on an adapter. A GPU: the small kernel up to MATMUL_SMALL_M rows, the
 * 64x64 tile above (its reuse of B should win there; not measured on one yet). A software adapter:
 * the register-blocked kernel, except where it would have few threads each walking a long K, which
 * the small kernel splits. SwiftShader under load, ms (small / tiled / reg): M64 N800 K128
 * 175 / 147 / 21; M128 N800 K64 transA 343 / 164 / 21; M64 N128 K800 48 / 135 / 12; M250 N128 K1568
 * 213 / 765 / 165; M1024 N1024 K64 3280 / 1398 / 209; M1 N1024 K1024 28 / 984 / 8.7; M16 N64 K784
 * 8.5 / 97 / 4.0; but M1 N10 K784 1.0 / 91 / 2.3 and M1 N128 K784 4.9 / 104 / 7.8.
 */
export function matmulKernel(M: number, N: number, K: number, softwareAdapter: boolean): 'small' | 'tiled' | 'reg' {
  if (!softwareAdapter) return M <= MATMUL_SMALL_M ? 'small' : 'tiled';
  const regThreads = Math.ceil(M / 4) * Math.ceil(N / 4);
  return regThreads < 64 && K >= 256 ? 'small' : 'reg';
}

/** Which kernel runs: 'auto' picks by shape and adapter; the others are for tests and benchmarks. */
export type MatmulPath = 'auto' | 'small' | 'tiled' | 'reg';

/** Outputs per side of one matmul_reg.wgsl workgroup (8 threads x 4). */
const REG_BLOCK = 32;

interface MatmulDims { M: number; N: number; K: number; batch: number[]; aBatch: number[]; bBatch: number[] }

function dimsOf(aShape: readonly number[], bShape: readonly number[], transA: boolean, transB: boolean): MatmulDims {
  const ra = aShape.length, rb = bShape.length;
  if (ra < 2 || rb < 2) throw new Error(`matmul: operands need rank >= 2, got [${aShape}] and [${bShape}]`);
  const M = transA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const K = transA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const Kb = transB ? bShape[rb - 1]! : bShape[rb - 2]!;
  const N = transB ? bShape[rb - 2]! : bShape[rb - 1]!;
  if (K !== Kb) throw new Error(`matmul: inner sizes differ (${K} vs ${Kb}) for [${aShape}] and [${bShape}]`);
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  if (!batch) throw new Error(`matmul: batch dims [${aBatch}] and [${bBatch}] do not broadcast`);
  return { M, N, K, batch, aBatch, bBatch };
}

/** Output shape (...batch, M, N) of a MatMul/Gemm; throws when the operands do not fit together. */
export function matmulShape(aShape: readonly number[], bShape: readonly number[], transA = false, transB = false): number[] {
  const d = dimsOf(aShape, bShape, transA, transB);
  return [...d.batch, d.M, d.N];
}

/**
 * a: (...batchA, M, K), or (...batchA, K, M) when transA; b: (...batchB, K, N), or (..., N, K)
 * when transB; batch dims broadcast numpy-style. c: null, or unidirectionally broadcastable to
 * (M, N). y: (...batch, M, N). One dispatch of the kernel matmulKernel picks: matmul_small.wgsl (K
 * split across a workgroup), the 64x64-tiled matmul.wgsl or the register-blocked matmul_reg.wgsl;
 * all take the same params. Pipelines depend only on that choice and the activation.
 */
export function matmul(
  ctx: GpuContext, a: GpuTensor, b: GpuTensor, c: GpuTensor | null, y: GpuTensor, attrs: MatmulAttrs, label = 'matmul',
  path: MatmulPath = 'auto',
): Dispatch[] {
  const d = dimsOf(a.shape, b.shape, attrs.transA, attrs.transB);
  const { K, N, aBatch, bBatch } = d;
  let { M, batch } = d;
  const yShape = [...batch, M, N];
  if (!sameShape(y.shape, yShape)) throw new Error(`matmul: output is [${y.shape}] but [${a.shape}] x [${b.shape}] gives [${yShape}]`);
  if (batch.length > MAX_DIMS) throw new Error(`matmul: ${batch.length} batch dims, at most ${MAX_DIMS}`);

  let cM = 0, cN = 0;
  if (c) {
    const cs = c.shape;
    const bc = cs.length <= 2 ? broadcastShapes(cs, [M, N]) : null;
    if (!bc || !sameShape(bc, [M, N])) throw new Error(`matmul: C [${cs}] does not broadcast to (M, N) = (${M}, ${N})`);
    [cM, cN] = broadcastStrides(cs, [M, N]) as [number, number];
  }
  if (sizeOf(yShape) === 0) return [];

  // A's and B's batch strides in elements (0 where broadcast).
  let aStr = broadcastStrides(aBatch, batch).map((s) => s * M * K);
  let bStr = broadcastStrides(bBatch, batch).map((s) => s * K * N);
  // When B is shared by every batch and A is row-major, A's batches are just more rows: one tall
  // matmul fills tiles better (e.g. (B, T, K) @ (K, N) or a tiny M with a batch).
  if (sizeOf(bBatch) === 1 && !attrs.transA && !c && batch.length > 0) {
    M *= sizeOf(batch);
    batch = []; aStr = []; bStr = [];
  }
  const batchCount = sizeOf(batch);
  const rowBlocks = Math.ceil(M / SMALL_ROWS);
  const choice = path === 'auto' ? matmulKernel(M, N, K, ctx.info.isFallback) : path;
  // The small kernel puts batch x row blocks in z; past the limit the tiled grid (z = batch) may still fit.
  const small = choice === 'small' && (path === 'small' || batchCount * rowBlocks <= MAX_GROUPS);
  // A small-kernel choice whose grid does not fit goes to the adapter's kernel for large shapes.
  const reg = choice === 'reg' || (choice === 'small' && !small && ctx.info.isFallback);
  let grid: [number, number, number];
  if (small) {
    // Column blocks fold into x and y (the shader recombines them with num_workgroups).
    const blocks = Math.ceil(N / SMALL_COLS);
    const gy = Math.ceil(blocks / MAX_GROUPS);
    grid = [Math.ceil(blocks / gy), gy, batchCount * rowBlocks];
  } else if (reg) {
    grid = [Math.ceil(N / REG_BLOCK), Math.ceil(M / REG_BLOCK), batchCount];
  } else {
    grid = [Math.ceil(N / TILE), Math.ceil(M / TILE), batchCount];
  }
  if (grid.some((g) => g > MAX_GROUPS)) throw new Error(`matmul: [${yShape}] needs a grid of ${grid.join('x')} workgroups, over ${MAX_GROUPS} in one dimension`);

  const [actA, actB] = activationParams(attrs.act);
  const w = new UniformWriter()
    .u32(M).u32(N).u32(K).u32(batch.length)
    .u32(attrs.transA ? 1 : K).u32(attrs.transA ? M : 1) // aM, aK
    .u32(attrs.transB ? 1 : N).u32(attrs.transB ? K : 1) // bK, bN
    .u32(cM).u32(cN).u32(c ? 1 : 0).u32(0)
    .f32(attrs.alpha).f32(attrs.beta).f32(actA).f32(actB)
    .u32s(batch, MAX_DIMS).u32s(aStr, MAX_DIMS).u32s(bStr, MAX_DIMS);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const [key, body] = small ? ['matmul_small', smallCode] : reg ? ['matmul_reg', regCode] : ['matmul', code];
  const pipeline = ctx.pipeline(key, withActivation(withStrided(`${ioCode}\n${body}`)), { ACT: ACT[attrs.act.kind] });
  // Without C the shader never reads binding 3, but the layout still has it: bind A there.
  const buffers = [params, a.buffer, b.buffer, (c ?? a).buffer, y.buffer];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: grid }];
}
