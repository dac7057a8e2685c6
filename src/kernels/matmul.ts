import code from '../shaders/matmul.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type Activation, type GpuTensor } from './common';
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
 * (M, N). y: (...batch, M, N). One dispatch; the pipeline depends only on the activation.
 */
export function matmul(
  ctx: GpuContext, a: GpuTensor, b: GpuTensor, c: GpuTensor | null, y: GpuTensor, attrs: MatmulAttrs, label = 'matmul',
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
  const grid: [number, number, number] = [Math.ceil(N / TILE), Math.ceil(M / TILE), batchCount];
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
  const pipeline = ctx.pipeline('matmul', withActivation(code), { ACT: ACT[attrs.act.kind] });
  // Without C the shader never reads binding 3, but the layout still has it: bind A there.
  const buffers = [params, a.buffer, b.buffer, (c ?? a).buffer, y.buffer];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: grid }];
}
