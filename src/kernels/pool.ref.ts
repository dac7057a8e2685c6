import type { PoolAttrs } from './pool';

/** onnxruntime's MaxPool start value: a window of padding alone yields the lowest finite f32. */
export const POOL_LOWEST = -3.4028234663852886e38;

/**
 * Plain-loop ONNX MaxPool / AveragePool (NCHW). Max ignores padding; average divides by the real
 * elements in the window, or with countIncludePad by the window taps inside the padded input
 * (taps past it, which ceil_mode windows can reach, do not count).
 */
export function pool2dRef(x: Float32Array, xShape: number[], attrs: PoolAttrs, yShape: number[]): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number]; // (N, C, H, W)
  const [, , OH, OW] = yShape as [number, number, number, number]; // (N, C, OH, OW)
  const [KH, KW] = attrs.kernel;
  const [sH, sW] = attrs.strides;
  const [padT, padL, padB, padR] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const y = new Float32Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let acc = attrs.kind === 'max' ? POOL_LOWEST : 0;
        let real = 0, padded = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sH - padT + kh * dH;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sW - padL + kw * dW;
            if (ih < H + padB && iw < W + padR) padded++;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            real++;
            const v = x[(nc * H + ih) * W + iw]!;
            acc = attrs.kind === 'max' ? Math.max(acc, v) : acc + v;
          }
        }
        if (attrs.kind === 'avg') acc = real === 0 ? 0 : acc / (attrs.countIncludePad ? padded : real);
        y[(nc * OH + oh) * OW + ow] = acc;
      }
    }
  }
  return y;
}

/** Mean over H*W for each (n, c). */
export function globalAvgPoolRef(x: Float32Array, xShape: number[]): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number]; // (N, C, H, W) -> (N, C, 1, 1)
  const hw = H * W;
  const y = new Float32Array(N * C);
  for (let nc = 0; nc < N * C; nc++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += x[nc * hw + i]!;
    y[nc] = s / hw;
  }
  return y;
}
