import { describe, expect, it } from 'vitest';
import { preprocessingDoubt } from './doubt';
import { presetFor } from '../recipe/image-spec';
import type { DatasetRecord, Measurement } from '../recipe/variant';

describe('the wrong-spec warning', () => {
  const data = { classes: 10, classNames: ['airplane', 'automobile'], spec: presetFor('cifar10') } as unknown as DatasetRecord;
  const m = (predictions: number[], top1: number) => ({ predictions, top1 }) as unknown as Measurement;
  it('warns when most predictions fall in one class, or the accuracy is near chance; stays quiet otherwise and for IDX data', () => {
    expect(preprocessingDoubt(m(Array(100).fill(1), 0.1), data)).toMatch(/100 % of the predictions are 'automobile'.*try the presets/);
    expect(preprocessingDoubt(m(Array.from({ length: 100 }, (_, i) => i % 10), 0.12), data)).toMatch(/near chance for 10 classes/);
    expect(preprocessingDoubt(m(Array.from({ length: 100 }, (_, i) => i % 10), 0.8), data)).toBeNull();
    expect(preprocessingDoubt(m(Array(100).fill(1), 0.1), { ...data, spec: undefined })).toBeNull();
  });
});
