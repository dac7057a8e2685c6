/**
 * The CLI's data flags: an IDX pair (--images/--labels and their kin) or any image source (--data,
 * --test-data, --calibration-data: a folder, a zip, a manifest, CIFAR batches, arrays), read from disk
 * before the GPU starts and loaded through the same runtime call the page uses, with the image spec
 * from --preset and the other spec flags over the model's own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { filesAt } from './data-files';

export { filesAt } from './data-files';
import type { SourceFile } from '../data/sources';
import { describeReport, describeSpec, pixelPreprocess, type SpecOverrides } from '../recipe/image-spec';
import type { DataRole, Preprocess } from '../recipe/vocabulary';
import type { StudioRuntime } from '../worker/runtime';
import { UsageError, type Flags } from './args';
import { numberFlag, wholeFlag } from './steps-from-flags';
import { idxPair, readPair, type IdxPair, type ReadPair } from './common';

export type DataInput = { kind: 'idx'; read: ReadPair } | { kind: 'images'; files: SourceFile[]; name: string; path: string };

/**
 * The data one role reads: `--<dataFlag>` (an image source), else the IDX pair of `imagesFlag` and
 * `labelsFlag`, else `dflt` (an IDX pair, or null for none).
 */
export function dataInput(flags: Flags, dataFlag: string, imagesFlag: string, labelsFlag: string, dflt: IdxPair | null): DataInput | null {
  const path = flags[dataFlag];
  if (typeof path === 'string') {
    if (flags[imagesFlag] !== undefined) throw new UsageError(`--${dataFlag} and --${imagesFlag} both name the data; give one`);
    return { kind: 'images', files: filesAt(path), name: basename(path), path };
  }
  const pair = idxPair(flags, imagesFlag, labelsFlag, dflt);
  return pair ? { kind: 'idx', read: readPair(pair) } : null;
}

/** The test set that goes with a training image source: --test-data, else the same path with train → test, if it exists. */
export function testImagesFor(flags: Flags, train: DataInput | null): DataInput | null {
  if (typeof flags['test-data'] === 'string') return dataInput(flags, 'test-data', 'test-images', 'test-labels', null);
  if (train?.kind !== 'images') return null;
  const guess = train.path.replace(/train/g, 'test');
  if (guess === train.path || !existsSync(guess)) throw new UsageError(`--test-data is needed with --data ${train.path} (no test set found beside it as ${guess})`);
  return { kind: 'images', files: filesAt(guess), name: basename(guess), path: guess };
}

const numbers = (flags: Flags, name: string): number | number[] | undefined => {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v.includes(',')) {
    const a = v.split(',').map(Number);
    if (a.some((n) => !Number.isFinite(n))) throw new UsageError(`--${name} needs numbers, one or one per channel (e.g. 0.485,0.456,0.406), got '${v}'`);
    return a;
  }
  return numberFlag(flags, name);
};

/** The image spec fields the flags set (the rest come from the preset, the model's metadata or its input shape). */
export function specOverridesFrom(flags: Flags): SpecOverrides {
  const o: SpecOverrides = {};
  if (typeof flags.preset === 'string') o.preset = flags.preset;
  if (typeof flags.size === 'string') {
    const m = /^(\d+)(?:x(\d+))?$/.exec(flags.size);
    if (!m) throw new UsageError(`--size must be S or HxW (e.g. 224 or 224x224), got '${flags.size}'`);
    o.size = m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]);
  }
  if (flags['crop-pct'] !== undefined) o.crop_pct = numberFlag(flags, 'crop-pct');
  if (flags.squash !== undefined) o.crop_mode = 'squash';
  const pick = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    const hit = allowed.find((a) => a.toLowerCase() === String(v).toLowerCase());
    if (!hit) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not '${v}'`);
    return hit;
  };
  o.interpolation = pick('interpolation', ['bilinear', 'bicubic', 'nearest'] as const);
  o.channel_order = pick('channel-order', ['RGB', 'BGR'] as const);
  o.layout = pick('layout', ['NCHW', 'NHWC'] as const);
  o.scale = pick('scale', ['0-1', '0-255', '-1-1'] as const);
  o.mean = numbers(flags, 'mean');
  o.std = numbers(flags, 'std');
  for (const k of Object.keys(o) as (keyof SpecOverrides)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The class list a --classes file gives. */
export function classesFrom(flags: Flags): string[] | undefined {
  if (typeof flags.classes !== 'string') return undefined;
  if (!existsSync(flags.classes)) throw new UsageError(`class list not found: ${flags.classes}`);
  return readFileSync(flags.classes, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/**
 * Loads one role's data into the runtime. Returns the preprocessing jobs must use for image data
 * (the spec's per-channel mean and std), or null for IDX data (the --preprocess flags apply).
 */
export async function loadInput(
  rt: StudioRuntime, role: DataRole, input: DataInput, flags: Flags,
  opts: { checkFit?: boolean; inputShape?: readonly (number | string)[]; base?: SpecOverrides } = {},
): Promise<Preprocess | null> {
  if (input.kind === 'idx') {
    const { read } = input;
    await rt.datasets.loadIdx(role, read.images, read.labels, read.pair.name, basename(read.pair.images), basename(read.pair.labels), { checkFit: opts.checkFit });
    return null;
  }
  const record = await rt.datasets.loadImages(role, input.files, input.name, {
    spec: { ...(flags.preset === undefined ? opts.base : {}), ...specOverridesFrom(flags) }, limit: wholeFlag(flags, 'data-limit'), inputShape: opts.inputShape, classNames: classesFrom(flags),
  });
  const r = record.loadReport;
  if (r) process.stderr.write(`${input.name}: ${describeReport(r)}; spec: ${describeSpec(record.spec!)} (${record.spec!.origin})\n`);
  return pixelPreprocess(record.spec!);
}
