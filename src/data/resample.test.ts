import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode';
import { centerCrop, fitImage, resize, roundHalfEven, shorterSideSize, toChannels, type Pixels } from './resample';
import { presetFor, type ImageSpec } from '../recipe/image-spec';

const DIR = join(process.cwd(), 'fixtures/preprocess');
const png = (name: string) => decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);

/** Largest per-value difference and how many values differ at all. */
function diff(a: Uint8Array, b: Uint8Array): { max: number; differing: number } {
  expect(a.length).toBe(b.length);
  let max = 0, differing = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); max = Math.max(max, d); if (d) differing++; }
  return { max, differing };
}

/** HWC interleaved → the item layout fitImage writes (NCHW planes). */
const toPlanes = (p: Pixels) => {
  const plane = p.width * p.height, out = new Uint8Array(plane * p.channels);
  for (let i = 0; i < plane; i++) for (let c = 0; c < p.channels; c++) out[c * plane + i] = p.data[i * p.channels + c]!;
  return out;
};

describe('preprocessing against torchvision 0.14 / Pillow 9.4 on real photos (fixtures/preprocess_reference.py)', () => {
  const spec = (over: Partial<ImageSpec>): ImageSpec => ({ ...presetFor('imagenet'), ...over });
  const cases: [string, Partial<ImageSpec>][] = [
    ['resize256-crop224-bilinear', { input_size: [3, 224, 224], crop_pct: 224 / 256, interpolation: 'bilinear' }],
    ['resize256-crop224-bicubic', { input_size: [3, 224, 224], crop_pct: 224 / 256, interpolation: 'bicubic' }],
    ['resize128-crop112-bicubic', { input_size: [3, 112, 112], crop_pct: 112 / 128, interpolation: 'bicubic' }],
    ['squash32-bilinear', { input_size: [3, 32, 32], crop_mode: 'squash', interpolation: 'bilinear' }],
  ];
  for (const photo of ['dog', 'eagle']) {
    for (const [name, over] of cases) {
      it(`${photo}: ${name} gives torchvision's bytes exactly`, async () => {
        const src = await png(`${photo}.png`);
        const want = await png(`${photo}.${name}.png`);
        const s = spec(over);
        const got = fitImage(src, s);
        const d = diff(got, toPlanes(want));
        // Pillow's fixed-point arithmetic reproduced: every byte equal (the issue asks for one grey level).
        expect(d).toEqual({ max: 0, differing: 0 });
      });
    }
  }
  it('the sizes and offsets are torchvision\'s (Resize int: shorter side; CenterCrop: round half to even)', () => {
    expect(shorterSideSize(480, 360, 256)).toEqual([341, 256]);
    expect(shorterSideSize(360, 480, 256)).toEqual([256, 341]);
    expect([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(-1.5)]).toEqual([0, 2, 2, -2]);
  });
});

describe('geometry and colour', () => {
  const img = (w: number, h: number, ch: number, f: (x: number, y: number, c: number) => number): Pixels => {
    const data = new Uint8Array(w * h * ch);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < ch; c++) data[(y * w + x) * ch + c] = f(x, y, c);
    return { width: w, height: h, channels: ch, data };
  };
  it('a flat image stays flat through every filter, shrinking and enlarging', () => {
    const flat = img(37, 23, 3, (_x, _y, c) => 40 + 50 * c);
    for (const f of ['bilinear', 'bicubic', 'nearest'] as const) {
      for (const [w, h] of [[10, 7], [64, 50]]) {
        const r = resize(flat, w, h, f);
        expect(r.width).toBe(w);
        expect(new Set(Array.from(r.data).filter((_, i) => i % 3 === 0))).toEqual(new Set([40]));
      }
    }
  });
  it('shrinking with bilinear widens the filter as Pillow does (antialiased)', () => {
    const stripes = img(4, 1, 1, (x) => (x % 2 ? 200 : 0));
    // Pillow 9.4: Image.fromarray([[0, 200, 0, 200]]).resize((2, 1), BILINEAR) → [86, 114]: three taps
    // of the triangle filter widened 2× (weights 0.75, 0.75, 0.25 over 1.75), not two.
    expect(Array.from(resize(stripes, 2, 1, 'bilinear').data)).toEqual([86, 114]);
  });
  it('centre crop pads with zeros when the image is smaller, as torchvision does', () => {
    const small = img(2, 2, 1, () => 9);
    expect(Array.from(centerCrop(small, 4, 4).data)).toEqual([0, 0, 0, 0, 0, 9, 9, 0, 0, 9, 9, 0, 0, 0, 0, 0]);
  });
  it('grey ⇄ RGB as Pillow converts (ITU-R 601 luma, alpha dropped) and BGR / NHWC orders', () => {
    const rgba = img(1, 1, 4, (_x, _y, c) => [255, 0, 0, 7][c]!);
    expect(Array.from(toChannels(rgba, 1).data)).toEqual([76]); // Pillow: L = 19595·255 >> 16 (rounded)
    expect(Array.from(toChannels(img(1, 1, 1, () => 5), 3).data)).toEqual([5, 5, 5]);
    const two = img(2, 1, 3, (x, _y, c) => 10 * x + c);
    const base = presetFor('cifar10');
    const sq = { ...base, input_size: [3, 1, 2] as [number, number, number], crop_mode: 'squash' as const };
    expect(Array.from(fitImage(two, sq))).toEqual([0, 10, 1, 11, 2, 12]);
    expect(Array.from(fitImage(two, { ...sq, layout: 'NHWC' }))).toEqual([0, 1, 2, 10, 11, 12]);
    expect(Array.from(fitImage(two, { ...sq, channel_order: 'BGR' }))).toEqual([2, 12, 1, 11, 0, 10]);
  });
});
