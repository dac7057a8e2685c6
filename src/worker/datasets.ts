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
import type { ImageSpec } from '../recipe/image-spec';
import type { ItemSource } from '../data/sources';
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
