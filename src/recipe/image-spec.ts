/**
 * How a model wants its images: geometry (size, resize + centre crop or squash, interpolation),
 * colour (grey or RGB, channel order), layout, and per-channel normalisation. Field names follow
 * timm's pretrained configs where they exist (input_size, interpolation, crop_pct, crop_mode, mean,
 * std). Stored with each dataset, and so with every variant and recipe step that reads it.
 */
import { DatasetError } from '../core/errors';
import type { ChannelLayout, Preprocess } from '../recipe/vocabulary';

export const INTERPOLATIONS = ['bilinear', 'bicubic', 'nearest'] as const;
export type Interpolation = typeof INTERPOLATIONS[number];
/** center: resize the shorter side to size/crop_pct, then crop the centre; squash: resize to the size, aspect ratio lost. */
export const CROP_MODES = ['center', 'squash'] as const;
export type CropMode = typeof CROP_MODES[number];
export const CHANNEL_ORDERS = ['RGB', 'BGR'] as const;
export type ChannelOrder = typeof CHANNEL_ORDERS[number];

export interface ImageSpec {
  /** [channels, height, width] whatever the layout; channels 1 (grey) or 3 (colour). */
  input_size: [number, number, number];
  interpolation: Interpolation;
  /** The crop's share of the resized shorter side (timm's crop_pct; torchvision's Resize 256 + CenterCrop 224 is 0.875). */
  crop_pct: number;
  crop_mode: CropMode;
  /** Per channel, on the 0–1 scale, in the model's channel order: value = (pixel/255 − mean) / std. */
  mean: number[];
  std: number[];
  channel_order: ChannelOrder;
  layout: ChannelLayout;
  /** Where the spec came from, shown beside it: a preset, the model's metadata, a guess, the user. */
  origin?: string;
}

const CIFAR_MEAN = [0.4914, 0.4822, 0.4465];
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const base = (size: number, channels: 1 | 3) => ({
  input_size: [channels, size, size] as [number, number, number], interpolation: 'bilinear' as Interpolation, crop_pct: 1,
  crop_mode: 'center' as CropMode, channel_order: 'RGB' as ChannelOrder, layout: 'NCHW' as ChannelLayout,
});

