import { applyActivation } from './common';
import type { ConvAttrs } from './conv';

/** Plain-loop ONNX Conv (NCHW, groups, strides, pads, dilations) with bias and activation. */
export function conv2dRef(
  x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], bias: Float32Array | null,
  attrs: ConvAttrs, yShape: number[],
): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number]; // (N, C, H, W)
  const [M, Cg, KH, KW] = wShape as [number, number, number, number]; // (M, C/group, KH, KW)
  const [, , OH, OW] = yShape as [number, number, number, number]; // (N, M, OH, OW)
  const [sH, sW] = attrs.strides;
  const [padT, padL] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const Mg = M / attrs.group;
  const y = new Float32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias ? bias[m]! : 0;
          for (let c = 0; c < Cg; c++) {
            const ci = g * Cg + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sH - padT + kh * dH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sW - padL + kw * dW;
                if (iw < 0 || iw >= W) continue;
                acc += x[((n * C + ci) * H + ih) * W + iw]! * w[((m * Cg + c) * KH + kh) * KW + kw]!;
              }
            }
          }
          y[((n * M + m) * OH + oh) * OW + ow] = applyActivation(acc, attrs.act);
        }
      }
    }
  }
  return y;
}
