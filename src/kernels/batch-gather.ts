import code from '../shaders/batch_gather.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { channelAffine, channelGeometry } from '../core/channels';
import type { Preprocess } from '../recipe/vocabulary';
import type { GpuTensor } from './common';

const WG = 64;
/** The index that marks a padding row (a last, partial minibatch). */
export const PAD_INDEX = 0xffffffff;

/** A dataset uploaded once: item values (bytes packed 4 per u32, or f32) and integer classes. */
export interface GpuItems {
  data: GPUBuffer;
  classes: GPUBuffer;
  count: number;
  itemSize: number;
  u8: boolean;
}

/** Random crop (of the image padded by `pad` zero pixels) and flip per row: `words` holds dx | dy << 8 | flip << 16 per row. */
export interface GatherAugment { words: GPUBuffer; height: number; width: number; pad: number }

/**
 * x (rows, ...item) and labels (rows) = the items `indices` names, preprocessed (and augmented when
 * `augment` is given); `indices` (and the augment words) are (rows) u32 buffers the caller rewrites each step.
 */
export function batchGather(
  ctx: GpuContext, items: GpuItems, indices: GPUBuffer, x: GpuTensor, labels: GpuTensor, pre: Preprocess, label = 'batchGather', augment?: GatherAugment,
): Dispatch[] {
  const rows = labels.shape[0]!;
  if (x.shape[0] !== rows || x.shape.slice(1).reduce((a, b) => a * b, 1) !== items.itemSize) {
    throw new Error(`${label}: x [${x.shape}] does not hold ${rows} items of ${items.itemSize} values`);
  }
  const kind = pre.kind === 'raw' ? 0 : pre.kind === 'unit' ? 1 : 2;
  const { channels, plane, nhwc } = channelGeometry(pre, items.itemSize);
  if (channels > 4) throw new Error(`${label}: at most 4 colour channels, not ${channels}`);
  channelAffine(pre, channels);
  const mean = [0, 0, 0, 0], std = [1, 1, 1, 1];
  if (pre.kind === 'normalize') { mean.fill(pre.mean); std.fill(pre.std); }
  if (pre.kind === 'channels') pre.mean.forEach((m, c) => { mean[c] = m; std[c] = pre.std[c]!; });
  if (augment && augment.height * augment.width !== plane) {
    throw new Error(`${label}: a ${augment.height}×${augment.width} image does not have the ${plane} pixels per channel the items hold`);
  }
  const w = new UniformWriter().u32(items.itemSize).u32(rows).u32(kind).u32(channels).u32(plane).u32(nhwc ? 1 : 0)
    .u32(augment?.height ?? 1).u32(augment?.width ?? plane).u32(augment ? 1 : 0).u32(augment?.pad ?? 0).u32(0).u32(0);
  for (const m of mean) w.f32(m);
  for (const s of std) w.f32(s);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('batchGather', code, { U8: items.u8 ? 1 : 0, WG });
  return [{
    label, pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, items.data, items.classes, indices, x.buffer, labels.buffer, augment?.words ?? indices]),
    workgroups: gridFor(rows * items.itemSize, WG),
  }];
}

/** Uploads a dataset's items and classes once (uint8 images stay bytes: a quarter of f32's memory). */
export function uploadItems(ctx: GpuContext, images: Uint8Array | Float32Array, labels: ArrayLike<number>, itemSize: number, label = 'dataset'): GpuItems {
  const count = labels.length;
  const u8 = images instanceof Uint8Array;
  let words: Uint32Array;
  if (u8) {
    words = new Uint32Array(Math.ceil(images.length / 4));
    new Uint8Array(words.buffer).set(images);
  } else {
    words = new Uint32Array(images.buffer.slice(images.byteOffset, images.byteOffset + images.byteLength));
  }
  return {
    data: ctx.upload(`${label}:items`, words.length ? words : new Uint32Array(1)),
    classes: ctx.upload(`${label}:classes`, Int32Array.from(labels)),
    count, itemSize, u8,
  };
}

/** An item's image geometry (height, width) for augmentation, or null when its shape is not an image. */
export function imageGeometry(itemShape: readonly number[], pre: Preprocess): { height: number; width: number } | null {
  const nhwc = pre.kind === 'channels' && pre.layout === 'NHWC';
  if (itemShape.length === 2) return { height: itemShape[0]!, width: itemShape[1]! };
  if (itemShape.length === 3) return nhwc ? { height: itemShape[0]!, width: itemShape[1]! } : { height: itemShape[1]!, width: itemShape[2]! };
  return null;
}

/** The augment words of one step: a random offset in [0, 2·pad] per axis and a coin flip per row. */
export function augmentWords(rows: number, pad: number, flip: boolean, rng: () => number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const dx = pad ? Math.floor(rng() * (2 * pad + 1)) : pad, dy = pad ? Math.floor(rng() * (2 * pad + 1)) : pad;
    out[r] = dx | (dy << 8) | (flip && rng() < 0.5 ? 1 << 16 : 0);
  }
  return out;
}
