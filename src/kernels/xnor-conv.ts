import { xnorDispatches, type BinaryWeights, type XnorOptions } from './binary-net';
import type { Dispatch, GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';

/** Conv geometry as in ONNX Conv; pads are [top, left, bottom, right]. */
export interface XnorConvAttrs {
  strides: [number, number];
  pads: [number, number, number, number];
  dilations: [number, number];
  group: number;
}

import { convOutSize } from '../core/shape';
export { convOutSize };

/**
 * XNOR-Net binary conv, NCHW: y (N, M, OH, OW) = act(alpha[m] * beta[patch] * dot + bias[m]),
 * dot over the patch's in-image taps only (padding never counts; semantics in binary-net.ts).
 * x: (N, C, H, W) f32; w from uploadBinaryWeights with shape (M, C/group, kH, kW); bias (M) or
 * null. Groups, depthwise, strides, dilations and asymmetric pads are all geometry of the pack
 * kernel, which gathers each output pixel's patch im2col-style so the GEMM reads contiguous words.
 * The scratch is opts.scratch, or acquired here and owned by the returned dispatches.
 */
export function xnorConv2d(
  ctx: GpuContext, x: GpuTensor, w: BinaryWeights, bias: GpuTensor | null, y: GpuTensor, conv: XnorConvAttrs,
  opts: XnorOptions,
): Dispatch[] {
  const label = opts.label ?? 'xnor-conv';
  const fmt = (s: readonly number[]) => `(${s.join(', ')})`;
  if (x.shape.length !== 4 || w.shape.length !== 4 || y.shape.length !== 4) {
    throw new Error(`${label}: x, w and y must be 4-D, got ${fmt(x.shape)}, ${fmt(w.shape)}, ${fmt(y.shape)}`);
  }
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [M, Cg, KH, KW] = w.shape as [number, number, number, number];
  const { group: G, strides, dilations, pads } = conv;
  if (!(G >= 1) || C !== Cg * G || M % G !== 0) {
    throw new Error(`${label}: x ${fmt(x.shape)} and w ${fmt(w.shape)} do not fit group ${G}`);
  }
  if ([...strides, ...dilations].some((v) => !(v >= 1)) || pads.some((v) => !(v >= 0))) {
    throw new Error(`${label}: strides and dilations must be >= 1 and pads >= 0`);
  }
  const OH = convOutSize(H, KH, strides[0], dilations[0], pads[0], pads[2]);
  const OW = convOutSize(W, KW, strides[1], dilations[1], pads[1], pads[3]);
  const want = [N, M, OH, OW];
  if (y.shape.some((d, i) => d !== want[i])) throw new Error(`${label}: y is ${fmt(y.shape)}, the conv gives ${fmt(want)}`);
  if (OH < 1 || OW < 1) throw new Error(`${label}: the kernel does not fit the padded image`);
  return xnorDispatches(ctx, {
    Nimg: N, C, H, W, G, KH, KW, OH, OW, strides, dilations, padT: pads[0], padL: pads[1],
  }, x, w, bias, y, { ...opts, label });
}
