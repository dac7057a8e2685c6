import type { ConvGradAttrs } from './conv-grad';
import { forEachConvTap } from './conv.ref';

/**
 * Plain-loop dL/dx of Conv (NCHW, groups, strides, pads, dilations): walks the forward loops and
 * scatters dy * w into every input a tap read, the transpose of the kernel's gather, in float64.
 */
export function conv2dGradInputRef(
  dy: Float32Array, dyShape: number[], w: Float32Array, wShape: number[], attrs: ConvGradAttrs, xShape: number[],
): Float32Array {
  const dx = new Float64Array(xShape.reduce((a, b) => a * b, 1));
  forEachConvTap(xShape, wShape, dyShape, attrs, (yi, xi, wi) => { dx[xi]! += dy[yi]! * w[wi]!; });
  return Float32Array.from(dx);
}

/** Plain-loop dL/dw of Conv: dw[m, c, kh, kw] = sum over n, oh, ow of dy * the x that tap read, in float64. */
export function conv2dGradWeightRef(
  x: Float32Array, xShape: number[], dy: Float32Array, dyShape: number[], attrs: ConvGradAttrs, wShape: number[],
): Float32Array {
  const dw = new Float64Array(wShape.reduce((a, b) => a * b, 1));
  forEachConvTap(xShape, wShape, dyShape, attrs, (yi, xi, wi) => { dw[wi]! += dy[yi]! * x[xi]!; });
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
