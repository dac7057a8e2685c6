/**
 * Where labelled images come from, read the same way in the page (dropped files and folders) and
 * the CLI (paths): class folders (torchvision's ImageFolder: one sub-folder per class, classes in
 * sorted order; items interleaved by class), zips of them, CSV/TSV manifests (file, label) beside the images, CIFAR-10/100 binary
 * batches (or their .tar.gz), NumPy .npy/.npz arrays. Each becomes an ItemSource that yields pixels
 * one item at a time, so a large set never has to be decoded all at once.
 */
import { gunzipSync, unzipSync } from 'fflate';
import Papa from 'papaparse';
import { DatasetError } from '../core/errors';
import { decodeImage, isImageName } from './decode';
import type { Pixels } from './resample';

/** A file as the source sees it: a path relative to what was dropped or named, read on demand. */
export interface SourceFile { path: string; size: number; read(): Promise<Uint8Array> }

/** Labelled items, decoded on demand. */
export interface ItemSource {
  kind: 'folders' | 'manifest' | 'cifar' | 'arrays';
  count: number;
  classNames: string[];
  labels: Int32Array;
  name(i: number): string;
  pixels(i: number): Promise<Pixels>;
  /** Files seen but not read as items (not images, or not named by the manifest): count and a few names. */
  ignored: string[];
  /** Class folders with no images in them. */
  emptyClasses: string[];
}

const lower = (p: string) => p.toLowerCase();
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dir = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const CLASS_LIST_NAMES = ['classes.txt', 'labels.txt', 'class_names.txt', 'synset_words.txt', 'batches.meta.txt', 'fine_label_names.txt'];

/** Opens zips (and .tar/.tar.gz) among the files: their entries join the list under the archive's path. */
export async function expandArchives(files: SourceFile[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const f of files) {
    const l = lower(f.path);
    if (l.endsWith('.zip')) {
      let entries: Record<string, Uint8Array>;
      try {
        entries = unzipSync(await f.read());
      } catch (e) {
        throw new DatasetError(`${f.path}: not a readable zip (${e instanceof Error ? e.message : String(e)}); re-create it, or drop the folder itself`);
      }
      for (const [path, bytes] of Object.entries(entries)) {
        if (path.startsWith('__MACOSX/')) continue;
        out.push({ path, size: bytes.length, read: async () => bytes });
      }
    } else if (l.endsWith('.tar.gz') || l.endsWith('.tgz') || l.endsWith('.tar')) {
      let bytes = await f.read();
      if (!l.endsWith('.tar')) {
        try { bytes = gunzipSync(bytes); } catch { throw new DatasetError(`${f.path}: not a readable gzip file`); }
      }
      for (const e of readTar(bytes, f.path)) out.push({ path: e.path, size: e.bytes.length, read: async () => e.bytes });
    } else {
      out.push(f);
    }
  }
  return out;
}

