/**
 * Small float models per op family that the opset-22–25 tests build at any opset (Debian's ONNX
 * test data stops at opset 17); quantized ones are in opset-fixtures-quant.ts. Each uses the op
 * forms valid from opset 18 on (Squeeze axes as an input, Split's num_outputs, Reduce* axes as an
 * input) and seeded weights; inputs are float32 so onnxruntime-node is fed the same values.
 */
import { GraphBuilder, float, int, ints, tensor } from '../model/builder';
import type { Model, TensorData } from '../model/ir';
import { randomFloats } from '../core/rng';

export interface OpsetFixture {
  family: string;
  name: string;
  /** Ops the fixture exercises; one the engine does not run (yet) skips it, named. */
  ops: string[];
  inputs: Record<string, number[]>;
  build(opset: number): Model;
  /** Engine ops the session must lower the graph onto (quantized graphs run on the int8 kernels). */
  lowered?: string[];
  /** Max abs difference allowed against onnxruntime (quantized outputs must land on the same grid point). */
  tol: number;
}

const f32 = (dims: number[], seed: number, lo = -0.5, hi = 0.5): TensorData =>
  tensor('float32', dims, randomFloats(dims.reduce((a, d) => a * d, 1), seed, lo, hi));
const i64 = (...v: number[]): TensorData => tensor('int64', [v.length], v);

function graph(name: string, opset: number, body: (b: GraphBuilder) => void): Model {
  const b = new GraphBuilder(name, opset);
  body(b);
  return b.build();
}

const convPool: OpsetFixture = {
  family: 'conv/pool', name: 'conv-relu-maxpool(ceil)-avgpool-gap', tol: 1e-4,
  ops: ['Conv', 'Relu', 'MaxPool', 'AveragePool', 'GlobalAveragePool'],
  inputs: { x: [2, 3, 9, 9] },
  build: (opset) => graph('conv_pool', opset, (b) => {
    const x = b.input('x', 'float32', [2, 3, 9, 9]);
    const c = b.node('Conv', [x, b.initializer('w', f32([4, 3, 3, 3], 1)), b.initializer('b', f32([4], 2))], { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) });
    const dw = b.node('Conv', [b.node('Relu', [c]), b.initializer('wd', f32([4, 1, 3, 3], 3))], { group: int(4), pads: ints([1, 1, 1, 1]) });
    // 5x5 -> kernel 2, stride 2, pads 1, ceil: the last window would start in the end padding, so 3x3 (opset 22 spells this out).
    const mp = b.node('MaxPool', [dw], { kernel_shape: ints([2, 2]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) });
    b.output(mp, 'float32', [2, 4, 3, 3]);
    const ap = b.node('AveragePool', [dw], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), count_include_pad: int(0) });
    b.output(b.node('GlobalAveragePool', [ap]), 'float32', [2, 4, 1, 1]);
  }),
};

const matmulGemm: OpsetFixture = {
  family: 'matmul/gemm', name: 'gemm(transB,alpha,beta)-matmul-batched', tol: 1e-4,
  ops: ['Gemm', 'MatMul'],
  inputs: { x: [3, 6], a: [2, 3, 5] },
  build: (opset) => graph('matmul_gemm', opset, (b) => {
    const x = b.input('x', 'float32', [3, 6]), a = b.input('a', 'float32', [2, 3, 5]);
    const g = b.node('Gemm', [x, b.initializer('w', f32([5, 6], 4)), b.initializer('c', f32([5], 5))], { transB: int(1), alpha: float(0.7), beta: float(1.3) });
    b.output(b.node('MatMul', [g, b.initializer('m', f32([5, 4], 6))]), 'float32', [3, 4]);
    b.output(b.node('MatMul', [a, b.initializer('m3', f32([2, 5, 2], 7))]), 'float32', [2, 3, 2]);
  }),
};

const elementwise: OpsetFixture = {
  family: 'elementwise', name: 'add-sub-mul-div(broadcast)', tol: 1e-5,
  ops: ['Add', 'Sub', 'Mul', 'Div'],
  inputs: { a: [2, 3, 4], b: [3, 1] },
  build: (opset) => graph('elementwise', opset, (b) => {
    const a = b.input('a', 'float32', [2, 3, 4]), c = b.input('b', 'float32', [3, 1]);
    const s = b.node('Sub', [b.node('Add', [a, c]), b.initializer('k', f32([4], 8))]);
    b.output(b.node('Div', [b.node('Mul', [s, c]), b.initializer('d', f32([1, 4], 9, 0.5, 2))]), 'float32', [2, 3, 4]);
  }),
};

const activations: OpsetFixture = {
  family: 'activations', name: 'relu-leakyrelu-sigmoid-tanh-clip', tol: 1e-5,
  ops: ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip'],
  inputs: { x: [2, 8] },
  build: (opset) => graph('activations', opset, (b) => {
    const x = b.input('x', 'float32', [2, 8]);
    b.output(b.node('Relu', [x]), 'float32', [2, 8]);
    b.output(b.node('LeakyRelu', [x], { alpha: float(0.1) }), 'float32', [2, 8]);
    b.output(b.node('Sigmoid', [x]), 'float32', [2, 8]);
    b.output(b.node('Tanh', [x]), 'float32', [2, 8]);
    const lo = b.initializer('lo', tensor('float32', [], [-0.3])), hi = b.initializer('hi', tensor('float32', [], [0.4]));
    b.output(b.node('Clip', [x, lo, hi]), 'float32', [2, 8]);
  }),
};

