import { applyActivation } from './common';
import type { ConvAttrs } from './conv';

/** Anything with a Conv's geometry (the forward's attrs or the backward's). */
type ConvGeometry = Pick<ConvAttrs, 'strides' | 'pads' | 'dilations' | 'group'>;

/**
 * The forward Conv's loops (NCHW, groups, strides, pads, dilations): calls `visit` with the flat
 * indices of the output, input and weight of every tap that reads the input (padding skipped), in
 * the forward's order. The forward reference and both backward references walk the same loops.
 */
export function forEachConvTap(
  xShape: number[], wShape: number[], yShape: number[], attrs: ConvGeometry, visit: (yi: number, xi: number, wi: number) => void,
): void {
  const [N, C, H, W] = xShape as [number, number, number, number]; // (N, C, H, W)
  const [M, Cg, KH, KW] = wShape as [number, number, number, number]; // (M, C/group, KH, KW)
  const [, , OH, OW] = yShape as [number, number, number, number]; // (N, M, OH, OW)
  const [sH, sW] = attrs.strides;
  const [padT, padL] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const Mg = M / attrs.group;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * M + m) * OH + oh) * OW + ow;
          for (let c = 0; c < Cg; c++) {
            const ci = g * Cg + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sH - padT + kh * dH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sW - padL + kw * dW;
                if (iw < 0 || iw >= W) continue;
                visit(yi, ((n * C + ci) * H + ih) * W + iw, ((m * Cg + c) * KH + kh) * KW + kw);
              }
            }
          }
        }
      }
    }
  }
}

/** Plain-loop ONNX Conv (NCHW, groups, strides, pads, dilations) with bias and activation. */
export function conv2dRef(
  x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], bias: Float32Array | null,
  attrs: ConvAttrs, yShape: number[],
): Float32Array {
  const [N, M, OH, OW] = yShape as [number, number, number, number];
  const acc = new Float64Array(N * M * OH * OW);
  if (bias) acc.forEach((_, i) => { acc[i] = bias[Math.floor(i / (OH * OW)) % M]!; });
  forEachConvTap(xShape, wShape, yShape, attrs, (yi, xi, wi) => { acc[yi]! += x[xi]! * w[wi]!; });
  return Float32Array.from(acc, (v) => applyActivation(v, attrs.act));
}
