/**
 * Small models the parity tests build themselves (seeded random weights): an MLP, a CNN with
 * BatchNorm, a depthwise-separable block and a residual block, in the shapes real exporters write.
 */
import { GraphBuilder, float, int, ints, tensor } from '../model/builder';
import type { Model } from '../model/ir';
import { randomFloats } from '../core/rng';

function weights(b: GraphBuilder, name: string, dims: number[], seed: number, scale = 0.5): string {
  const n = dims.reduce((a, d) => a * d, 1);
  return b.initializer(name, tensor('float32', dims, randomFloats(n, seed, -scale, scale)));
}

function batchNorm(b: GraphBuilder, x: string, c: number, seed: number): string {
  const gamma = b.initializer('gamma', tensor('float32', [c], randomFloats(c, seed, 0.5, 1.5)));
  const beta = weights(b, 'beta', [c], seed + 1, 0.2);
  const mean = weights(b, 'mean', [c], seed + 2, 0.3);
  const variance = b.initializer('var', tensor('float32', [c], randomFloats(c, seed + 3, 0.5, 2)));
  return b.node('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: float(1e-5) });
}

/** An MLP with BatchNorm on [N, C], MatMul + Add bias, Tanh, Gemm with alpha/beta, Softmax. */
export function mlpModel(): Model {
  const b = new GraphBuilder('mlp', 13);
  const x = b.input('x', 'float32', ['N', 20]);
  let h = b.node('Gemm', [x, weights(b, 'w1', [32, 20], 1), weights(b, 'b1', [32], 2)], { transB: int(1) });
  h = b.node('Relu', [batchNorm(b, h, 32, 3)]); // BatchNorm1d on [N, C], as PyTorch exports it
  h = b.node('MatMul', [h, weights(b, 'w2', [32, 16], 3)]);
  h = b.node('Add', [h, weights(b, 'b2', [16], 4)]);
  h = b.node('Tanh', [h]);
  h = b.node('Gemm', [h, weights(b, 'w3', [16, 10], 5), weights(b, 'b3', [1, 10], 6)], { alpha: float(0.7), beta: float(1.3) });
  b.output(b.node('Softmax', [h], { axis: int(-1) }), 'float32', ['N', 10]);
  return b.build();
}

export function cnnBatchNormModel(): Model {
  const b = new GraphBuilder('cnn_bn', 13);
  const x = b.input('x', 'float32', ['N', 1, 12, 12]);
  let h = b.node('Conv', [x, weights(b, 'c1', [4, 1, 3, 3], 10), weights(b, 'c1b', [4], 11)], { pads: ints([1, 1, 1, 1]) });
  h = b.node('Relu', [batchNorm(b, h, 4, 12)]);
  h = b.node('MaxPool', [h], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
  h = b.node('Conv', [h, weights(b, 'c2', [6, 4, 3, 3], 20)], { auto_pad: { type: 'string', value: 'SAME_UPPER' } });
  h = b.node('LeakyRelu', [batchNorm(b, h, 6, 21)], { alpha: float(0.1) });
  h = b.node('AveragePool', [h], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
  h = b.node('Flatten', [h], { axis: int(1) });
  h = b.node('Gemm', [h, weights(b, 'fc', [10, 54], 30), weights(b, 'fcb', [10], 31)], { transB: int(1) });
  b.output(b.node('LogSoftmax', [h], { axis: int(1) }), 'float32', ['N', 10]);
  return b.build();
}

export function depthwiseSeparableModel(): Model {
  const b = new GraphBuilder('dw_sep', 13);
  const x = b.input('x', 'float32', ['N', 3, 10, 10]);
  let h = b.node('Conv', [x, weights(b, 'stem', [8, 3, 3, 3], 40)], { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) });
  h = b.node('Clip', [batchNorm(b, h, 8, 41), b.initializer('lo', tensor('float32', [], [0])), b.initializer('hi', tensor('float32', [], [6]))]);
  h = b.node('Conv', [h, weights(b, 'dw', [8, 1, 3, 3], 50)], { group: int(8), pads: ints([1, 1, 1, 1]) });
  h = b.node('Relu', [batchNorm(b, h, 8, 51)]);
  h = b.node('Conv', [h, weights(b, 'pw', [12, 8, 1, 1], 60), weights(b, 'pwb', [12], 61)]);
  h = b.node('Sigmoid', [h]);
  h = b.node('GlobalAveragePool', [h]);
  h = b.node('Reshape', [h, b.initializer('shape', tensor('int64', [2], [0, -1]))]);
  h = b.node('Gemm', [h, weights(b, 'fc', [10, 12], 70)], { transB: int(1) });
  b.output(h, 'float32', ['N', 10]);
  return b.build();
}

export function residualModel(): Model {
  const b = new GraphBuilder('residual', 13);
  const x = b.input('x', 'float32', ['N', 4, 8, 8]);
  let h = b.node('Conv', [x, weights(b, 'r1', [4, 4, 3, 3], 80, 0.3)], { pads: ints([1, 1, 1, 1]) });
  h = b.node('Relu', [batchNorm(b, h, 4, 81)]);
  h = b.node('Conv', [h, weights(b, 'r2', [4, 4, 3, 3], 90, 0.3)], { pads: ints([1, 1, 1, 1]) });
  h = batchNorm(b, h, 4, 91);
  h = b.node('Relu', [b.node('Add', [h, x])]);
  const side = b.node('Transpose', [h], { perm: ints([0, 1, 3, 2]) });
  h = b.node('Concat', [h, side], { axis: int(1) });
  h = b.node('Mul', [h, weights(b, 'gate', [8, 1, 1], 95)]);
  h = b.node('MaxPool', [h], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) });
  h = b.node('Flatten', [h]);
  b.output(b.node('Gemm', [h, weights(b, 'fc', [128, 5], 99, 0.1)]), 'float32', ['N', 5]);
  return b.build();
}

export const TEST_MODELS: Record<string, { build: () => Model; itemShape: number[] }> = {
  mlp: { build: mlpModel, itemShape: [20] },
  'cnn with batchnorm': { build: cnnBatchNormModel, itemShape: [1, 12, 12] },
  'depthwise-separable block': { build: depthwiseSeparableModel, itemShape: [3, 10, 10] },
  'residual block': { build: residualModel, itemShape: [4, 8, 8] },
};
