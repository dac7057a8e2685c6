import ioCode from '../shaders/sparse_io.wgsl?raw';
import csrCode from '../shaders/sparse_csr.wgsl?raw';
import code24 from '../shaders/sparse_24.wgsl?raw';
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
const MAX_GROUPS = 65535;

/** A u32/f32 array as uploaded: an empty one (no nonzeros) becomes one zero word, as bindings cannot be empty. */
const nonEmpty = <T extends Uint32Array | Float32Array>(a: T): ArrayBufferView => (a.length ? a : new Uint32Array(1));

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
 * dispatch of sparse_csr.wgsl or sparse_24.wgsl (by w.kind): one thread per output column and 4
 * rows. Pipelines depend only on the form and the activation.
 */
export function sparseMatmul(
  ctx: GpuContext, x: GpuTensor, w: SparseWeights, c: GpuTensor | null, y: GpuTensor, attrs: SparseMatmulAttrs, label = 'sparse_matmul',
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
  const grid: [number, number, number] = [Math.ceil(N / WG), Math.ceil(M / RB), 1];
  if (grid.some((g) => g > MAX_GROUPS)) throw new Error(`${label}: (M, N) = (${M}, ${N}) needs a grid of ${grid.join('x')} workgroups, over ${MAX_GROUPS} in one dimension`);
  const [actA, actB] = activationParams(attrs.act);
  const u = new UniformWriter()
    .u32(M).u32(N).u32(K).u32(c ? 1 : 0)
    .u32(cM).u32(cN).u32(w.G).u32(Math.ceil(w.G / 8))
    .f32(attrs.alpha).f32(attrs.beta).f32(actA).f32(actB);
  const params = ctx.uniform(`${label}:params`, u.finish());
  const [key, body] = w.kind === 'csr' ? ['sparse_csr', csrCode] : ['sparse_24', code24];
  const pipeline = ctx.pipeline(key, withActivation(`${ioCode}\n${body}`), { ACT: ACT[attrs.act.kind] });
  // Without C the shader never reads binding 2, but the layout still has it: bind x there.
  const buffers = [params, x.buffer, (c ?? x).buffer, y.buffer, ...w.buffers];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: grid }];
}
