import ioCode from '../shaders/sparse_io.wgsl?raw';
import csrCode from '../shaders/sparse_csr.wgsl?raw';
import code24 from '../shaders/sparse_24.wgsl?raw';
import csrTCode from '../shaders/sparse_csr_t.wgsl?raw';
import code24T from '../shaders/sparse_24_t.wgsl?raw';
import xtCode from '../shaders/sparse_xt.wgsl?raw';
import { UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type Activation, type GpuTensor } from './common';
import { sparseBytes, type SparseMatrix } from './sparse-pack';

/** y = act(alpha · x · Wᵀ + beta · C), as Gemm with transB = 1 (transA = 0). */
export interface SparseMatmulAttrs {
  alpha: number;
  beta: number;
  act: Activation;
}

/** A packed weight (sparse-pack.ts) on the GPU: CSR's rowPtr, cols, values or 2:4's values, positions. */
export interface SparseWeights {
  kind: SparseMatrix['kind'];
  label: string;
  N: number;
  K: number;
  nnz: number;
  /** 2:4 groups per row (0 for CSR). */
  G: number;
  /** Bytes of the packed form (sparseBytes), against 4 N K dense. */
  bytes: number;
  /** In binding order after x, C, y: CSR [rowPtr, cols, values]; 2:4 [values, pos]. */
  buffers: GPUBuffer[];
}

const WG = 32; // outputs per workgroup (sparse_io.wgsl WG)
const RB = 4; // rows per thread (sparse_io.wgsl RB)
const RB_T = 8; // rows per thread of the _t forms

/**
 * 'direct': sparse_csr / sparse_24 read x (M, K) as it is, 4 rows a thread; 'transposed': one more
 * dispatch writes x as (K, ceil(M / 4)) vec4 (sparse_xt.wgsl) and sparse_csr_t / sparse_24_t take 8
 * rows a thread, one vec4 load per 4 rows of a nonzero; 'auto': transposed above SPARSE_DIRECT_M rows.
 */
export type SparsePath = 'auto' | 'direct' | 'transposed';

/**
 * Up to this many rows run 'direct' (no transpose dispatch; a thread's 4 rows cover them). At M 64
 * (`npm run bench -- --only sparse`, SwiftShader) the transposed path took CSR 50 % from 0.64–0.85×
 * dense to 0.8–1.46× (figures in kernels/sparse-choice.ts); M 2–4 was not measured either way.
 */
export const SPARSE_DIRECT_M = 4;

export interface SparseMatmulOptions {
  path?: SparsePath;
  /**
   * The transposed path's x copy, at least sparseScratchBytes(M, K) bytes, owned by the caller. Without
   * it, one is acquired per call and belongs to the returned dispatches: plan once per call site and
   * reuse them, never once per run.
   */
  scratch?: GPUBuffer;
}

/** Bytes of the transposed path's scratch (0 where the path is direct). */
export function sparseScratchBytes(M: number, K: number, path: SparsePath = 'auto'): number {
  return usesTranspose(M, path) ? K * Math.ceil(M / 4) * 16 : 0;
}

function usesTranspose(M: number, path: SparsePath): boolean {
  return path === 'transposed' || (path === 'auto' && M > SPARSE_DIRECT_M);
}
const MAX_GROUPS = 65535;

/** A u32/f32 array as uploaded: an empty one (no nonzeros) becomes one zero word, as bindings cannot be empty. */
export const nonEmpty = <T extends Uint32Array | Float32Array>(a: T): ArrayBufferView => (a.length ? a : new Uint32Array(1));

export function uploadSparseWeights(ctx: GpuContext, label: string, m: SparseMatrix): SparseWeights {
  const base = { kind: m.kind, label, N: m.N, K: m.K, nnz: m.nnz, bytes: sparseBytes(m) };
  if (m.kind === 'csr') {
    return {
      ...base, G: 0,
      buffers: [ctx.upload(`${label}:rowPtr`, m.rowPtr), ctx.upload(`${label}:cols`, nonEmpty(m.cols)), ctx.upload(`${label}:values`, nonEmpty(m.values))],
    };
  }
  return { ...base, G: m.G, buffers: [ctx.upload(`${label}:values24`, m.values), ctx.upload(`${label}:pos24`, m.pos)] };
}

export function releaseSparseWeights(ctx: GpuContext, w: SparseWeights): void {
  for (const b of w.buffers) ctx.destroyBuffer(b);
}