/** The usual conventions, by name (size and layout are set from the model when it says otherwise). */
export const PRESETS = {
  mnist: { ...base(28, 1), mean: [0.1307], std: [0.3081] },
  /** CIFAR-10, the std most code uses (the per-pixel std over the training set). */
  cifar10: { ...base(32, 3), mean: CIFAR_MEAN, std: [0.2470, 0.2435, 0.2616] },
  /** CIFAR-10 with the other std found in many repositories (the mean of per-image stds). */
  'cifar10-alt': { ...base(32, 3), mean: CIFAR_MEAN, std: [0.2023, 0.1994, 0.2010] },
  /** torchvision's ImageNet models: Resize 256, CenterCrop 224, ImageNet mean/std. */
  imagenet: { ...base(224, 3), crop_pct: 0.875, mean: IMAGENET_MEAN, std: IMAGENET_STD },
  /** Caffe's: BGR, 0–255 less the per-channel mean (mean given on the 0–1 scale, std 1/255). */
  caffe: { ...base(224, 3), crop_pct: 0.875, channel_order: 'BGR' as ChannelOrder, mean: [103.939 / 255, 116.779 / 255, 123.68 / 255], std: [1 / 255, 1 / 255, 1 / 255] },
  /** Keras/TF "tf" mode: −1..1. */
  keras: { ...base(224, 3), crop_pct: 0.875, layout: 'NHWC' as ChannelLayout, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  /** 0–1, no normalisation. */
  unit: { ...base(224, 3), mean: [0, 0, 0], std: [1, 1, 1] },
} satisfies Record<string, Omit<ImageSpec, 'origin'>>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Value scales a user can pick instead of a mean and std: 0–1, 0–255 or −1..1. */
export const SCALES = { '0-1': { mean: 0, std: 1 }, '0-255': { mean: 0, std: 1 / 255 }, '-1-1': { mean: 0.5, std: 0.5 } } as const;
export type ScaleName = keyof typeof SCALES;

/** The image dims and layout of a model input ([N,C,H,W] or [N,H,W,C], C 1 or 3; [N,H,W] is grey NCHW), or null. */
export function imageInputOf(shape: readonly (number | string)[]): { channels: 1 | 3; height: number; width: number; layout: ChannelLayout } | null {
  const dims = shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  if (dims.length === 3 && dims[1]! > 0 && dims[2]! > 0) return { channels: 1, height: dims[1]!, width: dims[2]!, layout: 'NCHW' };
  if (dims.length !== 4) return null;
  const [, a, b, c] = dims as [number, number, number, number];
  if ((a === 1 || a === 3) && b > 0 && c > 0 && !(c === 3 && a !== 3)) return { channels: a, height: b, width: c, layout: 'NCHW' };
  if ((c === 1 || c === 3) && a > 0 && b > 0) return { channels: c, height: a, width: b, layout: 'NHWC' };
  return null;
}

/** A preset fitted to a model input: the model's size, channels and layout win over the preset's. */
export function presetFor(name: string, shape?: readonly (number | string)[]): ImageSpec {
  const preset = (PRESETS as Record<string, Omit<ImageSpec, 'origin'>>)[name];
  if (!preset) throw new DatasetError(`there is no preprocessing preset '${name}'; the presets are ${PRESET_NAMES.join(', ')}`);
  const spec: ImageSpec = { ...preset, input_size: [...preset.input_size], mean: [...preset.mean], std: [...preset.std], origin: `preset ${name}` };
  const input = shape ? imageInputOf(shape) : null;
  if (input) {
    spec.input_size = [input.channels, input.height, input.width];
    spec.layout = input.layout;
    if (input.channels !== spec.mean.length) {
      // A grey model with a colour preset (or the reverse): average the statistics into one channel, or repeat it.
      const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      spec.mean = input.channels === 1 ? [avg(spec.mean)] : [0, 1, 2].map(() => spec.mean[0]!);
      spec.std = input.channels === 1 ? [avg(spec.std)] : [0, 1, 2].map(() => spec.std[0]!);
    }
  }
  return spec;
}

/**
 * The spec to start from when the user has not given one: the model's metadata if an exporter wrote
 * one, else a guess from the input shape (said to be a guess), or null when the input is not an image.
 */
export function defaultSpec(shape: readonly (number | string)[], metadata: Record<string, string> = {}): ImageSpec | null {
  const fromMeta = specFromMetadata(metadata, shape);
  if (fromMeta) return fromMeta;
  const input = imageInputOf(shape);
  if (!input) return null;
  const { channels, height } = input;
  const name: PresetName = channels === 1 ? 'mnist' : height <= 64 ? 'cifar10' : 'imagenet';
  return { ...presetFor(name, shape), origin: `a guess from the input shape (preset ${name}); check it` };
}

/**
 * Reads a spec from ONNX metadata_props: a JSON object under `preprocessing` / `image_spec` with
 * this type's fields (or a `preset`), or timm-style keys `mean` / `std` (JSON arrays) and `input_size`.
 */
export function specFromMetadata(meta: Record<string, string>, shape: readonly (number | string)[]): ImageSpec | null {
  const raw = meta.preprocessing ?? meta.image_spec;
  let fields: Record<string, unknown> | null = null;
  try {
    if (raw) fields = JSON.parse(raw) as Record<string, unknown>;
    else if (meta.mean && meta.std) fields = { mean: JSON.parse(meta.mean), std: JSON.parse(meta.std), ...(meta.input_size ? { input_size: JSON.parse(meta.input_size) } : {}) };
  } catch {
    return null;
  }
  if (!fields || typeof fields !== 'object') return null;
  const start = defaultFor(typeof fields.preset === 'string' ? fields.preset : null, shape);
  const spec = checkSpec({ ...start, ...fields, origin: 'the model\'s metadata' } as ImageSpec);
  return spec;
}

function defaultFor(preset: string | null, shape: readonly (number | string)[]): ImageSpec {
  if (preset) return presetFor(preset, shape);
  const input = imageInputOf(shape);
  return presetFor(input?.channels === 1 ? 'mnist' : 'imagenet', shape);
}

/** Validates a spec, with a message per field a person can act on; returns it unchanged when sound. */
export function checkSpec(spec: ImageSpec): ImageSpec {
  const [c, h, w] = spec.input_size ?? [];
  if (!(c === 1 || c === 3) || !(Number.isInteger(h) && h! > 0) || !(Number.isInteger(w) && w! > 0)) {
    throw new DatasetError(`input_size must be [channels (1 or 3), height, width], not ${JSON.stringify(spec.input_size)}`);
  }
  if (!INTERPOLATIONS.includes(spec.interpolation)) throw new DatasetError(`interpolation must be one of ${INTERPOLATIONS.join(', ')}, not '${spec.interpolation}'`);
  if (!CROP_MODES.includes(spec.crop_mode)) throw new DatasetError(`crop_mode must be one of ${CROP_MODES.join(', ')}, not '${spec.crop_mode}'`);
  if (!CHANNEL_ORDERS.includes(spec.channel_order)) throw new DatasetError(`channel order must be RGB or BGR, not '${spec.channel_order}'`);
  if (spec.layout !== 'NCHW' && spec.layout !== 'NHWC') throw new DatasetError(`layout must be NCHW or NHWC, not '${spec.layout}'`);
  if (!(spec.crop_pct > 0 && spec.crop_pct <= 1)) throw new DatasetError(`crop_pct must be in (0, 1], not ${spec.crop_pct}`);
  if (!Array.isArray(spec.mean) || !Array.isArray(spec.std) || spec.mean.length !== c || spec.std.length !== c) {
    throw new DatasetError(`mean and std need ${c} value${c === 1 ? '' : 's'} each (one per channel of the ${c === 1 ? 'grey' : 'colour'} input), got ${JSON.stringify(spec.mean)} and ${JSON.stringify(spec.std)}`);
  }
  if (!spec.std.every((s) => Number.isFinite(s) && s > 0)) throw new DatasetError(`every std must be > 0, got ${JSON.stringify(spec.std)}`);
  if (!spec.mean.every(Number.isFinite)) throw new DatasetError(`every mean must be a finite number, got ${JSON.stringify(spec.mean)}`);
  return spec;
}

/** The value map of a spec as the batchers apply it (the geometry is applied when images are decoded). */
export function pixelPreprocess(spec: ImageSpec): Preprocess {
  return { kind: 'channels', mean: [...spec.mean], std: [...spec.std], layout: spec.layout };
}

/** The dims of one decoded item in the model's layout. */
export function itemShapeOf(spec: ImageSpec): number[] {
  const [c, h, w] = spec.input_size;
  return spec.layout === 'NCHW' ? [c, h, w] : [h, w, c];
}

/** The side the shorter edge is resized to before the centre crop (timm: ⌊size / crop_pct⌋). */
export function resizeTarget(spec: ImageSpec): number {
  const size = Math.min(spec.input_size[1], spec.input_size[2]);
  return Math.floor(size / spec.crop_pct);
}

/** What the spec does, in words, for the page and the CLI. */
export function describeSpec(spec: ImageSpec): string {
  const [c, h, w] = spec.input_size;
  const geometry = spec.crop_mode === 'squash'
    ? `squash to ${w}×${h}`
    : spec.crop_pct === 1 ? `shorter side to ${Math.min(h, w)}, centre ${w}×${h}` : `shorter side to ${resizeTarget(spec)}, centre crop ${w}×${h}`;
  const round = (v: number) => Number(v.toFixed(4));
  return `${c === 1 ? 'grey' : spec.channel_order}, ${geometry} (${spec.interpolation}), (x/255 − [${spec.mean.map(round).join(', ')}]) / [${spec.std.map(round).join(', ')}], ${spec.layout}`;
}

/** What a user may set over a preset or the model's default: each field optional; one mean/std value stands for every channel. */
export interface SpecOverrides {
  preset?: string;
  size?: number | [number, number];
  crop_pct?: number;
  crop_mode?: CropMode;
  interpolation?: Interpolation;
  channel_order?: ChannelOrder;
  layout?: ChannelLayout;
  mean?: number | number[];
  std?: number | number[];
  scale?: ScaleName;
}

/**
 * The spec a dataset is decoded with: the preset named (fitted to the model input), else the model's
 * metadata or the guess from its input shape, with the user's fields over it.
 */
export function resolveSpec(over: SpecOverrides, shape: readonly (number | string)[] | null, metadata: Record<string, string> = {}): ImageSpec {
  let spec = over.preset ? presetFor(over.preset, shape ?? undefined) : shape ? defaultSpec(shape, metadata) : null;
  if (!spec) {
    throw new DatasetError(`the model input ${shape ? `[${shape.join(',')}]` : ''} is not an image ([N,C,H,W] or [N,H,W,C] with 1 or 3 channels); name a preset and a size to read images for it`);
  }
  spec = { ...spec, input_size: [...spec.input_size], mean: [...spec.mean], std: [...spec.std] };
  const c = spec.input_size[0];
  const perChannel = (v: number | number[], what: string) => {
    const a = typeof v === 'number' ? Array.from({ length: c }, () => v) : v;
    if (a.length === 1) return Array.from({ length: c }, () => a[0]!);
    if (a.length !== c) throw new DatasetError(`--${what} needs 1 or ${c} values (the input has ${c} channel${c === 1 ? '' : 's'}), got ${a.length}`);
    return a;
  };
  const user: string[] = [];
  if (over.size !== undefined) {
    const [h, w] = typeof over.size === 'number' ? [over.size, over.size] : over.size;
    spec.input_size = [c, h, w];
    user.push('size');
  }
  if (over.scale) { const s = SCALES[over.scale]; spec.mean = perChannel(s.mean, 'mean'); spec.std = perChannel(s.std, 'std'); user.push('scale'); }
  if (over.mean !== undefined) { spec.mean = perChannel(over.mean, 'mean'); user.push('mean'); }
  if (over.std !== undefined) { spec.std = perChannel(over.std, 'std'); user.push('std'); }
  for (const k of ['crop_pct', 'crop_mode', 'interpolation', 'channel_order', 'layout'] as const) {
    if (over[k] !== undefined) { (spec as unknown as Record<string, unknown>)[k] = over[k]; user.push(k); }
  }
  if (user.length) spec.origin = `${spec.origin ?? 'defaults'}, with ${user.join(', ')} set by you`;
  return checkSpec(spec);
}

/** Class names an exporter wrote into metadata_props (`classes`, `labels`, `class_names`: a JSON array or one per line). */
export function classNamesFromMetadata(meta: Record<string, string> = {}): string[] | undefined {
  const raw = meta.classes ?? meta.class_names ?? meta.labels;
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* a plain list */ }
  const lines = raw.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  return lines.length > 1 ? lines : undefined;
}

