/**
 * The CLI on image data as a user runs it: the CIFAR-10 teacher (fixtures/train_cifar10.py) on the
 * test JPEGs from ../shared (when that folder is there, as on every machine CI runs on), checked
 * against onnxruntime-node on the same decoded pixels; its float16 twin; predict on single photos;
 * training on a small image folder made here; bad data refused with one line.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { runCli as cli } from './testing';
import { ortOnImages } from '../../scripts/ort-images';

const CIFAR_TEST = '../shared/data/cifar10/cifar10-test-jpeg.zip';
const TEACHER = 'fixtures/cifar10-teacher.onnx';
const tmp = mkdtempSync(join(tmpdir(), 'studio-images-'));
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe.runIf(existsSync(CIFAR_TEST))('cli eval on CIFAR-10 test JPEGs (a zip of class folders)', () => {
  it('the teacher: the same answers as onnxruntime-node on the same pixels, the spec from the model\'s metadata', async () => {
    const r = cli('eval', TEACHER, '--data', CIFAR_TEST, '--data-limit', '300', '--runs', '3', '--json');
    expect(r.code).toBe(0);
    const j = last(r.stdout);
    const ref = await ortOnImages(TEACHER, CIFAR_TEST, { limit: 300 });
    expect(j.samples).toBe(300);
    expect(ref.accuracy).toBeGreaterThan(0.75);
    expect(Math.abs(j.correct - Math.round(ref.accuracy * 300))).toBeLessThanOrEqual(1);
    expect(j.preprocess).toEqual({ kind: 'channels', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616], layout: 'NCHW' });
  }, 300_000);

  it('its float16 twin runs (computed in float32) and answers as onnxruntime-node does in float16, give or take two near-ties', async () => {
    const r = cli('eval', 'fixtures/cifar10-teacher-fp16.onnx', '--data', CIFAR_TEST, '--data-limit', '300', '--runs', '3', '--json');
    expect(r.code).toBe(0);
    const j = last(r.stdout);
    const ref = await ortOnImages('fixtures/cifar10-teacher-fp16.onnx', CIFAR_TEST, { limit: 300 });
    expect(Math.abs(j.correct - Math.round(ref.accuracy * 300))).toBeLessThanOrEqual(2);
  }, 300_000);

  it('an unknown preset is refused, listing the presets', () => {
    const r = cli('eval', TEACHER, '--data', CIFAR_TEST, '--preset', 'vgg');
    expect(r.code).toBe(1);
    expect(r.errLines[0]).toMatch(/no preprocessing preset 'vgg'; the presets are mnist, cifar10/);
  });
});

describe('cli predict', () => {
  it('--json prints one line per image: the top K classes, best first, with probabilities and class names', () => {
    const r = cli('predict', TEACHER, 'fixtures/preprocess/dog.png', 'fixtures/preprocess/eagle.squash32-bilinear.webp', '--top', '3', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(['fixtures/preprocess/dog.png', 'fixtures/preprocess/eagle.squash32-bilinear.webp']);
    for (const l of lines) {
      expect(l.top).toHaveLength(3);
      expect(l.top[0].score).toBeGreaterThanOrEqual(l.top[1].score);
      expect(l.top.reduce((a: number, t: { score: number }) => a + t.score, 0)).toBeLessThanOrEqual(1 + 1e-9);
      expect(typeof l.top[0].label).toBe('string');
    }
    // The dog photo: a CIFAR-10 model trained to 83 % sees a dog (or at least an animal) in it.
    expect(['dog', 'cat', 'deer', 'horse', 'bird', 'frog']).toContain(lines[0].top[0].label);
  }, 300_000);

  it('refuses a file that is not an image with one line naming it', () => {
    const r = cli('predict', TEACHER, 'README.md');
    expect(r.code).toBe(1);
    expect(r.errLines[0]).toMatch(/README\.md: not a JPEG, PNG, WebP or BMP file/);
  });
});

describe('cli train on a folder of class folders made here', () => {
  // Two classes of 8×8 colour images: red-ish and blue-ish, with noise; a colour CNN learns them in one epoch.
  const root = join(tmp, 'colours');
  for (const split of ['train', 'test']) {
    for (const [c, rgb] of [['blue', [20, 40, 220]], ['red', [220, 30, 20]]] as const) {
      const dir = join(root, split, c);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < (split === 'train' ? 48 : 16); i++) {
        const data = new Uint8Array(8 * 8 * 3).map((_, k) => Math.max(0, Math.min(255, rgb[k % 3]! + Math.round(60 * (Math.sin(i * 7 + k) )))));
        writeFileSync(join(dir, `${i}.png`), encodePng({ width: 8, height: 8, data, channels: 3, depth: 8 }));
      }
    }
  }
  it('trains cnn:3x8x8 with crop and flip augmentations and scores on the matching test folder', () => {
    const r = cli('train', 'cnn:3x8x8:k3.8-2', '--data', join(root, 'train'), '--preset', 'cifar10', '--epochs', '3', '--batch', '16', '--augment', 'crop:1,flip', '--lr', '0.01', '--out', join(tmp, 'colours.onnx'), '--json');
    expect(r.code).toBe(0);
    const j = last(r.stdout);
    expect(j.testSamples).toBe(32);
    expect(j.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(j.config.augment).toEqual({ crop: 1, flip: true });
  }, 300_000);

  it('refuses a manifest that names a missing file, a class list the folders disagree with, and a bad --augment, with one line each', () => {
    const list = join(tmp, 'list.csv');
    writeFileSync(list, 'file,label\ncolours/test/red/0.png,red\ncolours/test/red/missing.png,red\n');
    const m = cli('eval', TEACHER, '--data', list);
    expect(m.code).toBe(1);
    expect(m.errLines[0]).toMatch(/names 1 file that is not there: colours\/test\/red\/missing\.png/);
    writeFileSync(join(tmp, 'classes.txt'), 'cat\ndog\n');
    const c = cli('eval', TEACHER, '--data', join(root, 'test'), '--classes', join(tmp, 'classes.txt'));
    expect(c.code).toBe(1);
    expect(c.errLines[0]).toMatch(/the class list names 2 classes but the folders 'blue', 'red' are not among them/);
    const a = cli('train', 'cnn:3x8x8:k3.8-2', '--data', join(root, 'train'), '--augment', 'wobble', '--out', join(tmp, 'x.onnx'));
    expect(a.code).toBe(2);
    expect(a.errLines[0]).toMatch(/--augment takes crop, crop:N \(padding in pixels\) and flip/);
  }, 300_000);
});
