/**
 * Binary (XNOR-Net, Rastegari et al. 2016) layers: weight binarization on the host and the shared
 * two-dispatch plan (pack activations, then XNOR-popcount GEMM) behind xnor-matmul.ts and
 * xnor-conv.ts.
 *
 * Semantics, identical in binary-net.ref.ts:
 * - weights: sign(W) with sign(0) = +1 (bit 1), 32 per u32 along K, layout (N, K32), tail bits past
 *   K zero; alpha[n] = mean |W[n, :]|, summed in f64 and rounded once to f32. For a conv,
 *   K = (C / group) * kH * kW in (c, kh, kw) order.
 * - activations: sign(x) packed the same way per GEMM row (a matmul row, or a conv output pixel's
 *   patch per group, im2col order) with a validity mask; padding and the tail never count.
 * - dot = 2 * popcount(~(a ^ w) & mask) - popcount(mask), an exact integer.
 * - y = act(alpha[n] * beta * dot + bias[n]) in f32, one rounding per op in that order; beta =
 *   mean |x| over the row's valid taps (sum in the pack kernel's lane order, one correctly rounded
 *   division) when activationScale, else 1.
 */
import packCode from '../shaders/binarize_pack.wgsl?raw';
import gemmCode from '../shaders/xnor_matmul.wgsl?raw';
import gemmRegCode from '../shaders/xnor_matmul_reg.wgsl?raw';
import gemmIo from '../shaders/xnor_gemm_io.wgsl?raw';
import packRowsCode from '../shaders/binarize_pack_rows.wgsl?raw';
import packCommon from '../shaders/xnor_pack_common.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type Activation, type GpuTensor } from './common';

/** Binarized weights on the GPU: sign bits (N, K32) and per-output-channel alpha (N). */
export interface BinaryWeights {
  label: string;
  /** (N, K) for a matmul, (M, C/group, kH, kW) for a conv. */
  shape: number[];
  N: number;
  K: number;
  K32: number;
  bits: GPUBuffer;
  alpha: GPUBuffer;
}

export interface XnorOptions {
  /** Multiply by beta = mean |x| of each row/patch (XNOR-Net's K); off gives beta = 1. */
  activationScale: boolean;
  act: Activation;
  label?: string;
  /**
   * Packed-activation scratch of at least xnorScratchBytes(rows, K) bytes, owned by the caller, who
   * may share it between layers run in order. Without it, one is acquired per call and belongs to
   * the returned dispatches: plan once per call site and reuse them, never once per run.
   */
  scratch?: GPUBuffer;
  /**
   * The kernels' form: 'tiled' (lanes sharing a row through workgroup memory, binarize_pack.wgsl,
   * then workgroup tiles, xnor_matmul.wgsl) or 'reg' (a row per invocation, binarize_pack_rows.wgsl,
   * then register tiles, xnor_matmul_reg.wgsl: no barriers); 'auto' (the default) takes 'reg' on a
   * software adapter, where its GEMM measured 6–8× faster at ResNet-18's 3×3 shapes (2026-12-06,
   * scripts measuring per dispatch), else 'tiled'. Both give the same bits.
   */
  gemm?: 'auto' | 'tiled' | 'reg';
}

/** sign(W) packed 32 per u32 along K (sign(0) = +1) and alpha[n] = mean |W[n, :]|. w: (N, K). */
export function binarizeWeights(w: Float32Array, N: number, K: number): { bits: Uint32Array; K32: number; alpha: Float32Array } {
  if (w.length !== N * K) throw new Error(`binarizeWeights: ${w.length} values do not make (${N}, ${K})`);
  const K32 = Math.ceil(K / 32);
  const bits = new Uint32Array(N * K32);
  const alpha = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0; // f64: alpha is rounded to f32 once, at the end
    for (let k = 0; k < K; k++) {
      const v = w[n * K + k]!;
      if (v >= 0) bits[n * K32 + (k >>> 5)] |= 1 << (k & 31);
      s += Math.abs(v);
    }
    alpha[n] = Math.fround(s / K);
  }
  return { bits, K32, alpha };
}

/** Binarizes `w` of `shape` ((N, K), or a conv's (M, C/group, kH, kW)) and uploads bits and alpha. */
export function uploadBinaryWeights(ctx: GpuContext, label: string, w: Float32Array, shape: readonly number[]): BinaryWeights {
  if (shape.length < 2) throw new Error(`${label}: binary weights need rank >= 2, got (${shape.join(', ')})`);
  const N = shape[0]!, K = sizeOf(shape) / N;
  const { bits, K32, alpha } = binarizeWeights(w, N, K);
  return { label, shape: [...shape], N, K, K32, bits: ctx.upload(`${label}:bits`, bits), alpha: ctx.upload(`${label}:alpha`, alpha) };
}

/** Lanes that share one row in the pack kernel; the reference needs it to sum |x| in the same order. */
export function packLanes(K32: number): number {
  let L = 1;
  while (L < K32 && L < 64) L *= 2;
  return L;
}

/** Bytes of the packed scratch: rows * K32 words of (bits, mask) plus a (count, beta) header per row. */
export function xnorScratchBytes(rows: number, K: number): number {
  return rows * (Math.ceil(K / 32) + 1) * 8;
}

