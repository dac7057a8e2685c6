import { channelGeometry } from '../core/channels';
import type { Preprocess } from '../recipe/vocabulary';
import { PAD_INDEX } from './batch-gather';

/** CPU batch gather: the rows `indices` names, preprocessed in f32 as the shader does; padding rows are zeros with label -1. */
export function batchGatherRef(
  images: Uint8Array | Float32Array, classes: ArrayLike<number>, itemSize: number, indices: ArrayLike<number>, pre: Preprocess,
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
      let v = f(images[item * itemSize + k]!);
      if (pre.kind === 'unit') v = f(v / 255);
      if (pre.kind === 'normalize') v = f(f(f(v / 255) - f(pre.mean)) / f(pre.std));
      if (pre.kind === 'channels') {
        const c = nhwc ? k % channels : Math.floor(k / plane);
        v = f(f(f(v / 255) - f(pre.mean[c]!)) / f(pre.std[c]!));
      }
      x[b * itemSize + k] = v;
    }
  }
  return { x, labels };
}
