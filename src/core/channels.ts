/**
 * The per-channel value map of a preprocessing recipe, shared by the CPU batcher (data/dataset.ts)
 * and the GPU batch gather (kernels/batch-gather.ts): one affine map per colour channel, and where
 * the channel sits in an item.
 */
import { DatasetError } from './errors';
import type { Preprocess } from '../recipe/vocabulary';

/** Checks a preprocessing recipe, returning the affine map x ↦ x·scale + shift it applies (per-channel recipes: the first channel's). */
export function preprocessAffine(pre: Preprocess): { scale: number; shift: number } {
  switch (pre.kind) {
    case 'channels': return channelAffine(pre, pre.mean.length)[0]!;
    case 'raw': return { scale: 1, shift: 0 };
    case 'unit': return { scale: 1 / 255, shift: 0 };
    case 'normalize':
      if (!(pre.std > 0) || !Number.isFinite(pre.std)) {
        throw new DatasetError(`normalize needs a standard deviation > 0 (got ${pre.std}); MNIST's usual value is 0.3081`);
      }
      if (!Number.isFinite(pre.mean)) throw new DatasetError(`normalize needs a finite mean (got ${pre.mean})`);
      return { scale: 1 / (255 * pre.std), shift: -pre.mean / pre.std };
  }
}

/** One affine map per channel (a scalar recipe gives the same map to every channel). */
export function channelAffine(pre: Preprocess, channels: number): { scale: number; shift: number }[] {
  if (pre.kind !== 'channels') return Array.from({ length: channels }, () => preprocessAffine(pre));
  if (pre.mean.length !== pre.std.length) throw new DatasetError(`per-channel preprocessing has ${pre.mean.length} means but ${pre.std.length} standard deviations`);
  if (pre.mean.length !== channels) {
    throw new DatasetError(`the preprocessing has a mean and std for ${pre.mean.length} channel${pre.mean.length === 1 ? '' : 's'} but the items have ${channels}; give one value per channel or pick a preset that fits the model`);
  }
  return pre.mean.map((mean, c) => {
    const std = pre.std[c]!;
    if (!(std > 0) || !Number.isFinite(std)) throw new DatasetError(`channel ${c}'s standard deviation must be > 0 (got ${std})`);
    if (!Number.isFinite(mean)) throw new DatasetError(`channel ${c}'s mean must be finite (got ${mean})`);
    return { scale: 1 / (255 * std), shift: -mean / std };
  });
}

/**
 * Where the colour channel sits in an item of `itemSize` values: `plane` values per channel, channel
 * of value k = NCHW ? ⌊k / plane⌋ mod C : k mod C.
 */
export function channelGeometry(pre: Preprocess, itemSize: number): { channels: number; plane: number; nhwc: boolean } {
  const channels = pre.kind === 'channels' ? pre.mean.length : 1;
  if (itemSize % channels !== 0) throw new DatasetError(`items of ${itemSize} values cannot be split into ${channels} colour channels`);
  return { channels, plane: itemSize / channels, nhwc: pre.kind === 'channels' && pre.layout === 'NHWC' };
}

