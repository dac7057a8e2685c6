import { describe, expect, it } from 'vitest';
import { gzipSync, zipSync } from 'fflate';
import { encode as encodeJpeg } from 'jpeg-js';
import { encode as encodePng } from 'fast-png';
import { DatasetError } from '../core/errors';
import { openSource, parseNpy, readTar, type SourceFile } from './sources';
import { describeReport, imageDataset } from './image-dataset';
import { decodeBmp, decodeImage } from './decode';
import { presetFor } from '../recipe/image-spec';

const file = (path: string, bytes: Uint8Array): SourceFile => ({ path, size: bytes.length, read: async () => bytes });
const rgba = (w: number, h: number, v: (x: number, y: number) => [number, number, number]) => {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { data.set([...v(x, y), 255], (y * w + x) * 4); }
  return data;
};
const png = (w: number, h: number, c: [number, number, number]) => encodePng({ width: w, height: h, data: rgba(w, h, () => c), channels: 4, depth: 8 });
const jpeg = (w: number, h: number, c: [number, number, number]) => new Uint8Array(encodeJpeg({ width: w, height: h, data: rgba(w, h, () => c) }, 95).data);
function bmp(w: number, h: number, c: [number, number, number]): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4, size = 54 + row * h;
  const b = new Uint8Array(size), v = new DataView(b.buffer);
  b.set([0x42, 0x4d]); v.setUint32(2, size, true); v.setUint32(10, 54, true); v.setUint32(14, 40, true);
  v.setInt32(18, w, true); v.setInt32(22, h, true); v.setUint16(26, 1, true); v.setUint16(28, 24, true);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set([c[2], c[1], c[0]], 54 + y * row + 3 * x);
  return b;
}
const spec = presetFor('cifar10', ['N', 3, 8, 8]);
const RED: [number, number, number] = [250, 10, 10], BLUE: [number, number, number] = [10, 10, 250];