/** The number of classes a classifier output declares (its last dim, when fixed). */
export function outputClasses(shape: readonly (number | string)[] | undefined): number | null {
  const last = shape?.[shape.length - 1];
  return typeof last === 'number' && last > 0 ? last : null;
}

/** What reading an image dataset kept, skipped and ignored (kept with the dataset's record). */
export interface ImageLoadReport {
  /** Items kept. */
  count: number;
  classNames: string[];
  /** Images that could not be decoded: their names and why. */
  skipped: { name: string; reason: string }[];
  /** Files that are not images (or not in the manifest): how many, and the first few names. */
  ignored: { count: number; examples: string[] };
  emptyClasses: string[];
  /** Distinct source image sizes seen (width×height), at most 8 listed. */
  sizes: string[];
  decodedBytes: number;
}

/** One line on what was read and what was left out, for the page's notice and the CLI's log. */
export function describeReport(r: ImageLoadReport): string {
  const parts = [`${r.count.toLocaleString('en')} images in ${r.classNames.length} classes (${(r.decodedBytes / 2 ** 20).toFixed(1)} MiB decoded)`];
  if (r.skipped.length) parts.push(`${r.skipped.length} unreadable image${r.skipped.length === 1 ? '' : 's'} skipped (${r.skipped.slice(0, 3).map((s) => s.name).join(', ')}${r.skipped.length > 3 ? ', …' : ''})`);
  if (r.ignored.count) parts.push(`${r.ignored.count} other file${r.ignored.count === 1 ? '' : 's'} ignored (${r.ignored.examples.slice(0, 3).join(', ')}${r.ignored.count > 3 ? ', …' : ''})`);
  if (r.emptyClasses.length) parts.push(`empty class folder${r.emptyClasses.length === 1 ? '' : 's'}: ${r.emptyClasses.join(', ')} (no items for ${r.emptyClasses.length === 1 ? 'it' : 'them'})`);
  if (r.sizes.length > 1) parts.push(`image sizes vary (${r.sizes.slice(0, 4).join(', ')}${r.sizes.length > 4 ? ', …' : ''}); each was resized by the spec`);
  return parts.join('; ');
}

/** A whole spec as overrides (what a recipe carries), so the user's flags can still go over it. */
export function overridesOf(spec: ImageSpec): SpecOverrides {
  const [, h, w] = spec.input_size;
  return {
    size: [h, w], crop_pct: spec.crop_pct, crop_mode: spec.crop_mode, interpolation: spec.interpolation,
    channel_order: spec.channel_order, layout: spec.layout, mean: [...spec.mean], std: [...spec.std],
  };
}