/** Entries of a POSIX tar archive (files only). */
export function readTar(b: Uint8Array, name: string): { path: string; bytes: Uint8Array }[] {
  const out: { path: string; bytes: Uint8Array }[] = [];
  const text = (o: number, n: number) => { let s = ''; for (let i = o; i < o + n && b[i]; i++) s += String.fromCharCode(b[i]!); return s; };
  let off = 0;
  while (off + 512 <= b.length) {
    if (b[off] === 0) break;
    const size = parseInt(text(off + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(b[off + 156] || 48);
    const prefix = text(off + 345, 155);
    const path = (prefix ? `${prefix}/` : '') + text(off, 100);
    if (!Number.isFinite(size) || off + 512 + size > b.length) throw new DatasetError(`${name}: the tar archive is truncated at '${path}'`);
    if (type === '0' || type === '\0') out.push({ path, bytes: b.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Picks the source kind from what the files are, and opens it. */
export async function openSource(input: SourceFile[], opts: { classNames?: string[] } = {}): Promise<ItemSource> {
  const files = await expandArchives(input);
  const paths = files.map((f) => lower(f.path));
  const cifar = files.filter((f) => /(data_batch_\d+|test_batch|train|test)\.bin$/.test(lower(f.path)));
  if (cifar.length) return openCifar(cifar, files);
  const arrays = files.filter((f) => /\.(npy|npz)$/.test(lower(f.path)));
  if (arrays.length) return openArrays(arrays);
  const manifest = files.find((_f, i) => /\.(csv|tsv)$/.test(paths[i]!));
  if (manifest) return openManifest(manifest, files, opts.classNames ?? (await classList(files)));
  if (files.some((f) => /(idx\d-ubyte|\.idx\d?)(\.gz)?$/.test(lower(f.path)))) {
    throw new DatasetError('these are IDX files: load them as an images + labels pair (in the CLI, --images and --labels)');
  }
  return openFolders(files, opts.classNames ?? (await classList(files)));
}

/** A class-list file among the files: one class name per line, in the model's output order. */
async function classList(files: SourceFile[]): Promise<string[] | undefined> {
  const f = files.find((x) => CLASS_LIST_NAMES.includes(lower(base(x.path))) && !lower(x.path).includes('batches.meta'));
  if (!f) return undefined;
  return new TextDecoder().decode(await f.read()).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/** Class folders: the class of an image is its parent folder, the root being the deepest folder above every image. */
function openFolders(files: SourceFile[], classNames?: string[]): ItemSource {
  const dirs = new Set(files.filter((f) => f.path.endsWith('/')).map((f) => f.path.slice(0, -1)));
  const real = files.filter((f) => !f.path.endsWith('/'));
  const images = real.filter((f) => isImageName(f.path) && !base(f.path).startsWith('.'));
  const ignored = real.filter((f) => !isImageName(f.path) && !CLASS_LIST_NAMES.includes(lower(base(f.path)))).map((f) => f.path);
  if (!images.length) {
    throw new DatasetError(`no images found (JPEG, PNG, WebP or BMP) among ${real.length} file${real.length === 1 ? '' : 's'}; a dataset is a folder with one sub-folder of images per class`);
  }
  // The root: the folder above every image's class folder.
  const parents = [...new Set(images.map((f) => dir(f.path)))];
  const depth = Math.min(...parents.map((p) => (p ? p.split('/').length : 0)));
  if (depth === 0) {
    throw new DatasetError('the images are not in class folders: put each class\'s images in a sub-folder named after the class (or add a CSV manifest of file,label)');
  }
  const rootOf = (p: string) => p.split('/').slice(0, depth - 1).join('/');
  const roots = new Set(parents.map(rootOf));
  if (roots.size > 1) throw new DatasetError(`the images sit under ${roots.size} different folders (${[...roots].slice(0, 3).join(', ')}); drop one dataset folder at a time`);
  const root = [...roots][0]!;
  const classOf = (p: string) => p.split('/')[depth - 1]!;
  const found = [...new Set(images.map((f) => classOf(dir(f.path))))].sort();
  const emptyClasses = [...dirs].filter((d) => rootOf(d + '/x') === root && d.split('/').length === depth && !found.includes(classOf(d))).map(classOf).sort();
  const names = classNames ?? [...found, ...emptyClasses].sort();
  const unknown = found.filter((c) => !names.includes(c));
  if (unknown.length) {
    throw new DatasetError(`the class list names ${names.length} classes but the folders ${unknown.slice(0, 5).map((c) => `'${c}'`).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} are not among them; fix the class list or the folder names`);
  }
  const byPath = images.slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // Classes interleaved (the first image of each class, then the second, ...; each class in path
  // order): any first N items, which evaluation and --data-limit take, cover every class.
  const groups = new Map<string, SourceFile[]>(names.map((c) => [c, []]));
  for (const f of byPath) groups.get(classOf(dir(f.path)))!.push(f);
  const perClass = [...groups.values()];
  const sorted: SourceFile[] = [];
  for (let k = 0; k < Math.max(...perClass.map((l) => l.length)); k++) for (const l of perClass) if (k < l.length) sorted.push(l[k]!);
  const labels = Int32Array.from(sorted, (f) => names.indexOf(classOf(dir(f.path))));
  return {
    kind: 'folders', count: sorted.length, classNames: names, labels, ignored, emptyClasses,
    name: (i) => sorted[i]!.path,
    pixels: async (i) => decodeImage(await sorted[i]!.read(), sorted[i]!.path),
  };
}

/** A CSV/TSV manifest: a file column and a label column (integer or class name), paths relative to the manifest. */
async function openManifest(manifest: SourceFile, files: SourceFile[], classNames?: string[]): Promise<ItemSource> {
  const text = new TextDecoder().decode(await manifest.read());
  const parsed = Papa.parse<string[]>(text.trim(), { delimiter: lower(manifest.path).endsWith('.tsv') ? '\t' : '', skipEmptyLines: true });
  if (parsed.errors.length && !parsed.data.length) throw new DatasetError(`${manifest.path}: ${parsed.errors[0]!.message}`);
  let rows = parsed.data.map((r) => r.map((c) => c.trim()));
  const header = rows[0] ?? [];
  const fileCol = header.findIndex((h) => /^(file|filename|path|image|img|file_name)$/i.test(h));
  const labelCol = header.findIndex((h) => /^(label|class|target|category|y)$/i.test(h));
  let fc = 0, lc = 1;
  if (fileCol >= 0 && labelCol >= 0) { fc = fileCol; lc = labelCol; rows = rows.slice(1); }
  else if (header.length >= 2 && !isImageName(header[0]!)) rows = rows.slice(1);
  if (!rows.length) throw new DatasetError(`${manifest.path} lists no images; it needs rows of file,label`);
  if (rows.some((r) => r.length < 2)) throw new DatasetError(`${manifest.path}: every row needs a file and a label; row ${rows.findIndex((r) => r.length < 2) + 1} has ${rows.find((r) => r.length < 2)!.length} column`);
  const here = dir(manifest.path);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const resolve = (p: string) => byPath.get(here ? `${here}/${p}` : p) ?? byPath.get(p);
  const missing = rows.filter((r) => !resolve(r[fc]!)).map((r) => r[fc]!);
  if (missing.length) {
    throw new DatasetError(`${manifest.path} names ${missing.length} file${missing.length === 1 ? '' : 's'} that ${missing.length === 1 ? 'is' : 'are'} not there: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}; paths are relative to the manifest's folder`);
  }
  const raw = rows.map((r) => r[lc]!);
  const numeric = raw.every((l) => /^\d+$/.test(l));
  const names = classNames ?? (numeric ? Array.from({ length: Math.max(...raw.map(Number)) + 1 }, (_, i) => String(i)) : [...new Set(raw)].sort());
  const labels = Int32Array.from(raw, (l) => (numeric && !classNames ? Number(l) : names.indexOf(l)));
  const bad = raw.filter((_, i) => labels[i]! < 0);
  if (bad.length) throw new DatasetError(`${manifest.path}: ${bad.length} row${bad.length === 1 ? '' : 's'} name a class not in the class list (${[...new Set(bad)].slice(0, 3).join(', ')})`);
  const items = rows.map((r) => resolve(r[fc]!)!);
  const named = new Set(items.map((f) => f.path));
  const ignored = files.filter((f) => f !== manifest && !f.path.endsWith('/') && !named.has(f.path)).map((f) => f.path);
  return {
    kind: 'manifest', count: items.length, classNames: names, labels, ignored, emptyClasses: [],
    name: (i) => items[i]!.path,
    pixels: async (i) => decodeImage(await items[i]!.read(), items[i]!.path),
  };
}

const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR-10 (label byte + 3,072 CHW bytes) or CIFAR-100 (coarse, fine + 3,072) binary batches; the fine label is used. */
async function openCifar(batches: SourceFile[], all: SourceFile[]): Promise<ItemSource> {
  // Every batch named is read, in name order (data_batch_1..5 together make CIFAR-10's training set).
  const hundred = batches.some((b) => /(^|\/)(train|test)\.bin$/.test(lower(b.path)));
  const rec = hundred ? 3074 : 3073;
  const parts: Uint8Array[] = [];
  for (const b of batches.sort((x, y) => (x.path < y.path ? -1 : 1))) {
    const bytes = await b.read();
    if (bytes.length % rec) throw new DatasetError(`${b.path}: ${bytes.length} bytes is not a whole number of ${rec}-byte CIFAR-${hundred ? 100 : 10} records; the file is truncated or not a CIFAR batch`);
    parts.push(bytes);
  }
  const count = parts.reduce((a, p) => a + p.length / rec, 0);
  const at: [Uint8Array, number][] = [];
  for (const p of parts) for (let i = 0; i < p.length / rec; i++) at.push([p, i * rec]);
  const labels = Int32Array.from(at, ([p, o]) => p[o + (hundred ? 1 : 0)]!);
  const metaName = hundred ? 'fine_label_names.txt' : 'batches.meta.txt';
  const meta = all.find((f) => lower(base(f.path)) === metaName);
  const listed = meta ? new TextDecoder().decode(await meta.read()).split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : null;
  const classNames = listed ?? (hundred ? Array.from({ length: 100 }, (_, i) => String(i)) : CIFAR10_CLASSES);
  return {
    kind: 'cifar', count, classNames, labels, ignored: [], emptyClasses: [],
    name: (i) => `item ${i}`,
    pixels: async (i) => {
      const [p, o] = at[i]!;
      const chw = p.subarray(o + rec - 3072, o + rec);
      const data = new Uint8Array(3072);
      for (let k = 0; k < 1024; k++) { data[3 * k] = chw[k]!; data[3 * k + 1] = chw[1024 + k]!; data[3 * k + 2] = chw[2048 + k]!; }
      return { width: 32, height: 32, channels: 3, data };
    },
  };
}

/** A NumPy array: dtype, shape and values (C order only). */
export interface NpyArray { dtype: string; shape: number[]; data: Uint8Array | Float32Array | Int32Array | Float64Array | BigInt64Array }

export function parseNpy(b: Uint8Array, name: string): NpyArray {
  if (b.length < 10 || b[0] !== 0x93 || String.fromCharCode(...b.subarray(1, 6)) !== 'NUMPY') throw new DatasetError(`${name}: not a NumPy .npy file`);
  const major = b[6]!;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hlen = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(b.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!descr) throw new DatasetError(`${name}: the .npy header has no dtype`);
  if (fortran) throw new DatasetError(`${name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const off = start + hlen;
  const n = shape.reduce((a, d) => a * d, 1);
  const body = b.slice(off);
  const kinds: Record<string, [number, (buf: ArrayBuffer) => NpyArray['data']]> = {
    '|u1': [1, (x) => new Uint8Array(x)], '<u1': [1, (x) => new Uint8Array(x)], '|b1': [1, (x) => new Uint8Array(x)],
    '<f4': [4, (x) => new Float32Array(x)], '<f8': [8, (x) => new Float64Array(x)],
    '<i4': [4, (x) => new Int32Array(x)], '<i8': [8, (x) => new BigInt64Array(x)],
  };
  const k = kinds[descr];
  if (!k) throw new DatasetError(`${name}: dtype ${descr} is not supported (uint8, float32/64, int32/64 are)`);
  if (body.length < n * k[0]) throw new DatasetError(`${name}: the array is truncated (${body.length} bytes for ${n} values of ${k[0]})`);
  return { dtype: descr, shape, data: k[1](body.buffer.slice(0, n * k[0])) };
}

/** Images (N,H,W), (N,H,W,C) or (N,C,H,W), uint8 or float (0–1 floats are scaled to bytes), with 1-D integer labels. */
async function openArrays(files: SourceFile[]): Promise<ItemSource> {
  const arrays: { name: string; a: NpyArray }[] = [];
  for (const f of files) {
    const bytes = await f.read();
    if (lower(f.path).endsWith('.npz')) {
      let entries: Record<string, Uint8Array>;
      try { entries = unzipSync(bytes); } catch { throw new DatasetError(`${f.path}: not a readable .npz (zip) file`); }
      for (const [k, v] of Object.entries(entries)) if (k.endsWith('.npy')) arrays.push({ name: `${f.path}:${k.slice(0, -4)}`, a: parseNpy(v, `${f.path}:${k}`) });
    } else {
      arrays.push({ name: f.path, a: parseNpy(bytes, f.path) });
    }
  }
  const images = arrays.find((x) => x.a.shape.length >= 3);
  if (!images) throw new DatasetError(`no image array among ${arrays.map((x) => `${x.name} (${x.a.shape.join('×')})`).join(', ')}; images must be (N,H,W), (N,H,W,C) or (N,C,H,W)`);
  const n = images.a.shape[0]!;
  const labelArr = arrays.find((x) => x !== images && x.a.shape.length === 1 && x.a.shape[0] === n);
  if (!labelArr) throw new DatasetError(`no labels array of ${n} values beside ${images.name}; save the labels as a 1-D integer array (e.g. np.savez(f, x=images, y=labels))`);
  if (labelArr.a.dtype.includes('f')) throw new DatasetError(`${labelArr.name} holds floats; class labels must be integers`);
  const labels = Int32Array.from(labelArr.a.data as ArrayLike<number | bigint>, (v) => Number(v));
  const s = images.a.shape;
  const nchw = s.length === 4 && (s[1] === 1 || s[1] === 3) && !(s[3] === 1 || s[3] === 3);
  const [h, w, c] = s.length === 3 ? [s[1]!, s[2]!, 1] : nchw ? [s[2]!, s[3]!, s[1]!] : [s[1]!, s[2]!, s[3]!];
  if (![1, 3, 4].includes(c)) throw new DatasetError(`${images.name}: ${s.join('×')} has ${c} channels; images need 1, 3 or 4`);
  const data = images.a.data;
  let scale = 1;
  if (!(data instanceof Uint8Array)) {
    let max = 0;
    for (let i = 0; i < data.length; i += 97) max = Math.max(max, Number(data[i]!));
    scale = max <= 1 ? 255 : 1;
  }
  const per = h * w * c;
  const classes = Math.max(0, ...labels) + 1;
  return {
    kind: 'arrays', count: n, classNames: Array.from({ length: classes }, (_, i) => String(i)), labels, ignored: [], emptyClasses: [],
    name: (i) => `${images.name}[${i}]`,
    pixels: async (i) => {
      const out = new Uint8Array(per);
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < c; k++) {
          const v = Number(data[i * per + (nchw ? k * h * w + p : p * c + k)]!) * scale;
          out[p * c + k] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
        }
      }
      return { width: w, height: h, channels: c, data: out };
    },
  };
}
