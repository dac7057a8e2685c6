/**
 * Gemm and MatMul on a pruned constant weight through the sparse kernels (kernels/sparse-matmul.ts),
 * and 2-D Conv through the sparse Conv kernel (kernels/sparse-conv.ts), when kernels/sparse-choice.ts
 * says they beat dense for the shape on this adapter. The weight is packed once per session
 * (WeightStore.cached); the dense copy is then never uploaded for that node. Results equal the
 * dense path's up to f32 summation order (the pruned terms are exact zeros).
 */
import { attrInt, type TensorData } from '../model/ir';
import type { Dispatch } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { sparseConvChoice, sparseGemmChoice, SPARSE_MIN_SPARSITY, type SparseChoice } from '../kernels/sparse-choice';
import { packConvCsr, sparseConv2d, sparseConvFits, uploadSparseConvWeights, type SparseConvWeights } from '../kernels/sparse-conv';
import type { ConvAttrs } from '../kernels/conv';
import type { GpuTensor } from '../kernels/common';
import { sparseMatmul, sparseScratchBytes, uploadSparseWeights, type SparseWeights } from '../kernels/sparse-matmul';
import { countNonzeros, CSR_MAX_K, fits24, pack24, packCsr } from '../kernels/sparse-pack';
import type { OpCall } from './op-types';

/**
 * 'auto': the measured rules (sparseGemmChoice, sparseConvChoice) with W at least SPARSE_MIN_SPARSITY
 * sparse; 'off': always dense; 'csr' / '2:4': that form for every eligible constant weight with at
 * least one zero ('2:4' only where W fits it; Conv has no 2:4 kernel and stays dense), for tests and
 * comparisons. Read when a plan is made.
 */
export type SparseKernelMode = 'auto' | 'off' | 'csr' | '2:4';

let mode: SparseKernelMode = 'auto';

export function setSparseKernelMode(m: SparseKernelMode): void { mode = m; }
export function sparseKernelMode(): SparseKernelMode { return mode; }

interface WeightInfo { N: number; K: number; density: number; fits24: boolean; rows: () => Float32Array }

/** W's density (and 2:4 fit), once per session and node; its (N outputs, K inputs) rows made only when packed. */
function weightInfo(c: OpCall, t: TensorData, rowsAreOutputs: boolean): WeightInfo {
  return c.weights.cached(`${c.node.name}:sparse-info`, () => {
    const src = t.data as Float32Array;
    const [d0, d1] = [t.dims[0]!, t.dims[1]!];
    const N = rowsAreOutputs ? d0 : d1, K = rowsAreOutputs ? d1 : d0;
    const density = src.length ? countNonzeros(src) / src.length : 1;
    // Gemm with transB = 0 and MatMul store (K, N): transposed on the host, only for a weight sparse enough to pack.
    const rows = () => (rowsAreOutputs ? src : Float32Array.from({ length: N * K }, (_, i) => src[(i % K) * N + Math.floor(i / K)]!));
    return { value: { N, K, density, fits24: density <= 0.5 && fits24(rows(), N, K), rows }, buffers: [] };
  });
}

function decide(c: OpCall, info: WeightInfo, M: number): SparseChoice {
  if (mode === 'off' || info.K > CSR_MAX_K) return 'dense';
  if (mode === 'csr') return info.density < 1 ? 'csr' : 'dense';
  if (mode === '2:4') return info.fits24 ? '2:4' : 'dense';
  if (info.density > 1 - SPARSE_MIN_SPARSITY) return 'dense';
  return sparseGemmChoice(c.ctx.info, M, info.N, info.K, info.density, info.fits24);
}

/**
 * The sparse dispatches for y = act(alpha · x · W + beta · C) when input `wIndex` is a 2-D float32
 * constant and the rule picks a sparse form; null for the dense path. `rowsAreOutputs`: W is stored
 * (N, K) (Gemm transB = 1) rather than (K, N).
 */
export function sparseGemmPlan(
  c: OpCall, x: { buffer: GPUBuffer; shape: number[] }, wIndex: number, rowsAreOutputs: boolean, alpha: number, beta: number, hasC: boolean,
): Dispatch[] | null {
  if (mode === 'off') return null;
  const t = c.constant(wIndex);
  if (!t || t.dtype !== 'float32' || t.dims.length !== 2 || !(t.data instanceof Float32Array)) return null;
  const info = weightInfo(c, t, rowsAreOutputs);
  if (info.N < 1 || info.K < 1 || x.shape.at(-1) !== info.K) return null;
  const M = sizeOf(x.shape) / info.K;
  const choice = decide(c, info, M);
  if (choice === 'dense') return null;
  const w = c.weights.cached<SparseWeights>(`${c.node.name}:${choice}`, () => {
    const w = info.rows();
    const value = uploadSparseWeights(c.ctx, c.node.name, choice === 'csr' ? packCsr(w, info.N, info.K) : pack24(w, info.N, info.K));
    return { value, buffers: value.buffers };
  });
  const bytes = sparseScratchBytes(M, info.K);
  const scratch = bytes ? c.scratch(`${c.node.name}:xt`, [bytes / 4]).buffer : undefined;
  return sparseMatmul(c.ctx, x, w, hasC ? c.input(2) : null, c.output(0), { alpha, beta, act: c.act }, c.node.name, { scratch });
}

/** Gemm's eligibility: transA = 0 (x rows are M); the weight is input 1. */
export function sparseGemm(c: OpCall, alpha: number, beta: number): Dispatch[] | null {
  if (attrInt(c.node, 'transA', 0) !== 0) return null;
  return sparseGemmPlan(c, c.input(0), 1, attrInt(c.node, 'transB', 0) === 1, alpha, beta, c.hasInput(2));
}

/** MatMul with x (..., K) and a constant 2-D B (K, N): leading dims of x fold into rows. */
export function sparseMatMul(c: OpCall): Dispatch[] | null {
  const x = c.input(0);
  if (x.shape.length < 2) return null;
  return sparseGemmPlan(c, x, 1, false, 1, 0, false);
}

/**
 * The sparse Conv dispatches for a 2-D Conv whose weight (input 1) is a 4-D float32 constant, when
 * the mode or the rule picks CSR; null for the dense path. x and y come 4-D (the caller's view).
 */
export function sparseConv(c: OpCall, x: GpuTensor, y: GpuTensor, attrs: ConvAttrs): Dispatch[] | null {
  if (mode === 'off' || mode === '2:4') return null;
  const t = c.constant(1);
  if (!t || t.dtype !== 'float32' || !(t.data instanceof Float32Array) || !sparseConvFits(t.dims)) return null;
  const data = t.data;
  const density = c.weights.cached(`${c.node.name}:sparse-density`, () => ({ value: data.length ? countNonzeros(data) / data.length : 1, buffers: [] }));
  const choice = mode === 'csr' ? (density < 1 ? 'csr' : 'dense') : density > 1 - SPARSE_MIN_SPARSITY ? 'dense' : sparseConvChoice(c.ctx.info, density);
  if (choice === 'dense') return null;
  const w = c.weights.cached<SparseConvWeights>(`${c.node.name}:conv-csr`, () => {
    const value = uploadSparseConvWeights(c.ctx, c.node.name, packConvCsr(data, t.dims));
    return { value, buffers: value.buffers };
  });
  return sparseConv2d(c.ctx, x, w, c.hasInput(2) ? c.input(2) : null, y, attrs, c.node.name);
}