const hardActivations: OpsetFixture = {
  family: 'activations', name: 'hardsigmoid-hardswish', tol: 1e-5,
  ops: ['HardSigmoid', 'HardSwish'],
  inputs: { x: [2, 8] },
  build: (opset) => graph('hard_activations', opset, (b) => {
    const x = b.input('x', 'float32', [2, 8]);
    b.output(b.node('HardSigmoid', [x], { alpha: float(0.25), beta: float(0.4) }), 'float32', [2, 8]);
    b.output(b.node('HardSwish', [b.node('Mul', [x, b.initializer('four', tensor('float32', [], [4]))])]), 'float32', [2, 8]);
  }),
};

const normalization: OpsetFixture = {
  family: 'normalization', name: 'batchnorm(NCHW, NC)', tol: 1e-4,
  ops: ['BatchNormalization'],
  inputs: { x: [2, 4, 5, 5], v: [3, 4] },
  build: (opset) => graph('normalization', opset, (b) => {
    const bn = (x: string, seed: number) => b.node('BatchNormalization', [x,
      b.initializer('gamma', f32([4], seed, 0.5, 1.5)), b.initializer('beta', f32([4], seed + 1)),
      b.initializer('mean', f32([4], seed + 2)), b.initializer('var', f32([4], seed + 3, 0.5, 2))], { epsilon: float(1e-3) });
    b.output(bn(b.input('x', 'float32', [2, 4, 5, 5]), 10), 'float32', [2, 4, 5, 5]);
    b.output(bn(b.input('v', 'float32', [3, 4]), 20), 'float32', [3, 4]);
  }),
};

const lrn: OpsetFixture = {
  family: 'normalization', name: 'lrn', tol: 1e-4,
  ops: ['LRN'],
  inputs: { x: [2, 5, 3, 3] },
  build: (opset) => graph('lrn', opset, (b) => {
    const x = b.input('x', 'float32', [2, 5, 3, 3]);
    b.output(b.node('LRN', [x], { size: int(3), alpha: float(1e-2), beta: float(0.75), bias: float(1) }), 'float32', [2, 5, 3, 3]);
  }),
};

/** PyTorch's shape chain (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) plus every folded op and view. */
const shapeView: OpsetFixture = {
  family: 'shape/view', name: 'shape-chain-reshape-flatten-transpose-squeeze-concat', tol: 1e-6,
  ops: ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Identity', 'Dropout',
    'Cast', 'Slice', 'ConstantOfShape', 'Range', 'Constant', 'Add'],
  inputs: { x: [2, 3, 4, 5] },
  build: (opset) => graph('shape_view', opset, (b) => {
    const x = b.input('x', 'float32', [2, 3, 4, 5]);
    const shape = b.node('Shape', [x]);
    const n = b.node('Unsqueeze', [b.node('Gather', [shape, b.initializer('zero', tensor('int64', [], [0]))], { axis: int(0) }), b.initializer('ax0', i64(0))]);
    const minus1 = b.node('Constant', [], { value: { type: 'tensor', value: i64(-1) } });
    b.output(b.node('Reshape', [x, b.node('Concat', [n, minus1], { axis: int(0) })]), 'float32', [2, 60]);
    // Range(0, W) as float, broadcast over the last axis; a ConstantOfShape of x's trailing dims adds 0.5.
    const w = b.node('Squeeze', [b.node('Slice', [shape, b.initializer('s3', i64(3)), b.initializer('e4', i64(4))]), b.initializer('sq0', i64(0))]);
    const range = b.node('Cast', [b.node('Range', [b.initializer('r0', tensor('int64', [], [0])), w, b.initializer('r1', tensor('int64', [], [1]))])], { to: int(1) });
    const half = b.node('ConstantOfShape', [b.node('Slice', [shape, b.initializer('s1', i64(1)), b.initializer('e9', i64(9))])],
      { value: { type: 'tensor', value: tensor('float32', [1], [0.5]) } });
    const shifted = b.node('Add', [b.node('Add', [b.node('Identity', [x]), range]), half]);
    const t = b.node('Transpose', [b.node('Dropout', [shifted])], { perm: ints([0, 2, 1, 3]) });
    b.output(b.node('Flatten', [t], { axis: int(2) }), 'float32', [8, 15]);
    const sq = b.node('Squeeze', [b.node('Unsqueeze', [x, b.initializer('ax1', i64(1))]), b.initializer('ax1b', i64(1))]);
    b.output(b.node('Concat', [sq, x], { axis: int(1) }), 'float32', [2, 6, 4, 5]);
  }),
};

