import code from '../shaders/sparse_conv_csr.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type GpuTensor } from './common';
import type { ConvAttrs } from './conv';
import { nonEmpty } from './sparse-matmul';

const WG = 64;
/** Consecutive output pixels one invocation computes (the shader's two vec4 accumulators). */
const PIXELS = 8;
/** Taps pack the input channel in 16 bits and ky, kx in 8 bits each. */
const MAX_C = 1 << 16, MAX_K = 1 << 8;

/**
 * A Conv weight (M, C/group, KH, KW) in CSR by output channel: channel m's nonzero taps are
 * j in [rowPtr[m], rowPtr[m + 1]), each `taps[j]` = c << 16 | ky << 8 | kx with value `values[j]`.
 */
export interface SparseConvMatrix {
  M: number;
  cPerGroup: number;
  KH: number;
  KW: number;
  nnz: number;
  rowPtr: Uint32Array;
  taps: Uint32Array;
  values: Float32Array;
}

/** Bytes of the packed form: (M + 1) row pointers, a tap word and a value per nonzero. */
export function sparseConvBytes(m: SparseConvMatrix): number {
  return 4 * (m.M + 1) + 8 * m.nnz;
}

/** Whether a weight of these dims can be packed (channel and kernel sizes the tap word holds). */
export function sparseConvFits(dims: readonly number[]): boolean {
  return dims.length === 4 && dims[1]! <= MAX_C && dims[2]! <= MAX_K && dims[3]! <= MAX_K;
}

export function packConvCsr(w: ArrayLike<number>, dims: readonly number[]): SparseConvMatrix {
  if (!sparseConvFits(dims)) throw new Error(`packConvCsr: a weight of dims [${dims}] does not fit the tap word (C ≤ ${MAX_C}, KH, KW ≤ ${MAX_K})`);
  const [M, cPerGroup, KH, KW] = dims as [number, number, number, number];
  const K = cPerGroup * KH * KW;
  let nnz = 0;
  for (let i = 0; i < M * K; i++) if (w[i] !== 0) nnz++;
  const rowPtr = new Uint32Array(M + 1), taps = new Uint32Array(nnz), values = new Float32Array(nnz);
  let j = 0;
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      const v = w[m * K + k]!;
      if (v === 0) continue;
      const c = Math.floor(k / (KH * KW)), r = k % (KH * KW);
      taps[j] = ((c << 16) | (Math.floor(r / KW) << 8) | (r % KW)) >>> 0;
      values[j++] = v;
    }
    rowPtr[m + 1] = j;
  }
  return { M, cPerGroup, KH, KW, nnz, rowPtr, taps, values };
}

/** A packed weight on the GPU, in binding order after params, x, bias, y: [rowPtr, taps, values]. */
export interface SparseConvWeights { matrix: Omit<SparseConvMatrix, 'rowPtr' | 'taps' | 'values'>; bytes: number; buffers: GPUBuffer[] }

export function uploadSparseConvWeights(ctx: GpuContext, label: string, m: SparseConvMatrix): SparseConvWeights {
  const { rowPtr, taps, values, ...matrix } = m;
  return {
    matrix, bytes: sparseConvBytes(m),
    buffers: [ctx.upload(`${label}:rowPtr`, rowPtr), ctx.upload(`${label}:taps`, nonEmpty(taps)), ctx.upload(`${label}:values`, nonEmpty(values))],
  };
}

/**
 * y = act(conv(x, w) + bias) for NCHW tensors with w held sparse (uploadSparseConvWeights): groups,
 * strides, pads and dilations as conv2d (kernels/conv.ts) takes them, one dispatch of
 * sparse_conv_csr.wgsl, one thread per output channel and PIXELS (8) output pixels.
 */
export function sparseConv2d(
  ctx: GpuContext, x: GpuTensor, w: SparseConvWeights, bias: GpuTensor | null, y: GpuTensor, attrs: ConvAttrs, label = 'sparse_conv2d',
): Dispatch[] {
  const { M, cPerGroup } = w.matrix;
  if (x.shape.length !== 4 || y.shape.length !== 4) throw new Error(`${label}: x and y must be 4-D, got [${x.shape}], [${y.shape}]`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [yN, yM, OH, OW] = y.shape as [number, number, number, number];
  const group = attrs.group;
  if (!(group >= 1) || C !== cPerGroup * group || M % group !== 0) throw new Error(`${label}: x [${x.shape}] and a weight of ${M}×${cPerGroup} channels do not fit group ${group}`);
  if (yN !== N || yM !== M) throw new Error(`${label}: y [${y.shape}] does not match N=${N}, M=${M}`);
  if (bias && sizeOf(bias.shape) !== M) throw new Error(`${label}: bias [${bias.shape}] should be (${M})`);
  const total = N * M * Math.ceil((OH * OW) / PIXELS);
  if (total === 0) return [];
  const [a, b] = activationParams(attrs.act);
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(C).u32(H).u32(W).u32(M)
    .u32(OH).u32(OW).u32(attrs.strides[0]).u32(attrs.strides[1])
    .i32(attrs.pads[0]).i32(attrs.pads[1]).u32(attrs.dilations[0]).u32(attrs.dilations[1])
    .u32(M / group).u32(cPerGroup).u32(total).u32(0)
    .f32(a).f32(b)
    .finish());
  const pipeline = ctx.pipeline('sparse_conv_csr', withActivation(code), { ACT: ACT[attrs.act.kind], HAS_BIAS: bias ? 1 : 0, WG });
  // Without a bias the shader never reads binding 2, but the layout has it: bind x there.
  const bufs = [params, x.buffer, (bias ?? x).buffer, y.buffer, ...w.buffers];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, bufs), workgroups: gridFor(total, WG) }];
}
