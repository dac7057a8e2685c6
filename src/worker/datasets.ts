/**
 * The datasets a project holds, by role (test, train, calibration): each parsed once, named by the
 * sha256 of its decompressed bytes (so the same data is the same key in the page and the CLI,
 * gzipped or not), with a record the page and project files keep (labels included, so predictions
 * can be scored anywhere).
 */
import { sha256Hex } from '../core/hash';
import { DatasetError } from '../core/errors';
import { encodeIdx, maybeGunzip, parseIdx } from '../data/idx';
import { imageDataset, type ImageLoadOptions } from '../data/image-dataset';
import { classNamesFromMetadata, outputClasses, resolveSpec, type ImageSpec, type SpecOverrides } from '../recipe/image-spec';
import { openSource, type ItemSource, type SourceFile } from '../data/sources';
import type { Model } from '../model/ir';
import { datasetFromIdx, sliceDataset, type LabelledDataset } from '../data/dataset';
import type { DatasetRecord } from '../recipe/variant';
import type { DataRole } from '../recipe/vocabulary';

export interface LoadedData {
  ds: LabelledDataset;
  record: DatasetRecord;
  /** The decompressed IDX files, for storage. */
  files: { images: Uint8Array; labels: Uint8Array };
}

/** An IDX (or IDX.gz) images + labels pair. */
export async function dataFromIdx(
  images: Uint8Array, labels: Uint8Array, name: string, imagesName = 'images', labelsName = 'labels',
  extra: Pick<DatasetRecord, 'spec' | 'classNames' | 'loadReport'> = {},
): Promise<LoadedData> {
  const img = await maybeGunzip(images, imagesName), lab = await maybeGunzip(labels, labelsName);
  const ds = datasetFromIdx(parseIdx(img, imagesName), parseIdx(lab, labelsName), name);
  const joined = new Uint8Array(img.length + lab.length);
  joined.set(img, 0);
  joined.set(lab, img.length);
  const counts: number[] = [];
  for (let i = 0; i < ds.count; i++) { const l = Number(ds.labels[i]); counts[l] = (counts[l] ?? 0) + 1; }
  const labelCounts = Array.from({ length: counts.length }, (_, i) => counts[i] ?? 0);
  return {
    ds, files: { images: img, labels: lab },
    record: {
      sha256: await sha256Hex(joined), name, count: ds.count, itemShape: ds.itemShape, classes: labelCounts.length, labelCounts,
      labels: Array.from(ds.labels, Number), files: [imagesName, labelsName], ...extra,
    },
  };
}

/**
 * Image files as a project's dataset for `model` (or `inputShape` when there is none yet): the spec
 * is the user's fields over a preset, the model's metadata or a guess from its input; class names
 * from the caller, else the model's metadata; labels the model cannot output are refused with their count.
 */
export async function dataFromImageFiles(
  files: SourceFile[], name: string, model: Model | null,
  opts: ImageLoadOptions & { spec?: SpecOverrides; inputShape?: readonly (number | string)[]; classNames?: string[] } = {},
): Promise<{ d: LoadedData; source: ItemSource }> {
  const shape = opts.inputShape ?? model?.graph.inputs[0]?.shape ?? null;
  const spec = resolveSpec(opts.spec ?? {}, shape, model?.metadata);
  const source = await openSource(files, { classNames: opts.classNames ?? classNamesFromMetadata(model?.metadata) });
  const outputs = outputClasses(model?.graph.outputs[0]?.shape);
  const tooHigh = outputs ? Array.from(source.labels).filter((l) => l >= outputs).length : 0;
  if (tooHigh) {
    throw new DatasetError(`${tooHigh.toLocaleString('en')} of ${source.count.toLocaleString('en')} items have a class the model cannot output (it has ${outputs} outputs, the data ${source.classNames.length} classes: ${source.classNames.slice(outputs!, outputs! + 3).join(', ')}…); give a class list in the model's output order, or data with ${outputs} classes`);
  }
  const fileName = files.length === 1 ? files[0]!.path : `${files.length} files`;
  return { d: await dataFromImages(source, spec, name, fileName, opts), source };
}

/**
 * Labelled images decoded with `spec` (see data/image-dataset.ts), kept as an IDX pair of the
 * decoded bytes: stored and restored like any IDX set, and named by their sha256, so the same
 * images with the same spec are the same data in the page and the CLI.
 */
export async function dataFromImages(source: ItemSource, spec: ImageSpec, name: string, fileName: string, opts: ImageLoadOptions = {}): Promise<LoadedData> {
  const { ds, report } = await imageDataset(source, spec, name, opts);
  const images = encodeIdx(ds.images as Uint8Array, [ds.count, ...ds.itemShape]);
  const labels = encodeIdx(ds.labels as Int32Array, [ds.count]);
  return dataFromIdx(images, labels, name, fileName, `${fileName} labels`, { spec, classNames: source.classNames, loadReport: report });
}

const ROLE_WORDS: Record<DataRole, string> = { test: 'a test set', train: 'a training set', calibration: 'a calibration set' };

export class ProjectData {
  private readonly byRole = new Map<DataRole, LoadedData>();

  set(role: DataRole, data: LoadedData): void { this.byRole.set(role, data); }
  get(role: DataRole): LoadedData | null { return this.byRole.get(role) ?? null; }
  clear(): void { this.byRole.clear(); }
  records(): Partial<Record<DataRole, DatasetRecord>> {
    return Object.fromEntries([...this.byRole.entries()].map(([role, d]) => [role, d.record]));
  }

  /** The dataset of a role, or a DatasetError saying how to give one. */
  need(role: DataRole, forWhat: string): LoadedData {
    const d = this.get(role);
    if (!d) throw new DatasetError(`${forWhat} needs ${ROLE_WORDS[role]}, and none is loaded: ${role === 'test' ? 'drop the images first (a folder or zip of class folders, a manifest, CIFAR batches, arrays, or IDX images + labels; the CLI\'s --data)' : role === 'train' ? 'load a training set (the page fetches MNIST\'s, or takes dropped images as the training set; the CLI reads --data, --images/--labels or MNIST\'s)' : 'give --calibration-data (or --calibration-images/--calibration-labels), or calibrate on the test or training set'}`);
    return d;
  }

  /**
   * The items a static int8 calibration reads: the test set's last `samples` (the first ones are
   * what Evaluate scores), or the first `samples` of the training or calibration set.
   */
  calibrationItems(role: DataRole, samples: number): { ds: LabelledDataset; data: LoadedData } {
    const data = this.need(role, 'static int8 calibration');
    const n = data.ds.count;
    if (!Number.isInteger(samples) || samples < 1) {
      throw new DatasetError(`static int8 calibration needs at least one sample, got ${samples}: set the calibration samples to 1 or more (a few hundred is typical), or use dynamic activations, which need none`);
    }
    if (samples > n) throw new DatasetError(`calibration asks for ${samples} samples but the dataset has ${n} (the ${role} set); use ${n} or fewer`);
    return { ds: role === 'test' ? sliceDataset(data.ds, n - samples) : data.ds, data };
  }
}
