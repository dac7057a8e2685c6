import { xnorDispatches, type BinaryWeights, type XnorOptions } from './binary-net';
import type { Dispatch, GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';

/**
 * y (M, N) = act(alpha[n] * beta[m] * dot(sign(x[m, :]), sign(W[n, :])) + bias[n]), XNOR-Net's
 * binary fully connected layer (semantics in binary-net.ts). x: (M, K) f32; w from
 * uploadBinaryWeights with W as (N, K), i.e. Gemm's B with transB = 1; bias: (N) or null.
 * Two dispatches: pack x's signs (and beta) into scratch, then the XNOR-popcount GEMM. The scratch
 * is opts.scratch, or acquired here and owned by the returned dispatches (see XnorOptions).
 */
export function xnorMatmul(
  ctx: GpuContext, x: GpuTensor, w: BinaryWeights, bias: GpuTensor | null, y: GpuTensor, opts: XnorOptions,
): Dispatch[] {
  const label = opts.label ?? 'xnor-matmul';
  if (x.shape.length !== 2 || y.shape.length !== 2) {
    throw new Error(`${label}: x and y must be 2-D, got (${x.shape.join(', ')}) and (${y.shape.join(', ')})`);
  }
  const [M, K] = x.shape as [number, number];
  if (K !== w.K) throw new Error(`${label}: x (${M}, ${K}) does not fit weights '${w.label}' with K = ${w.K}`);
  if (y.shape[0] !== M || y.shape[1] !== w.N) {
    throw new Error(`${label}: y is (${y.shape.join(', ')}) but x @ w^T gives (${M}, ${w.N})`);
  }
  // A matmul is the 1x1 conv of x viewed as (M, K, 1, 1): one row per image, one pixel each.
  return xnorDispatches(ctx, {
    Nimg: M, C: K, H: 1, W: 1, G: 1, KH: 1, KW: 1, OH: 1, OW: 1,
    strides: [1, 1], dilations: [1, 1], padT: 0, padL: 0,
  }, x, w, bias, y, { ...opts, label });
}
