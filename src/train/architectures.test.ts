import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { buildArch } from './architectures';
import { parseArch } from '../recipe/student-spec';
import { exportOnnx } from '../model/onnx-export';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

describe('built-in students for colour images', () => {
  it('cnn:3x32x32:... declares its input and refuses data of another shape', () => {
    expect(parseArch('cnn:3x32x32:k3.16-10').input).toEqual([3, 32, 32]);
    expect(() => buildArch('cnn:3x32x32:k3.16-10', [1, 28, 28])).toThrow(/takes 3×32×32 items but the data's are 1×28×28/);
    const m = buildArch('cnn:3x32x32:k3.16-10', [3, 32, 32]);
    expect(m.graph.inputs[0]!.shape).toEqual(['N', 3, 32, 32]);
  });

  it('resnet:D[wW]-C is He et al.\'s CIFAR ResNet: depth 6n+2, three stages, projection shortcuts, and onnxruntime runs it', async () => {
    expect(() => parseArch('resnet:9-10')).toThrow(/depth is 6n\+2/);
    expect(parseArch('resnet:20-10').resnet).toEqual({ depth: 20, width: 16 });
    const m = buildArch('resnet:8w4-10', [3, 16, 16], 3);
    const ops = m.graph.nodes.map((n) => n.opType);
    // Stem + 3 blocks × 2 convs + 2 projections = 9 convs, each with BatchNorm; 3 residual Adds.
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(9);
    expect(ops.filter((o) => o === 'BatchNormalization')).toHaveLength(9);
    expect(ops.filter((o) => o === 'Add')).toHaveLength(3);
    const ref = await ort.InferenceSession.create(exportOnnx(m));
    const out = await ref.run({ input: new ort.Tensor('float32', new Float32Array(2 * 3 * 16 * 16).fill(0.5), [2, 3, 16, 16]) });
    expect(out[ref.outputNames[0]!]!.dims).toEqual([2, 10]);
    // ResNet-20 at width 16 has the published 0.27 M parameters.
    const r20 = buildArch('resnet:20-10', [3, 32, 32]);
    const params = Object.entries(r20.graph.initializers).filter(([name]) => !/running_/.test(name)).reduce((a, [, t]) => a + t.data.length, 0);
    expect(params / 1e6).toBeCloseTo(0.27, 1);
  });
});
