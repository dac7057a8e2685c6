import type { ConvGradAttrs } from './conv-grad';

/**
 * Plain-loop dL/dx of Conv (NCHW, groups, strides, pads, dilations): walks the forward loops and
 * scatters dy * w into every input a tap read, the transpose of the kernel's gather, in float64.
 */
export function conv2dGradInputRef(
  dy: Float32Array, dyShape: number[], w: Float32Array, wShape: number[], attrs: ConvGradAttrs, xShape: number[],
): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, Cg, KH, KW] = wShape as [number, number, number, number];
  const [, , OH, OW] = dyShape as [number, number, number, number];
  const [sH, sW] = attrs.strides;
  const [padT, padL] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const Mg = M / attrs.group;
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const d = dy[((n * M + m) * OH + oh) * OW + ow]!;
          for (let c = 0; c < Cg; c++) {
            const ci = g * Cg + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sH - padT + kh * dH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sW - padL + kw * dW;
                if (iw < 0 || iw >= W) continue;
                dx[((n * C + ci) * H + ih) * W + iw]! += d * w[((m * Cg + c) * KH + kh) * KW + kw]!;
              }
            }
          }
        }
      }
    }
  }
  return Float32Array.from(dx);
}

/** Plain-loop dL/dw of Conv: dw[m, c, kh, kw] = sum over n, oh, ow of dy * the x that tap read, in float64. */
export function conv2dGradWeightRef(
  x: Float32Array, xShape: number[], dy: Float32Array, dyShape: number[], attrs: ConvGradAttrs, wShape: number[],
): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, Cg, KH, KW] = wShape as [number, number, number, number];
  const [, , OH, OW] = dyShape as [number, number, number, number];
  const [sH, sW] = attrs.strides;
  const [padT, padL] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const Mg = M / attrs.group;
  const dw = new Float64Array(M * Cg * KH * KW);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const d = dy[((n * M + m) * OH + oh) * OW + ow]!;
          for (let c = 0; c < Cg; c++) {
            const ci = g * Cg + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sH - padT + kh * dH;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sW - padL + kw * dW;
                if (iw < 0 || iw >= W) continue;
                dw[((m * Cg + c) * KH + kh) * KW + kw]! += d * x[((n * C + ci) * H + ih) * W + iw]!;
              }
            }
          }
        }
      }
    }
  }
  return Float32Array.from(dw);
}

/** db[c] = sum over n < N, s < S of dy[(n*C + c)*S + s], in float64. */
export function channelSumRef(dy: Float32Array, layout: { N: number; C: number; S: number }): Float32Array {
  const { N, C, S } = layout;
  const db = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) db[c]! += dy[(n * C + c) * S + s]!;
    }
  }
  return Float32Array.from(db);
}
