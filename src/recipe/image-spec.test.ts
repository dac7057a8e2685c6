import { describe, expect, it } from 'vitest';
import { classNamesFromMetadata, defaultSpec, describeSpec, imageInputOf, presetFor, resolveSpec, resizeTarget, specFromMetadata } from './image-spec';

describe('image specs', () => {
  it('reads the image dims and layout of a model input, NCHW or NHWC, grey or colour', () => {
    expect(imageInputOf(['N', 3, 224, 224])).toEqual({ channels: 3, height: 224, width: 224, layout: 'NCHW' });
    expect(imageInputOf(['N', 32, 32, 3])).toEqual({ channels: 3, height: 32, width: 32, layout: 'NHWC' });
    expect(imageInputOf(['N', 1, 28, 28])?.channels).toBe(1);
    expect(imageInputOf(['N', 784])).toBeNull();
  });
  it('fits a preset to the model: its size and layout win; a colour preset on a grey model averages its statistics', () => {
    const s = presetFor('imagenet', ['N', 3, 160, 160]);
    expect(s.input_size).toEqual([3, 160, 160]);
    expect(resizeTarget(s)).toBe(182); // timm: ⌊160 / 0.875⌋
    const grey = presetFor('cifar10', ['N', 1, 32, 32]);
    expect(grey.mean).toHaveLength(1);
    expect(grey.mean[0]).toBeCloseTo((0.4914 + 0.4822 + 0.4465) / 3, 6);
    expect(presetFor('keras', ['N', 3, 224, 224]).layout).toBe('NCHW');
    expect(() => presetFor('vgg')).toThrow(/no preprocessing preset 'vgg'/);
  });
  it('takes a spec from the model\'s metadata, else guesses from the input shape and says so', () => {
    const meta = { preprocessing: JSON.stringify({ preset: 'imagenet', interpolation: 'bicubic' }) };
    const m = specFromMetadata(meta, ['N', 3, 224, 224])!;
    expect([m.interpolation, m.mean, m.origin]).toEqual(['bicubic', [0.485, 0.456, 0.406], "the model's metadata"]);
    expect(specFromMetadata({ mean: '[0.5,0.5,0.5]', std: '[0.5,0.5,0.5]' }, ['N', 3, 64, 64])!.std).toEqual([0.5, 0.5, 0.5]);
    expect(defaultSpec(['N', 3, 32, 32])!.origin).toMatch(/a guess from the input shape \(preset cifar10\)/);
    expect(defaultSpec(['N', 3, 224, 224])!.origin).toMatch(/preset imagenet/);
    expect(defaultSpec(['N', 784])).toBeNull();
    expect(classNamesFromMetadata({ classes: '["a","b"]' })).toEqual(['a', 'b']);
    expect(classNamesFromMetadata({ labels: 'cat\ndog\n' })).toEqual(['cat', 'dog']);
  });
  it('puts the user\'s fields over the preset: one mean for every channel, a scale, a size; wrong counts refused', () => {
    const s = resolveSpec({ preset: 'imagenet', size: 192, mean: 0.5, scale: undefined, channel_order: 'BGR' }, ['N', 3, 224, 224]);
    expect(s.input_size).toEqual([3, 192, 192]);
    expect(s.mean).toEqual([0.5, 0.5, 0.5]);
    expect(s.origin).toBe('preset imagenet, with size, mean, channel_order set by you');
    expect(resolveSpec({ scale: '-1-1' }, ['N', 3, 32, 32]).std).toEqual([0.5, 0.5, 0.5]);
    expect(() => resolveSpec({ mean: [0.1, 0.2] }, ['N', 3, 32, 32])).toThrow(/--mean needs 1 or 3 values/);
    expect(() => resolveSpec({}, ['N', 784])).toThrow(/not an image.*name a preset/);
    expect(describeSpec(presetFor('imagenet'))).toBe('RGB, shorter side to 256, centre crop 224×224 (bilinear), (x/255 − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225], NCHW');
  });
});
