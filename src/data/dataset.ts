/**
 * Labelled image datasets, preprocessing and batching laid out to fit a model's input.
 * Plain typed arrays only, so datasets cross the worker boundary by structured cloning.
 */
import { DatasetError } from '../core/errors';
import type { IdxArray } from './idx';

export interface LabelledDataset {
  name: string;
  /** `count` items of `itemShape`, row-major; uint8 pixels 0–255 or floats. */
  images: Uint8Array | Float32Array;
  count: number;
  itemShape: number[]; // e.g. [28, 28]
  labels: Uint8Array | Int32Array;
}

import type { Preprocess } from '../recipe/vocabulary';
import { channelAffine, channelGeometry } from '../core/channels';

export { channelAffine, channelGeometry, preprocessAffine } from '../core/channels';

export type { Preprocess } from '../recipe/vocabulary';

/** Input dims as the model declares them: numbers are fixed, strings (or ≤ 0) are symbolic. */
export type InputShape = readonly (number | string)[];

/**
 * How a dataset's items fill a model input; `batch` is null when the batch dim is symbolic.
 * `unbatched`: the input has no batch dim (e.g. [C,H,W]) and takes one item as the whole input.
 */
export interface InputLayout { batch: number | null; itemDims: number[]; unbatched?: boolean }

export interface Batch {
  input: Float32Array;
  shape: number[];
  /** One per real item; when a fixed batch dim is larger, the rows past labels.length are zeros. */
  labels: Int32Array;
  /** Items as the model sees them, padding included (1 where the input has no batch dim). */
  rows: number;
}

/** Pairs an images file with a labels file, checking they describe the same items. */
export function datasetFromIdx(images: IdxArray, labels: IdxArray, name: string): LabelledDataset {
  if (labels.dims.length !== 1) {
    throw new DatasetError(
      `the labels file should be 1-D (one class per item) but has shape ${labels.dims.join('×')}; were the images and labels files swapped?`,
    );
  }
  if (labels.dtype === 'float32' || labels.dtype === 'float64') {
    throw new DatasetError(`the labels file holds ${labels.dtype} values; class labels must be integers`);
  }
  const count = images.dims[0]!;
  if (count !== labels.dims[0]) {
    throw new DatasetError(
      `the images file has ${count} items but the labels file has ${labels.dims[0]}; pick files from the same split (e.g. t10k with t10k)`,
    );
  }
  if (count === 0) throw new DatasetError(`the dataset '${name}' has no items`);
  const img = images.data;
  return {
    name,
    images: img instanceof Uint8Array || img instanceof Float32Array ? img : Float32Array.from(img),
    count,
    itemShape: images.dims.slice(1),
    labels: labels.data instanceof Uint8Array ? labels.data : Int32Array.from(labels.data),
  };
}

export function itemSize(ds: LabelledDataset): number {
  return ds.itemShape.reduce((a, d) => a * d, 1);
}

const isFixed = (d: number | string): d is number => typeof d === 'number' && d > 0;
const showModel = (s: InputShape) => `[${s.map((d) => (isFixed(d) ? d : typeof d === 'string' && d ? d : '?')).join(',')}]`;
const values = (n: number) => `${n} value${n === 1 ? '' : 's'}`;
const showItem = (s: readonly number[]) => (s.length ? s.join('×') : 'scalars');

/**
 * Resolves how items fill `inputShape` (first dim = batch), or throws a DatasetError naming both
 * shapes. Fits: any layout with the same values per item whose non-1 dims are the item's dims or
 * merges of adjacent ones ([N,1,28,28], [N,28,28], [N,784], [N,1,784] for 28×28 items).
 * Symbolic item dims take the item's dim at the same place counting from the right.
 */
export function checkFits(ds: LabelledDataset, inputShape: InputShape, inputName = 'input'): InputLayout {
  try {
    return fitsBatched(ds, inputShape, inputName);
  } catch (e) {
    // An input without a batch dim ([C,H,W]) takes one item as a whole: every dim fixed, the item's values in order.
    if (inputShape.every(isFixed) && sizeOfDims(inputShape as number[]) === itemSize(ds) && mergesOf(ds.itemShape, inputShape as number[])) {
      return { batch: 1, itemDims: [...(inputShape as number[])], unbatched: true };
    }
    throw e;
  }
}

const sizeOfDims = (dims: readonly number[]) => dims.reduce((a, d) => a * d, 1);