/**
 * Where GEMM rows come from: x (Nimg, C, H, W) seen through a kH x kW window per output pixel.
 * A matmul is Nimg = M, C = K, H = W = kH = kW = OH = OW = 1.
 */
export interface PatchGeometry {
  Nimg: number; C: number; H: number; W: number;
  G: number; KH: number; KW: number; OH: number; OW: number;
  strides: [number, number];
  dilations: [number, number];
  padT: number; padL: number;
}

/** A 16-byte stand-in bound at the bias slot when there is no bias, one per device. */
const dummies = new WeakMap<GpuContext, GPUBuffer>();
function dummyBias(ctx: GpuContext): GPUBuffer {
  let b = dummies.get(ctx);
  if (!b) {
    b = ctx.device.createBuffer({ label: 'xnor:no-bias', size: 16, usage: GPUBufferUsage.STORAGE });
    dummies.set(ctx, b);
  }
  return b;
}

const K_MAX = 1 << 24; // the pack kernel's exact division needs counts below 2^24

/**
 * The pack and GEMM dispatches for y (Nimg, Mout, OH, OW) = xnor(x, w); a matmul's y (M, N) is the
 * same memory as (M, N, 1, 1). Callers validate shapes; this checks only what the kernels rely on.
 */
export function xnorDispatches(
  ctx: GpuContext, geo: PatchGeometry, x: GpuTensor, w: BinaryWeights, bias: GpuTensor | null, y: GpuTensor,
  opts: XnorOptions,
): Dispatch[] {
  const label = opts.label ?? 'xnor';
  const { Nimg, G, OH, OW } = geo;
  const Cg = geo.C / G, Mout = w.N, Nc = Mout / G;
  const K = Cg * geo.KH * geo.KW;
  if (K !== w.K) throw new Error(`${label}: weights have K = ${w.K} but the patch has ${K}`);
  if (K >= K_MAX) throw new Error(`${label}: K = ${K} is over the ${K_MAX - 1} the binary kernels support`);
  if (bias && sizeOf(bias.shape) !== Mout) throw new Error(`${label}: bias (${bias.shape.join(', ')}) should hold ${Mout} values`);
  const P = OH * OW, Pb = Nimg * P, rows = G * Pb, K32 = w.K32;
  if (rows === 0 || Mout === 0) return [];
  const reg = (opts.gemm ?? 'auto') === 'auto' ? ctx.info.isFallback : opts.gemm === 'reg';
  const chBlocks = Math.ceil(Nc / 8);
  const gemmGrid: [number, number, number] = reg ? [...gridFor(Math.ceil(Pb / 4), 64).slice(0, 2), G * chBlocks] as [number, number, number] : [Math.ceil(Nc / 64), Math.ceil(Pb / 64), G];
  if (gemmGrid.some((d) => d > 65535)) throw new Error(`${label}: needs ${gemmGrid.join('x')} workgroups, over 65535 in one dimension`);

  const bytes = xnorScratchBytes(rows, K);
  const scratch = opts.scratch ?? ctx.acquire(`${label}:packed`, bytes);
  if (scratch.size < bytes) throw new Error(`${label}: scratch has ${scratch.size} bytes, needs ${bytes}`);

  const L = packLanes(K32);
  const packParams = ctx.uniform(`${label}:pack-params`, new UniformWriter()
    .u32(geo.C).u32(geo.H).u32(geo.W).u32(Cg)
    .u32(Nimg).u32(geo.KH).u32(geo.KW).u32(OW)
    .u32(P).u32(geo.strides[0]).u32(geo.strides[1]).u32(geo.dilations[0])
    .u32(geo.dilations[1]).i32(geo.padT).i32(geo.padL).u32(K)
    .u32(K32).u32(rows).u32(L).u32(0)
    .finish());
  const pack = ctx.pipeline(reg ? 'xnor_pack_rows' : 'xnor_pack', `${packCommon}\n${reg ? packRowsCode : packCode}`, { SCALE: opts.activationScale ? 1 : 0 });
  const packInvocations = reg ? rows : Math.ceil(rows / (64 / L)) * 64;

  const [a, b] = activationParams(opts.act);
  const gemmParams = ctx.uniform(`${label}:gemm-params`, new UniformWriter()
    .u32(Pb).u32(Nc).u32(K32).u32(rows)
    .u32(P).u32(Mout * P).u32(1).u32(P) // y (Nimg, Mout, OH, OW): row r = (n, p), channel ch
    .f32(a).f32(b).u32(0).u32(chBlocks)
    .finish());
  const gemm = ctx.pipeline(reg ? 'xnor_matmul_reg' : 'xnor_matmul', withActivation(`${gemmIo}\n${reg ? gemmRegCode : gemmCode}`), { ACT: ACT[opts.act.kind], HAS_BIAS: bias ? 1 : 0 });
  const gemmBufs = [gemmParams, scratch, w.bits, w.alpha, bias ? bias.buffer : dummyBias(ctx), y.buffer];
  return [
    { label: `${label}:pack`, pipeline: pack, bindGroup: ctx.bindGroup(`${label}:pack`, pack, [packParams, x.buffer, scratch]), workgroups: gridFor(packInvocations, 64) },
    { label: `${label}:gemm`, pipeline: gemm, bindGroup: ctx.bindGroup(`${label}:gemm`, gemm, gemmBufs), workgroups: gemmGrid },
  ];
}
