/**
 * Classifying single images: each decoded and fitted by the variant's image spec, run in batches
 * of the session's size, and turned into the top K classes by softmax probability.
 */
import type { InferenceSession } from '../engine/session';
import { batchFor, type LabelledDataset } from '../data/dataset';
import { pixelPreprocess, itemShapeOf, type ImageSpec } from '../recipe/image-spec';
import { fitImage, type Pixels } from '../data/resample';

export interface Prediction { file: string; top: { index: number; score: number; label: string | null }[] }

/** Softmax of one row, as probabilities (logits shifted by their max first). */
export function softmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) { out[i] = Math.exp(row[i]! - max); sum += out[i]!; }
  for (let i = 0; i < row.length; i++) out[i]! /= sum;
  return out;
}

export async function predictImages(
  session: InferenceSession, images: { name: string; pixels: Pixels }[], spec: ImageSpec, top: number, classNames?: string[],
): Promise<Prediction[]> {
  const shape = itemShapeOf(spec);
  const per = shape.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(images.length * per);
  images.forEach((img, i) => data.set(fitImage(img.pixels, spec), i * per));
  const ds: LabelledDataset = { name: 'images', images: data, count: images.length, itemShape: shape, labels: new Int32Array(images.length) };
  const input = session.input;
  const pre = pixelPreprocess(spec);
  const out: Prediction[] = [];
  for (let start = 0; start < images.length;) {
    const batch = batchFor(ds, start, 16, pre, input.shape, input.name);
    const { outputs } = await session.plan({ [input.name]: batch.shape }).run({ [input.name]: batch.input });
    const logits = outputs[0]!.data;
    const classes = logits.length / batch.rows;
    for (let r = 0; r < batch.labels.length; r++) {
      const p = softmax(logits.subarray(r * classes, (r + 1) * classes));
      const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!).slice(0, top);
      out.push({ file: images[start + r]!.name, top: order.map((index) => ({ index, score: p[index]!, label: classNames?.[index] ?? null })) });
    }
    start += batch.labels.length;
  }
  return out;
}