/**
 * y (..., N) = act(alpha · x (..., K) · Wᵀ + beta · C), W (N, K) held sparse (uploadSparseWeights);
 * x's leading dims fold into M rows; C null or unidirectionally broadcastable to (M, N). One
 * dispatch of sparse_csr.wgsl or sparse_24.wgsl (by w.kind), one thread per output column and 4
 * rows; or, on the transposed path (opts.path, SparsePath), x transposed by sparse_xt.wgsl then
 * sparse_csr_t.wgsl / sparse_24_t.wgsl, 8 rows a thread. Pipelines depend only on the form, the
 * path and the activation.
 */
export function sparseMatmul(
  ctx: GpuContext, x: GpuTensor, w: SparseWeights, c: GpuTensor | null, y: GpuTensor, attrs: SparseMatmulAttrs, label = 'sparse_matmul',
  opts: SparseMatmulOptions = {},
): Dispatch[] {
  const { N, K } = w;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== K) throw new Error(`${label}: x is [${x.shape}] but weights '${w.label}' expect K = ${K} last`);
  const M = sizeOf(x.shape) / K;
  const yShape = [...x.shape.slice(0, -1), N];
  if (!sameShape(y.shape, yShape)) throw new Error(`${label}: y is [${y.shape}] but x [${x.shape}] with N = ${N} gives [${yShape}]`);
  let cM = 0, cN = 0;
  if (c) {
    const bc = c.shape.length <= 2 ? broadcastShapes(c.shape, [M, N]) : null;
    if (!bc || !sameShape(bc, [M, N])) throw new Error(`${label}: C [${c.shape}] does not broadcast to (M, N) = (${M}, ${N})`);
    [cM, cN] = broadcastStrides(c.shape, [M, N]) as [number, number];
  }
  if (M * N === 0) return [];
  const t = usesTranspose(M, opts.path ?? 'auto');
  const MQ = Math.ceil(M / 4);
  const grid: [number, number, number] = [Math.ceil(N / WG), Math.ceil(M / (t ? RB_T : RB)), 1];
  const xtGrid: [number, number, number] = [Math.ceil(K / 64), MQ, 1];
  if ([...grid, ...(t ? xtGrid : [])].some((g) => g > MAX_GROUPS)) throw new Error(`${label}: (M, N, K) = (${M}, ${N}, ${K}) needs a grid over ${MAX_GROUPS} workgroups in one dimension`);
  const [actA, actB] = activationParams(attrs.act);
  const u = new UniformWriter()
    .u32(M).u32(N).u32(K).u32(c ? 1 : 0)
    .u32(cM).u32(cN).u32(w.G).u32(Math.ceil(w.G / 8))
    .f32(attrs.alpha).f32(attrs.beta).f32(actA).f32(actB)
    .u32(MQ);
  const params = ctx.uniform(`${label}:params`, u.finish());
  const [key, body] = w.kind === 'csr' ? (t ? ['sparse_csr_t', csrTCode] : ['sparse_csr', csrCode]) : (t ? ['sparse_24_t', code24T] : ['sparse_24', code24]);
  const pipeline = ctx.pipeline(key, withActivation(`${ioCode}\n${body}`), { ACT: ACT[attrs.act.kind] });
  const out: Dispatch[] = [];
  let xIn = x.buffer;
  if (t) {
    const bytes = sparseScratchBytes(M, K, 'transposed');
    const scratch = opts.scratch ?? ctx.acquire(`${label}:xt`, bytes);
    if (scratch.size < bytes) throw new Error(`${label}: scratch has ${scratch.size} bytes, needs ${bytes}`);
    const xtParams = ctx.uniform(`${label}:xt-params`, new UniformWriter().u32(M).u32(K).u32(MQ).u32(0).finish());
    const xt = ctx.pipeline('sparse_xt', xtCode);
    out.push({ label: `${label}:xt`, pipeline: xt, bindGroup: ctx.bindGroup(`${label}:xt`, xt, [xtParams, x.buffer, scratch]), workgroups: xtGrid });
    xIn = scratch;
  }
  // Without C the shader never reads binding 2, but the layout still has it: bind x there.
  const buffers = [params, xIn, (c ?? x).buffer, y.buffer, ...w.buffers];
  out.push({ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: grid });
  return out;
}
