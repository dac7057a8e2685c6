/**
 * Image geometry as torchvision does it on PIL images, so a model trained with torchvision's
 * transforms sees the same pixels here: Pillow's separable resampling (antialiased when shrinking:
 * the filter widens by the scale), with its 22-bit fixed-point coefficients and rounding to bytes
 * after each pass (horizontal first), torchvision's Resize(shorter side) sizes and CenterCrop offsets
 * (Python's round, half to even), and Pillow's RGB → grey weights.
 */
import { DatasetError } from '../core/errors';
import { resizeTarget, type ImageSpec, type Interpolation } from '../recipe/image-spec';

/** Pixels row-major, `channels` interleaved bytes per pixel (1 grey, 3 RGB, 4 RGBA). */
export interface Pixels { width: number; height: number; channels: number; data: Uint8Array }

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

const FILTERS: Record<Interpolation, { support: number; f: (x: number) => number }> = {
  nearest: { support: 0.5, f: (x) => (x >= -0.5 && x < 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; } },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output index, the first input index and integer weights. */
function coefficients(inSize: number, outSize: number, interpolation: Interpolation): { start: Int32Array; count: Int32Array; k: Int32Array; taps: number } {
  const filter = FILTERS[interpolation];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize), k = new Int32Array(outSize * taps);
  const w = new Float64Array(taps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) { w[x] = filter.f((x + xmin - center + 0.5) * ss); sum += w[x]!; }
    for (let x = 0; x < xmax; x++) {
      const v = sum !== 0 ? w[x]! / sum : w[x]!;
      k[o * taps + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[o] = xmin;
    count[o] = xmax;
  }
  return { start, count, k, taps };
}

const clip8 = (ss: number) => { const v = Math.floor(ss / ONE); return v < 0 ? 0 : v > 255 ? 255 : v; };

/** One separable pass along x (horizontal) or y. */
function pass(src: Pixels, outSize: number, horizontal: boolean, interpolation: Interpolation): Pixels {
  const { width, height, channels: ch, data } = src;
  const inSize = horizontal ? width : height;
  const { start, count, k, taps } = coefficients(inSize, outSize, interpolation);
  const ow = horizontal ? outSize : width, oh = horizontal ? height : outSize;
  const out = new Uint8Array(ow * oh * ch);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const o = horizontal ? x : y;
      const s0 = start[o]!, n = count[o]!, kb = o * taps;
      for (let c = 0; c < ch; c++) {
        let ss = ONE / 2;
        for (let t = 0; t < n; t++) {
          const sx = horizontal ? s0 + t : x, sy = horizontal ? y : s0 + t;
          ss += data[(sy * width + sx) * ch + c]! * k[kb + t]!;
        }
        out[(y * ow + x) * ch + c] = clip8(ss);
      }
    }
  }
  return { width: ow, height: oh, channels: ch, data: out };
}

/** Pillow's Image.resize((width, height), filter) for 8-bit images. */
export function resize(src: Pixels, width: number, height: number, interpolation: Interpolation): Pixels {
  if (!(width > 0 && height > 0)) throw new DatasetError(`cannot resize to ${width}×${height}`);
  if (src.width === 0 || src.height === 0) throw new DatasetError('the image is empty (0 pixels wide or high)');
  if (interpolation === 'nearest') return nearest(src, width, height);
  let img = src;
  if (width !== img.width) img = pass(img, width, true, interpolation);
  if (height !== img.height) img = pass(img, height, false, interpolation);
  return img;
}

/** Pillow's NEAREST: source pixel ⌊(o + 0.5)·scale⌋. */
function nearest(src: Pixels, width: number, height: number): Pixels {
  const { channels: ch } = src;
  const out = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.floor((y + 0.5) * src.height / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(src.width - 1, Math.floor((x + 0.5) * src.width / width));
      for (let c = 0; c < ch; c++) out[(y * width + x) * ch + c] = src.data[(sy * src.width + sx) * ch + c]!;
    }
  }
  return { width, height, channels: ch, data: out };
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision Resize(size) with one int: the shorter side becomes `size`, the longer ⌊size·long/short⌋. */
export function shorterSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.trunc(size * height / width)];
  return [Math.trunc(size * width / height), size];
}

/** torchvision CenterCrop (pads with zeros when the image is smaller than the crop, as it does). */
export function centerCrop(src: Pixels, width: number, height: number): Pixels {
  const { channels: ch } = src;
  const top = roundHalfEven((src.height - height) / 2), left = roundHalfEven((src.width - width) / 2);
  const out = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= src.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= src.width) continue;
      for (let c = 0; c < ch; c++) out[(y * width + x) * ch + c] = src.data[(sy * src.width + sx) * ch + c]!;
    }
  }
  return { width, height, channels: ch, data: out };
}

/** Grey or RGB(A) to `channels` (1 or 3) as Pillow's convert: alpha dropped, grey = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16. */
export function toChannels(src: Pixels, channels: 1 | 3): Pixels {
  const n = src.width * src.height, ch = src.channels, d = src.data;
  if (ch === channels) return src;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    if (channels === 3) {
      const g = ch <= 2 ? d[i * ch]! : -1;
      if (g >= 0) { out[3 * i] = g; out[3 * i + 1] = g; out[3 * i + 2] = g; } else {
        out[3 * i] = d[i * ch]!; out[3 * i + 1] = d[i * ch + 1]!; out[3 * i + 2] = d[i * ch + 2]!;
      }
    } else {
      out[i] = ch <= 2 ? d[i * ch]! : (d[i * ch]! * 19595 + d[i * ch + 1]! * 38470 + d[i * ch + 2]! * 7471 + 0x8000) >>> 16;
    }
  }
  return { width: src.width, height: src.height, channels, data: out };
}

/**
 * A decoded image as one model item (bytes, in the model's channel order and layout): colour
 * conversion, then resize (shorter side + centre crop, or squash) as torchvision would.
 */
export function fitImage(src: Pixels, spec: ImageSpec): Uint8Array {
  const [c, h, w] = spec.input_size;
  let img = toChannels(src, c as 1 | 3);
  if (spec.crop_mode === 'squash') {
    if (img.width !== w || img.height !== h) img = resize(img, w, h, spec.interpolation);
  } else {
    const [rw, rh] = shorterSideSize(img.width, img.height, resizeTarget(spec));
    if (rw !== img.width || rh !== img.height) img = resize(img, rw, rh, spec.interpolation);
    if (img.width !== w || img.height !== h) img = centerCrop(img, w, h);
  }
  const out = new Uint8Array(c * h * w);
  const bgr = c === 3 && spec.channel_order === 'BGR';
  const plane = h * w;
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < c; k++) {
      const v = img.data[p * c + (bgr ? 2 - k : k)]!;
      out[spec.layout === 'NCHW' ? k * plane + p : p * c + k] = v;
    }
  }
  return out;
}
