import { applyActivation } from './common';
import type { ConvAttrs } from './conv';
import type { SparseConvMatrix } from './sparse-conv';

/**
 * y = act(conv(x, W) + bias) by plain loops over the packed form's stored taps (not the dense W),
 * accumulating in f64; x (N, C, H, W) → y (N, M, OH, OW) with OH, OW given.
 */
export function sparseConvRef(
  x: Float32Array, xShape: readonly number[], w: SparseConvMatrix, bias: Float32Array | null, OH: number, OW: number, attrs: ConvAttrs,
): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const { M, cPerGroup } = w;
  const Mg = M / attrs.group;
  const y = new Float32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
    const g = Math.floor(m / Mg);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      let s = bias ? bias[m]! : 0;
      for (let j = w.rowPtr[m]!; j < w.rowPtr[m + 1]!; j++) {
        const tap = w.taps[j]!, c = tap >>> 16, ky = (tap >>> 8) & 0xff, kx = tap & 0xff;
        const ih = oh * attrs.strides[0] - attrs.pads[0] + ky * attrs.dilations[0];
        const iw = ow * attrs.strides[1] - attrs.pads[1] + kx * attrs.dilations[1];
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        s += w.values[j]! * x[((n * C + g * cPerGroup + c) * H + ih) * W + iw]!;
      }
      y[((n * M + m) * OH + oh) * OW + ow] = applyActivation(s, attrs.act);
    }
  }
  return y;
}