describe('image sources', () => {
  it('class folders: classes from sorted folder names, interleaved items, PNG/JPEG/BMP of mixed sizes resized by the spec', async () => {
    const files = [
      file('set/red/a.png', png(8, 8, RED)), file('set/red/b.jpg', jpeg(20, 12, RED)), file('set/red/c.bmp', bmp(5, 9, RED)),
      file('set/blue/a.png', png(8, 8, BLUE)), file('set/blue/b.png', png(16, 16, BLUE)),
    ];
    const src = await openSource(files);
    expect(src.classNames).toEqual(['blue', 'red']);
    expect(Array.from(src.labels)).toEqual([0, 1, 0, 1, 1]);
    const { ds, report } = await imageDataset(src, spec, 'set');
    expect(ds.itemShape).toEqual([3, 8, 8]);
    expect(ds.count).toBe(5);
    // Every item's red plane is high for red images, low for blue ones (JPEG within a few levels).
    for (let i = 0; i < ds.count; i++) {
      const red = ds.images[i * 192 + 20]!, blue = ds.images[i * 192 + 128 + 20]!;
      expect(ds.labels[i] === 1 ? red > 200 && blue < 50 : red < 50 && blue > 200).toBe(true);
    }
    expect(describeReport(report)).toMatch(/image sizes vary .*resized by the spec/);
  });

  it('a corrupt JPEG is skipped, counted and named; non-images are ignored and counted; an empty class folder is named', async () => {
    const good = jpeg(8, 8, RED);
    const files = [
      file('set/red/ok.jpg', good), file('set/red/broken.jpg', good.slice(0, 200)), file('set/blue/x.png', png(8, 8, BLUE)),
      file('set/notes.txt', new TextEncoder().encode('hi')), file('set/red/Thumbs.db', new Uint8Array(10)), file('set/empty/', new Uint8Array()),
    ];
    const src = await openSource(files);
    expect(src.classNames).toEqual(['blue', 'empty', 'red']);
    expect(src.emptyClasses).toEqual(['empty']);
    const { ds, report } = await imageDataset(src, spec, 'set');
    expect(ds.count).toBe(2);
    expect(report.skipped.map((s) => s.name)).toEqual(['set/red/broken.jpg']);
    expect(report.skipped[0]!.reason).toMatch(/corrupt or truncated/);
    expect(report.ignored.count).toBe(2);
    const line = describeReport(report);
    expect(line).toContain('1 unreadable image skipped (set/red/broken.jpg)');
    expect(line).toContain('2 other files ignored');
    expect(line).toContain('empty class folder: empty');
  });

  it('a zip of class folders reads as the folder does', async () => {
    const zip = zipSync({ 'cifar/cat/1.png': png(8, 8, RED), 'cifar/dog/1.png': png(8, 8, BLUE), 'cifar/dog/': new Uint8Array() });
    const src = await openSource([file('cifar.zip', zip)]);
    expect(src.classNames).toEqual(['cat', 'dog']);
    expect(src.count).toBe(2);
    await expect(openSource([file('bad.zip', new Uint8Array([0x50, 0x4b, 3, 4, 9, 9]))])).rejects.toThrow(/not a readable zip/);
  });

  it('a CSV manifest beside its images: names or numbers as labels; a missing file is named', async () => {
    const files = [file('d/manifest.csv', new TextEncoder().encode('file,label\nimg/1.png,cat\nimg/2.png,dog\nimg/3.png,cat\n')),
      file('d/img/1.png', png(8, 8, RED)), file('d/img/2.png', png(8, 8, BLUE)), file('d/img/3.png', png(8, 8, RED))];
    const src = await openSource(files);
    expect(src.kind).toBe('manifest');
    expect(src.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(src.labels)).toEqual([0, 1, 0]);
    const tsv = [file('m.tsv', new TextEncoder().encode('a.png\t3\nb.png\t1\n')), file('a.png', png(4, 4, RED)), file('b.png', png(4, 4, RED))];
    expect(Array.from((await openSource(tsv)).labels)).toEqual([3, 1]);
    const missing = [files[0]!, files[1]!, files[2]!];
    await expect(openSource(missing)).rejects.toThrow(/names 1 file that is not there: img\/3\.png/);
  });

  it('a class list that disagrees with the folders is refused, naming the folders', async () => {
    const files = [file('s/cat/1.png', png(4, 4, RED)), file('s/lion/1.png', png(4, 4, RED)), file('s/classes.txt', new TextEncoder().encode('cat\ndog\n'))];
    await expect(openSource(files)).rejects.toThrow(/'lion' are not among them/);
    const ok = await openSource([files[0]!, file('s/classes.txt', new TextEncoder().encode('dog\ncat\n'))]);
    expect(ok.classNames).toEqual(['dog', 'cat']);
    expect(Array.from(ok.labels)).toEqual([1]);
  });

  it('CIFAR-10 binary batches, also inside a .tar.gz, with batches.meta.txt names', async () => {
    const rec = new Uint8Array(2 * 3073);
    rec[0] = 3; rec[3073] = 7;
    rec.fill(200, 1, 1 + 1024); // item 0: red plane 200
    const tar = makeTar({ 'cifar-10-batches-bin/test_batch.bin': rec, 'cifar-10-batches-bin/batches.meta.txt': new TextEncoder().encode('a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n') });
    expect(readTar(tar, 't').map((e) => e.path)).toContain('cifar-10-batches-bin/test_batch.bin');
    const src = await openSource([file('cifar-10-binary.tar.gz', gzipSync(tar))]);
    expect(src.kind).toBe('cifar');
    expect(Array.from(src.labels)).toEqual([3, 7]);
    expect(src.classNames[3]).toBe('d');
    const px = await src.pixels(0);
    expect([px.data[0], px.data[1]]).toEqual([200, 0]);
    await expect(openSource([file('data_batch_1.bin', rec.slice(0, 5000))])).rejects.toThrow(/not a whole number of 3073-byte/);
  });

  it('NumPy .npz with uint8 NHWC images and int64 labels; float 0–1 NCHW .npy pairs', async () => {
    const images = new Uint8Array(2 * 4 * 4 * 3).fill(100);
    const labels = new BigInt64Array([1n, 0n]);
    const npz = zipSync({ 'x.npy': npy('|u1', [2, 4, 4, 3], images), 'y.npy': npy('<i8', [2], new Uint8Array(labels.buffer)) });
    const src = await openSource([file('d.npz', npz)]);
    expect(src.kind).toBe('arrays');
    expect(Array.from(src.labels)).toEqual([1, 0]);
    expect((await src.pixels(0)).data[0]).toBe(100);
    const f = new Float32Array(2 * 3 * 2 * 2).fill(0.5);
    const src2 = await openSource([file('x.npy', npy('<f4', [2, 3, 2, 2], new Uint8Array(f.buffer))), file('y.npy', npy('<i4', [2], new Uint8Array(new Int32Array([0, 1]).buffer)))]);
    const px = await src2.pixels(1);
    expect([px.width, px.channels, px.data[0]]).toEqual([2, 3, 128]);
    expect(() => parseNpy(new Uint8Array(20), 'z.npy')).toThrow(DatasetError);
  });

  it('refuses what it cannot read with a message: no images, images outside class folders, IDX files', async () => {
    await expect(openSource([file('a/readme.md', new Uint8Array(3))])).rejects.toThrow(/no images found/);
    await expect(openSource([file('a.png', png(4, 4, RED))])).rejects.toThrow(/not in class folders/);
    await expect(openSource([file('t10k-images-idx3-ubyte', new Uint8Array(4))])).rejects.toThrow(/IDX files/);
  });

  it('a dataset over the memory budget is refused before decoding, saying how many images fit', async () => {
    const src = await openSource([file('s/a/1.png', png(4, 4, RED)), file('s/a/2.png', png(4, 4, RED))]);
    await expect(imageDataset(src, spec, 's', { memoryBudget: 200 })).rejects.toThrow(/need 0 MB decoded.*at most 1 images/);
  });

  it('decoders: magic bytes win over the extension; BMP rows bottom-up', async () => {
    await expect(decodeImage(new TextEncoder().encode('not an image'), 'x.jpg')).rejects.toThrow(/not a JPEG, PNG, WebP or BMP/);
    const b = bmp(2, 2, RED);
    b.set([0, 255, 0], 54); // the first stored row is the bottom one
    const px = decodeBmp(b);
    expect(Array.from(px.data.subarray(6, 9))).toEqual([0, 255, 0]);
    expect(Array.from(px.data.subarray(0, 3))).toEqual([250, 10, 10]);
  });
});

function npy(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

function makeTar(files: Record<string, Uint8Array>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [path, bytes] of Object.entries(files)) {
    const h = new Uint8Array(512);
    h.set(new TextEncoder().encode(path));
    h.set(new TextEncoder().encode(bytes.length.toString(8).padStart(11, '0')), 124);
    h[156] = 48;
    blocks.push(h, bytes, new Uint8Array((512 - (bytes.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of blocks) { out.set(b, o); o += b.length; }
  return out;
}
