/**
 * An ItemSource decoded and fitted to a model's ImageSpec: one byte item per image in the model's
 * layout (the spec's geometry and channel order applied once, here; its mean and std by the
 * batchers). Unreadable images are skipped, counted and named; nothing else is lost.
 */
import { DatasetError } from '../core/errors';
import type { LabelledDataset } from './dataset';
import { checkSpec, itemShapeOf, type ImageLoadReport, type ImageSpec } from '../recipe/image-spec';

export type { ImageLoadReport } from '../recipe/image-spec';
export { describeReport } from '../recipe/image-spec';
import { fitImage } from './resample';
import type { ItemSource } from './sources';

/** Decoded bytes a dataset may hold in memory (images are kept at the model's input size). */
export const DEFAULT_MEMORY_BUDGET = 1.5 * 2 ** 30;

export interface ImageLoadOptions {
  /** Take at most the first this many items (class folders are interleaved by class, so they cover every class). */
  limit?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  memoryBudget?: number;
}

export async function imageDataset(source: ItemSource, spec: ImageSpec, name: string, opts: ImageLoadOptions = {}): Promise<{ ds: LabelledDataset; report: ImageLoadReport }> {
  checkSpec(spec);
  const shape = itemShapeOf(spec);
  const per = shape.reduce((a, b) => a * b, 1);
  const total = Math.min(source.count, opts.limit ?? Infinity);
  const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  if (total * per > budget) {
    const mb = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en')} MB`;
    throw new DatasetError(
      `${total.toLocaleString('en')} images at ${shape.join('×')} need ${mb(total * per)} decoded, more than the ${mb(budget)} this tab keeps; ` +
        `take a subset (the CLI's --limit N, the page's "items" field) of at most ${Math.floor(budget / per).toLocaleString('en')} images`,
    );
  }
  const images = new Uint8Array(total * per);
  const labels = new Int32Array(total);
  const skipped: ImageLoadReport['skipped'] = [];
  const sizes = new Set<string>();
  let kept = 0;
  for (let i = 0; i < total; i++) {
    if (opts.signal?.aborted) throw new DOMException('loading the images was cancelled', 'AbortError');
    try {
      const px = await source.pixels(i);
      if (sizes.size < 9) sizes.add(`${px.width}×${px.height}`);
      images.set(fitImage(px, spec), kept * per);
      labels[kept++] = source.labels[i]!;
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      skipped.push({ name: source.name(i), reason: e.message });
    }
    if (opts.onProgress && (i % 250 === 249 || i === total - 1)) opts.onProgress(i + 1, total);
  }
  if (kept === 0) {
    throw new DatasetError(`none of the ${total} images could be read: ${skipped.slice(0, 2).map((s) => s.reason).join('; ')}`);
  }
  const ds: LabelledDataset = { name, images: images.subarray(0, kept * per), count: kept, itemShape: shape, labels: labels.subarray(0, kept) };
  return {
    ds,
    report: {
      count: kept, classNames: source.classNames, skipped,
      ignored: { count: source.ignored.length, examples: source.ignored.slice(0, 5) },
      emptyClasses: source.emptyClasses, sizes: [...sizes].slice(0, 8), decodedBytes: kept * per,
    },
  };
}