const softmax: OpsetFixture = {
  family: 'softmax', name: 'softmax(-1)-logsoftmax(1)', tol: 1e-5,
  ops: ['Softmax', 'LogSoftmax'],
  inputs: { x: [2, 3, 6] },
  build: (opset) => graph('softmax', opset, (b) => {
    const x = b.input('x', 'float32', [2, 3, 6]);
    b.output(b.node('Softmax', [x], { axis: int(-1) }), 'float32', [2, 3, 6]);
    b.output(b.node('LogSoftmax', [x], { axis: int(1) }), 'float32', [2, 3, 6]);
  }),
};

const reduceSplitPad: OpsetFixture = {
  family: 'shape/view', name: 'reducemean-split-pad-expand-gather', tol: 1e-5,
  ops: ['ReduceMean', 'Split', 'Pad', 'Expand', 'Gather'],
  inputs: { x: [2, 4, 3] },
  build: (opset) => graph('reduce_split_pad', opset, (b) => {
    const x = b.input('x', 'float32', [2, 4, 3]);
    b.output(b.node('ReduceMean', [x, b.initializer('axes', i64(1))], { keepdims: int(1) }), 'float32', [2, 1, 3]);
    const [s0, s1] = b.nodeN('Split', [x], 2, { axis: int(1), num_outputs: int(2) });
    b.output(s0!, 'float32', [2, 2, 3]);
    b.output(b.node('Pad', [s1!, b.initializer('pads', i64(0, 1, 0, 0, 0, 2)), b.initializer('pv', tensor('float32', [], [0.25]))]), 'float32', [2, 3, 5]);
    b.output(b.node('Expand', [b.node('ReduceMean', [x, b.initializer('ax2', i64(2))], { keepdims: int(1) }), b.initializer('shape', i64(2, 4, 3))]), 'float32', [2, 4, 3]);
    b.output(b.node('Gather', [x, b.initializer('idx', tensor('int64', [2], [3, -4]))], { axis: int(1) }), 'float32', [2, 2, 3]);
  }),
};

const variadic: OpsetFixture = {
  family: 'elementwise', name: 'sum-mean-max-min(variadic, broadcast)', tol: 1e-5,
  ops: ['Sum', 'Mean', 'Max', 'Min'],
  inputs: { a: [2, 3], b: [3], c: [2, 1] },
  build: (opset) => graph('variadic', opset, (b) => {
    const v = [b.input('a', 'float32', [2, 3]), b.input('b', 'float32', [3]), b.input('c', 'float32', [2, 1])];
    for (const op of ['Sum', 'Mean', 'Max', 'Min']) b.output(b.node(op, v), 'float32', [2, 3]);
  }),
};

const reductions: OpsetFixture = {
  family: 'reduction', name: 'reduce sum/max/min/prod/l1/l2/sumsquare/logsum/logsumexp', tol: 1e-5,
  ops: ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp', 'Mul'],
  inputs: { x: [2, 3, 4] },
  build: (opset) => graph('reductions', opset, (b) => {
    const x = b.input('x', 'float32', [2, 3, 4]);
    const sq = b.node('Mul', [x, x]); // ReduceLogSum needs a positive sum
    const axes = [b.initializer('a1', i64(1)), b.initializer('a02', i64(0, 2)), b.initializer('am1', i64(-1))];
    const ops: [string, string, number, number[]][] = [
      ['ReduceSum', x, 0, [2, 1, 4]], ['ReduceMax', x, 1, [3]], ['ReduceMin', x, 2, [2, 3, 1]], ['ReduceProd', x, 0, [2, 1, 4]],
      ['ReduceL1', x, 1, [3]], ['ReduceL2', x, 2, [2, 3, 1]], ['ReduceSumSquare', x, 0, [2, 1, 4]], ['ReduceLogSum', sq, 1, [3]],
      ['ReduceLogSumExp', x, 2, [2, 3, 1]],
    ];
    for (const [op, v, a, shape] of ops) b.output(b.node(op, [v, axes[a]!], { keepdims: int(a === 1 ? 0 : 1) }), 'float32', shape);
  }),
};

const tileSlice: OpsetFixture = {
  family: 'shape/view', name: 'tile-slice(runtime data, negative step)', tol: 1e-6,
  ops: ['Tile', 'Slice'],
  inputs: { x: [2, 3, 4] },
  build: (opset) => graph('tile_slice', opset, (b) => {
    const x = b.input('x', 'float32', [2, 3, 4]);
    b.output(b.node('Tile', [x, b.initializer('reps', i64(1, 2, 2))]), 'float32', [2, 6, 8]);
    b.output(b.node('Slice', [x, b.initializer('st', i64(2, -1)), b.initializer('en', i64(0, -9)), b.initializer('ax', i64(1, 2)), b.initializer('sp', i64(-1, -2))]),
      'float32', [2, 2, 2]);
  }),
};

/** The float families, in report order. */
export const FLOAT_FIXTURES: OpsetFixture[] = [
  convPool, matmulGemm, elementwise, variadic, activations, hardActivations, normalization, lrn, reductions, shapeView, reduceSplitPad, tileSlice, softmax,
];
export { f32, i64, graph };
