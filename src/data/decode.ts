/**
 * Image files to pixels with decoders that run the same in the page's worker and in Node (pure JS
 * for JPEG and PNG, libwebp compiled to WebAssembly for WebP, BMP read here), so a dataset decodes
 * to the same bytes, and scores the same, in both. Browsers' own decoders are not used for that reason.
 */
import { decode as decodeJpeg } from 'jpeg-js';
import { decode as decodePng } from 'fast-png';
import { DatasetError } from '../core/errors';
import type { Pixels } from './resample';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp'] as const;

/** True for a file name the studio reads as an image. */
export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

type Format = 'jpeg' | 'png' | 'webp' | 'bmp';

/** The format by magic bytes (a file's extension can lie). */
export function sniffFormat(b: Uint8Array): Format | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return null;
}

/** Loads the WebP decoder's WebAssembly module (the page fetches it, Node reads it from node_modules). */
export type WebpLoader = () => Promise<WebAssembly.Module>;
let webpLoader: WebpLoader | null = null;
let webpDecode: Promise<(b: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>> | null = null;

export function setWebpLoader(load: WebpLoader): void { webpLoader = load; webpDecode = null; }

function webp(): Promise<(b: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>> {
  webpDecode ??= (async () => {
    if (!webpLoader) throw new DatasetError('WebP images need the WebP decoder, which this build did not set up');
    const mod = await import('@jsquash/webp/decode.js');
    await (mod.init as (m: WebAssembly.Module) => Promise<void>)(await webpLoader());
    return mod.default as never;
  })();
  return webpDecode;
}

/** Decodes one image file (grey, RGB or RGBA), or throws a DatasetError naming the file and what is wrong. */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<Pixels> {
  const format = sniffFormat(bytes);
  if (!format) throw new DatasetError(`${name}: not a JPEG, PNG, WebP or BMP file (its first bytes match none of them)`);
  try {
    switch (format) {
      case 'jpeg': {
        const img = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
        return { width: img.width, height: img.height, channels: 3, data: img.data };
      }
      case 'png': return fromPng(decodePng(bytes));
      case 'webp': {
        const img = await (await webp())(bytes.slice().buffer);
        return { width: img.width, height: img.height, channels: 4, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
      }
      case 'bmp': return decodeBmp(bytes);
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${name}: the ${format.toUpperCase()} data is corrupt or truncated (${e instanceof Error ? e.message : String(e)})`);
  }
}

function fromPng(png: ReturnType<typeof decodePng>): Pixels {
  const { width, height } = png;
  let channels = png.channels;
  let data: Uint8Array;
  if (png.palette) {
    const pal = png.palette, idx = png.data;
    channels = pal[0]?.length ?? 3;
    data = new Uint8Array(width * height * channels);
    // Indexed data comes packed at the image's bit depth.
    const depth = png.depth, perByte = 8 / depth, rowBytes = Math.ceil(width / perByte);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = idx[y * rowBytes + Math.floor(x / perByte)]!;
        const i = depth === 8 ? byte : (byte >> (8 - depth * (1 + (x % perByte)))) & ((1 << depth) - 1);
        const c = pal[i] ?? [0, 0, 0];
        for (let k = 0; k < channels; k++) data[(y * width + x) * channels + k] = c[k] ?? 255;
      }
    }
  } else if (png.depth === 16) {
    data = new Uint8Array(png.data.length);
    for (let i = 0; i < data.length; i++) data[i] = png.data[i]! >> 8;
  } else if (png.depth < 8) {
    // Sub-byte grey: scale each sample to 0–255.
    const depth = png.depth, perByte = 8 / depth, rowBytes = Math.ceil(width * channels / perByte), max = (1 << depth) - 1;
    data = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width * channels; x++) {
        const byte = png.data[y * rowBytes + Math.floor(x / perByte)]!;
        data[y * width * channels + x] = Math.round((((byte >> (8 - depth * (1 + (x % perByte)))) & max) * 255) / max);
      }
    }
  } else {
    data = png.data as Uint8Array;
  }
  if (channels === 2) {
    // Grey + alpha: alpha dropped, as Pillow's convert does.
    const grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[2 * i]!;
    return { width, height, channels: 1, data: grey };
  }
  return { width, height, channels, data };
}

/** Uncompressed BMP (BI_RGB / BI_BITFIELDS with the usual masks): 8-bit paletted, 24-bit and 32-bit, either row order. */
export function decodeBmp(b: Uint8Array): Pixels {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 54) throw new Error('shorter than a BMP header');
  const offset = v.getUint32(10, true), headerSize = v.getUint32(14, true);
  const width = v.getInt32(18, true), rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true), compression = v.getUint32(30, true);
  const height = Math.abs(rawHeight), bottomUp = rawHeight > 0;
  if (width <= 0 || height === 0) throw new Error(`bad size ${width}×${rawHeight}`);
  if (compression !== 0 && compression !== 3) throw new Error(`compressed BMP (method ${compression}) is not supported; save it uncompressed or as PNG`);
  if (![8, 24, 32].includes(bpp)) throw new Error(`${bpp}-bit BMP is not supported (8, 24 and 32-bit are)`);
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (offset + rowBytes * height > b.length) throw new Error('the pixel data is truncated');
  const palette = 14 + headerSize;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = offset + (bottomUp ? height - 1 - y : y) * rowBytes;
    for (let x = 0; x < width; x++) {
      let p: number;
      if (bpp === 8) p = palette + 4 * b[row + x]!;
      else p = row + x * (bpp / 8);
      const o = (y * width + x) * 3;
      data[o] = b[p + 2]!; data[o + 1] = b[p + 1]!; data[o + 2] = b[p]!;
    }
  }
  return { width, height, channels: 3, data };
}
