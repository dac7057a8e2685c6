import { describe, expect, it } from 'vitest';
import { learningRate, parseSchedule } from './schedule';
import { buildArch, parseArch } from './architectures';
import { findParameters } from './params';
import { shuffled } from './trainer';

describe('learning-rate schedules', () => {
  it('constant, step and cosine, each after a linear warm-up', () => {
    expect([0, 5, 99].map((s) => learningRate({ kind: 'constant' }, 0.1, s, 100))).toEqual([0.1, 0.1, 0.1]);
    expect([0, 1, 3, 4, 10].map((s) => learningRate({ kind: 'constant', warmupSteps: 4 }, 1, s, 100))).toEqual([0.25, 0.5, 1, 1, 1]);
    expect([0, 9, 10, 25].map((s) => learningRate({ kind: 'step', everySteps: 10, gamma: 0.5 }, 1, s, 100))).toEqual([1, 1, 0.5, 0.25]);
    const cos = (s: number) => learningRate({ kind: 'cosine', warmupSteps: 10 }, 2, s, 110);
    expect(cos(10)).toBe(2);
    expect(cos(60)).toBeCloseTo(1, 12);
    expect(cos(110)).toBeCloseTo(0, 12);
  });

  it('parses what the CLI and page accept, and names the forms when it cannot', () => {
    expect(parseSchedule('cosine+warmup:100')).toEqual({ kind: 'cosine', warmupSteps: 100 });
    expect(parseSchedule('step:500:0.1')).toEqual({ kind: 'step', everySteps: 500, gamma: 0.1, warmupSteps: undefined });
    expect(() => parseSchedule('linear')).toThrow(/constant, cosine or step:EVERY:GAMMA/);
    expect(() => parseSchedule('step:0')).toThrow(/step:EVERY:GAMMA/);
  });
});

describe('built-in students', () => {
  it('parses specs, with the jax-js ConvNet as a preset', () => {
    expect(parseArch('mlp:784-64-32-10')).toEqual({ kind: 'mlp', layers: [{ kind: 'fc', units: 64 }, { kind: 'fc', units: 32 }], classes: 10 });
    expect(parseArch('convnet')).toEqual({ kind: 'cnn', classes: 10, layers: [
      { kind: 'conv', channels: 24, kernel: 5, valid: true }, { kind: 'conv', channels: 32, kernel: 3, valid: true }, { kind: 'fc', units: 128 }] });
    for (const bad of ['mlp', 'mlp:784', 'cnn:8-x-10', 'rnn:8-10', 'cnn:8-16-1']) expect(() => parseArch(bad), bad).toThrow(/not a student spec/);
  });

  it('builds models with the expected parameters, the same for the same seed', () => {
    const cnn = buildArch('convnet', [28, 28], 5);
    const params = findParameters(cnn);
    const count = [...params.keys()].reduce((a, k) => a + cnn.graph.initializers[k]!.data.length, 0);
    // Unpadded as jax-js's demo: 28 → 24 → 12 → 10 → 5; conv 24·1·25 + 24, conv 32·24·9 + 32, dense 128·(32·5·5) + 128, dense 10·128 + 10.
    expect(count).toBe(24 * 25 + 24 + 32 * 24 * 9 + 32 + 128 * 800 + 128 + 1280 + 10);
    expect(buildArch('convnet', [28, 28], 5)).toEqual(cnn);
    expect(buildArch('convnet', [28, 28], 6).graph.initializers['conv1.weight']!.data).not.toEqual(cnn.graph.initializers['conv1.weight']!.data);
    expect(() => buildArch('cnn:8-8-8-8-8-10', [28, 28])).toThrow(/shrink 28×28 items to nothing/);
  });

  it('shuffles every index exactly once, the same way for the same seed', () => {
    const a = shuffled(1000, 3);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffled(1000, 3)).toEqual(a);
    expect(shuffled(1000, 4)).not.toEqual(a);
  });
});
