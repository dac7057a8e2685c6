import { describe, expect, it } from 'vitest';
import { describeDeviceBytes, layersVersus, timeByOpType, type LatencySummary, type LayerProfile } from './latency';
import { fmtBytes } from './format';

const profile = (layers: [string, string, number][]): LayerProfile =>
  ({ batch: 1, layers: layers.map(([name, opType, ms]) => ({ name, opType, ms })), totalMs: layers.reduce((a, l) => a + l[2], 0) });

describe('layer profiles', () => {
  it('sums time per op type, largest first, counting the layers of each', () => {
    const p = profile([['a', 'Conv', 3], ['b', 'Relu', 0.5], ['c', 'Conv', 4], ['d', 'Gemm', 5]]);
    expect(timeByOpType(p)).toEqual([
      { opType: 'Conv', ms: 7, layers: 2 }, { opType: 'Gemm', ms: 5, layers: 1 }, { opType: 'Relu', ms: 0.5, layers: 1 },
    ]);
  });

  it('lines a variant\'s layers up with its parent\'s by name, slowest first; new layers have no base', () => {
    const parent = profile([['conv1', 'Conv', 10], ['conv2', 'Conv', 20], ['fc', 'Gemm', 2]]);
    const int8 = profile([['conv1', 'StudioInt8Conv', 5], ['conv1:range', 'StudioDynamicRange', 1], ['conv2', 'StudioInt8Conv', 25], ['fc', 'Gemm', 2]]);
    expect(layersVersus(int8, parent).map((l) => [l.name, l.ms, l.baseMs])).toEqual([
      ['conv2', 25, 20], ['conv1', 5, 10], ['fc', 2, 2], ['conv1:range', 1, null],
    ]);
    expect(layersVersus(int8, null).every((l) => l.baseMs === null)).toBe(true);
  });
});

describe('GPU memory of a latency figure', () => {
  const figure: LatencySummary = { batch: 1, runs: 5, requestedRuns: 5, medianMs: 1, p5Ms: 1, p95Ms: 1, minMs: 1, maxMs: 1, gpuMedianMs: null, timing: 'wall-clock' };
  it('says weights and activations and their sum; nothing for a figure without them (a scaled one)', () => {
    expect(describeDeviceBytes({ ...figure, deviceBytes: { weights: 46_766_080, activations: 5_450_000 } }, fmtBytes)).toBe('49.80 MiB (weights 44.60 MiB, activations 5.20 MiB)');
    expect(describeDeviceBytes(figure, fmtBytes)).toBeNull();
  });
});