function fitsBatched(ds: LabelledDataset, inputShape: InputShape, inputName: string): InputLayout {
  const who = `the model input '${inputName}'`;
  if (inputShape.length === 0) {
    throw new DatasetError(`${who} is a scalar; it needs a batch dimension followed by the item dimensions`);
  }
  const size = itemSize(ds);
  const model = inputShape.slice(1);
  const dims = model.map((d, i) => {
    if (isFixed(d)) return d;
    const j = ds.itemShape.length - (model.length - i);
    return j >= 0 ? ds.itemShape[j]! : 1;
  });
  const symbolic = model.map((d, i) => (isFixed(d) ? -1 : i)).filter((i) => i >= 0);
  let per = dims.reduce((a, d) => a * d, 1);
  if (per !== size && symbolic.length === 1) {
    // One free dim: solve it if the fixed dims divide the item.
    const k = symbolic[0]!;
    const rest = per / dims[k]!;
    if (size % rest === 0) { dims[k] = size / rest; per = size; }
  }
  if (per !== size) {
    const perText = symbolic.length ? `${values(per)} per item with the free dims read as ${showItem(dims)}` : `${values(per)} per item`;
    throw new DatasetError(
      `${who} expects ${showModel(inputShape)} (${perText}) but the dataset's items are ${showItem(ds.itemShape)} (${values(size)})`,
    );
  }
  if (!mergesOf(ds.itemShape, dims)) {
    throw new DatasetError(
      `${who} expects ${showModel(inputShape)}: the same ${values(size)} per item as the dataset's ${showItem(ds.itemShape)} items, ` +
        `but arranged as ${showItem(dims)}, which would scramble them; the model wants a different image layout`,
    );
  }
  return { batch: isFixed(inputShape[0]!) ? (inputShape[0] as number) : null, itemDims: dims };
}

/** True when `to` (1s ignored) is `from` (1s ignored) with runs of adjacent dims multiplied together. */
function mergesOf(from: readonly number[], to: readonly number[]): boolean {
  const a = from.filter((d) => d !== 1);
  const b = to.filter((d) => d !== 1);
  let i = 0;
  for (const want of b) {
    let got = 1;
    while (got < want && i < a.length) got *= a[i++]!;
    if (got !== want) return false;
  }
  return i === a.length;
}

/**
 * Items [start, start+count) (clipped to the dataset's end and to what one run of the model takes),
 * preprocessed and shaped for the model input; `labels.length` says how many items it holds, and
 * callers advance by that. With a fixed batch dim B the input is always B items, zero-padded past the
 * real ones; an input without a batch dim takes one item.
 */
export function batchFor(
  ds: LabelledDataset, start: number, count: number, pre: Preprocess, inputShape: InputShape, inputName = 'input',
): Batch {
  const layout = checkFits(ds, inputShape, inputName);
  const geometry = channelGeometry(pre, itemSize(ds));
  channelAffine(pre, geometry.channels); // validates the recipe
  if (!Number.isInteger(start) || start < 0 || start >= ds.count) {
    throw new RangeError(`batch start ${start} is outside the dataset's ${ds.count} items`);
  }
  const n = Math.min(Math.max(0, Math.floor(count)), ds.count - start, layout.batch ?? Infinity);
  const rows = layout.batch ?? n;
  const size = itemSize(ds);
  const input = new Float32Array(rows * size);
  const src = ds.images;
  const base = start * size;
  const end = n * size;
  // Same operation order as torchvision (x/255 - mean)/std, so values match torch's closely.
  if (pre.kind === 'raw') for (let i = 0; i < end; i++) input[i] = src[base + i]!;
  else if (pre.kind === 'unit') for (let i = 0; i < end; i++) input[i] = src[base + i]! / 255;
  else if (pre.kind === 'normalize') for (let i = 0; i < end; i++) input[i] = (src[base + i]! / 255 - pre.mean) / pre.std;
  else {
    const { channels, plane, nhwc } = geometry;
    for (let i = 0; i < end; i++) {
      const k = i % size, c = nhwc ? k % channels : Math.floor(k / plane);
      input[i] = (src[base + i]! / 255 - pre.mean[c]!) / pre.std[c]!;
    }
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = ds.labels[start + i]!;
  return { input, shape: layout.unbatched ? layout.itemDims : [rows, ...layout.itemDims], labels, rows };
}

/** Items [start, count) of a dataset as a dataset of their own (views, no copies). */
export function sliceDataset(ds: LabelledDataset, start: number): LabelledDataset {
  const per = ds.itemShape.reduce((a, b) => a * b, 1);
  return {
    ...ds, name: `${ds.name} [${start}:]`, count: ds.count - start,
    images: ds.images.subarray(start * per) as LabelledDataset['images'],
    labels: ds.labels.subarray(start) as LabelledDataset['labels'],
  };
}
