/**
 * IDX reader (the format MNIST ships in) and gzip detection. Browser and Node 20 compatible:
 * only DataView, typed arrays and the standard DecompressionStream.
 *
 * IDX layout: magic 00 00 <type> <ndims>, then ndims big-endian u32 dims, then the data in
 * row-major order, multi-byte values big-endian.
 */
import { DatasetError } from '../core/errors';

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDType;
  dims: number[];
  data: IdxData;
}

/** IDX type byte → dtype and element size. */
const IDX_TYPES: Record<number, { dtype: IdxDType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

/** Parses one IDX file; every malformed case is a DatasetError naming the file. */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DatasetError(`${fileName} is gzip-compressed; decompress it first (maybeGunzip)`);
  }
  if (bytes.length < 4) {
    throw new DatasetError(`${fileName} is too short to be an IDX file (${bytes.length} bytes; the header alone is at least 4)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetError(
      `${fileName} is not an IDX file: it starts with ${hex(bytes[0]!)} ${hex(bytes[1]!)} instead of 0x00 0x00 ` +
        `(MNIST-style files such as train-images-idx3-ubyte are expected)`,
    );
  }
  const type = IDX_TYPES[bytes[2]!];
  if (!type) {
    throw new DatasetError(
      `${fileName} has IDX type byte ${hex(bytes[2]!)}, which is not one of 0x08 (uint8), 0x09 (int8), ` +
        `0x0b (int16), 0x0c (int32), 0x0d (float32), 0x0e (float64)`,
    );
  }
  const ndims = bytes[3]!;
  if (ndims === 0) throw new DatasetError(`${fileName} declares 0 dimensions; an IDX dataset needs at least one`);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DatasetError(
      `${fileName} is truncated: its header declares ${ndims} dimensions (${headerBytes} header bytes) but the file has ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));

  const count = dims.reduce((a, d) => a * d, 1);
  const expected = count * type.bytes;
  const actual = bytes.length - headerBytes;
  const dimText = dims.join('×');
  const sizeText = type.bytes === 1 ? `${dimText}` : `${dimText} × ${type.bytes}`;
  if (actual < expected) {
    throw new DatasetError(
      `${fileName} is truncated: header says ${sizeText} = ${expected} bytes of data but the file has ${actual}`,
    );
  }
  if (actual > expected) {
    throw new DatasetError(
      `${fileName} has ${actual - expected} bytes after the data: header says ${sizeText} = ${expected} bytes of data but the file has ${actual}` +
        ` (is the header from another file?)`,
    );
  }
  return { dtype: type.dtype, dims, data: readData(view, headerBytes, count, type.dtype) };
}

/** Copies the big-endian payload into a native-endian typed array. */
function readData(view: DataView, offset: number, n: number, dtype: IdxDType): IdxData {
  switch (dtype) {
    case 'uint8': return new Uint8Array(view.buffer, view.byteOffset + offset, n).slice();
    case 'int8': return new Int8Array(view.buffer, view.byteOffset + offset, n).slice();
    case 'int16': { const a = new Int16Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt16(offset + 2 * i, false); return a; }
    case 'int32': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt32(offset + 4 * i, false); return a; }
    case 'float32': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat32(offset + 4 * i, false); return a; }
    case 'float64': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat64(offset + 8 * i, false); return a; }
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data (magic 1f 8b) with the standard DecompressionStream; other bytes come back
 * unchanged. A corrupt or truncated stream is a DatasetError.
 */
export async function maybeGunzip(bytes: Uint8Array, fileName = 'the file'): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream === 'undefined') {
    throw new DatasetError(`${fileName} is gzip-compressed but this environment has no DecompressionStream; decompress it first`);
  }
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  // Errors surface on the readable side too; swallow the writer's copy so it is not unhandled.
  writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DatasetError(`${fileName} looks gzip-compressed but could not be decompressed (${why}); the download may be incomplete or corrupt`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** Writes uint8 items or int32 labels as one IDX file (decoded image datasets are stored this way). */
export function encodeIdx(data: Uint8Array | Int32Array, dims: number[]): Uint8Array {
  const u8 = data instanceof Uint8Array;
  const head = 4 + 4 * dims.length;
  const out = new Uint8Array(head + data.length * (u8 ? 1 : 4));
  const v = new DataView(out.buffer);
  out[2] = u8 ? 0x08 : 0x0c;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  if (u8) out.set(data, head);
  else data.forEach((x, i) => v.setInt32(head + 4 * i, x, false));
  return out;
}
