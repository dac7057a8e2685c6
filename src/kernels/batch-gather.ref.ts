import { channelGeometry } from '../core/channels';
import type { Preprocess } from '../recipe/vocabulary';
import { PAD_INDEX } from './batch-gather';

/** CPU batch gather: the rows `indices` names, preprocessed in f32 as the shader does; padding rows are zeros with label -1. */
export function batchGatherRef(
  images: Uint8Array | Float32Array, classes: ArrayLike<number>, itemSize: number, indices: ArrayLike<number>, pre: Preprocess,
  augment?: { words: Uint32Array; height: number; width: number; pad: number },
): { x: Float32Array; labels: Float32Array } {
  const rows = indices.length;
  const x = new Float32Array(rows * itemSize), labels = new Float32Array(rows);
  const f = Math.fround;
  const { channels, plane, nhwc } = channelGeometry(pre, itemSize);
  for (let b = 0; b < rows; b++) {
    const item = indices[b]!;
    if (item === PAD_INDEX) { labels[b] = -1; continue; }
    labels[b] = classes[item]!;
    for (let k = 0; k < itemSize; k++) {
      const c = nhwc ? k % channels : Math.floor(k / plane);
      let src = k, inside = true;
      if (augment) {
        const { height: H, width: W, pad } = augment, a = augment.words[b]!;
        const p = nhwc ? Math.floor(k / channels) : k % plane;
        const x0 = p % W, y0 = Math.floor(p / W);
        const sx = ((a >> 16) & 1 ? W - 1 - x0 : x0) + (a & 0xff) - pad, sy = y0 + ((a >> 8) & 0xff) - pad;
        inside = sx >= 0 && sy >= 0 && sx < W && sy < H;
        src = nhwc ? (sy * W + sx) * channels + c : c * plane + sy * W + sx;
      }
      let v = inside ? f(images[item * itemSize + src]!) : 0;
      if (pre.kind === 'unit') v = f(v / 255);
      if (pre.kind === 'normalize') v = f(f(f(v / 255) - f(pre.mean)) / f(pre.std));
      if (pre.kind === 'channels') v = f(f(f(v / 255) - f(pre.mean[c]!)) / f(pre.std[c]!));
      x[b * itemSize + k] = v;
    }
  }
  return { x, labels };
}
