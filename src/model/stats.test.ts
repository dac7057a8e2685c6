import { describe, expect, it } from 'vitest';
import type { AttrValue, Dim, Model, Node, TensorData } from './ir';
import { resolveGraph } from './resolve';
import { layerStats, modelSize } from './stats';

// ---- tiny local graph builder (plain IR objects) ----
const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const int = (value: number): AttrValue => ({ type: 'int', value });
const f32 = (dims: number[]): TensorData => ({ dtype: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });
const i64 = (values: number[], dims = [values.length]): TensorData => ({ dtype: 'int64', dims, data: BigInt64Array.from(values, BigInt) });
const n = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = outputs[0]!): Node =>
  ({ name, opType, domain: '', inputs, outputs, attrs });

function model(nodes: Node[], input: Dim[], init: Record<string, TensorData>): Model {
  return {
    irVersion: 8, opset: 13, producer: 'test',
    graph: {
      name: 'g', nodes, initializers: init, valueInfo: {},
      inputs: [{ name: 'x', dtype: 'float32', shape: input }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [] }],
    },
  };
}

function lenet(): Model {
  const pool = (i: string, o: string, name: string) => n('MaxPool', [i], [o], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, name);
  return model([
    n('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: ints([5, 5]), pads: ints([2, 2, 2, 2]) }, 'conv1'),
    n('Relu', ['c1'], ['r1'], {}, 'relu1'),
    pool('r1', 'p1', 'pool1'),
    n('Conv', ['p1', 'w2', 'b2'], ['c2'], {}, 'conv2'),
    n('Relu', ['c2'], ['r2'], {}, 'relu2'),
    pool('r2', 'p2', 'pool2'),
    n('Shape', ['p2'], ['s0']),
    n('Gather', ['s0', 'idx0'], ['g0'], { axis: int(0) }),
    n('Unsqueeze', ['g0', 'axes0'], ['u0']),
    n('Concat', ['u0', 'minus1'], ['cat0'], { axis: int(0) }),
    n('Reshape', ['p2', 'cat0'], ['flat'], {}, 'flatten'),
    n('Gemm', ['flat', 'fw1', 'fb1'], ['f1'], { transB: int(1) }, 'fc1'),
    n('Relu', ['f1'], ['r3'], {}, 'relu3'),
    n('Gemm', ['r3', 'fw2', 'fb2'], ['f2'], { transB: int(1) }, 'fc2'),
    n('Gemm', ['f2', 'fw3', 'fb3'], ['y'], { transB: int(1) }, 'fc3'),
  ], ['N', 1, 28, 28], {
    idx0: i64([0], []), axes0: i64([0]), minus1: i64([-1]),
    w1: f32([6, 1, 5, 5]), b1: f32([6]), w2: f32([16, 6, 5, 5]), b2: f32([16]),
    fw1: f32([120, 400]), fb1: f32([120]), fw2: f32([84, 120]), fb2: f32([84]), fw3: f32([10, 84]), fb3: f32([10]),
  });
}

describe('layerStats', () => {
  it('LeNet at batch 2: params, FLOPs (2 per multiply-add) and bytes per layer', () => {
    const m = lenet();
    const stats = layerStats(m, resolveGraph(m, { x: [2, 1, 28, 28] }));
    const row = (name: string) => stats.find((s) => s.name === name)!;
    // conv1: 6·25 + 6 params; each of 2·6·28·28 = 9408 outputs costs 25 MACs (50) + 1 bias add.
    expect(row('conv1')).toEqual({ name: 'conv1', opType: 'Conv', outputShape: [2, 6, 28, 28], params: 156, flops: 9408 * 51, bytes: 624 });
    expect(row('relu1').flops).toBe(9408);
    expect(row('pool1').flops).toBe(2 * 6 * 14 * 14 * 4); // 2352 windows of 4
    // conv2: 16·6·25 + 16 params; 2·16·10·10 = 3200 outputs × (2·150 + 1).
    expect(row('conv2')).toMatchObject({ outputShape: [2, 16, 10, 10], params: 2416, flops: 963200, bytes: 9664 });
    expect(row('pool2').flops).toBe(3200);
    // The folded shape [2,-1] is an argument, not a weight; a view costs nothing.
    expect(row('flatten')).toMatchObject({ outputShape: [2, 400], params: 0, flops: 0, bytes: 0 });
    // fc1: 120·400 + 120 params; 2·120 outputs × (2·400 + 1).
    expect(row('fc1')).toMatchObject({ outputShape: [2, 120], params: 48120, flops: 192240, bytes: 192480 });
    expect(row('fc2')).toMatchObject({ params: 10164, flops: 2 * 84 * 241 });
    expect(row('fc3')).toMatchObject({ outputShape: [2, 10], params: 850, flops: 2 * 10 * 169 });
    expect(stats.map((s) => s.name)).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'flatten', 'fc1', 'relu3', 'fc2', 'fc3']);
    expect(stats.reduce((a, s) => a + s.params, 0)).toBe(61706); // the classic LeNet-5 count
    expect(stats.reduce((a, s) => a + s.flops, 0)).toBe(1704572);
  });

  it('FLOPs scale with the resolved batch', () => {
    const m = lenet();
    const at = (b: number) => layerStats(m, resolveGraph(m, { x: [b, 1, 28, 28] })).reduce((a, s) => a + s.flops, 0);
    expect(at(64)).toBe(32 * at(2));
  });

  it('BatchNormalization, GlobalAveragePool, MatMul, Add and Softmax', () => {
    const m = model([
      n('Conv', ['x', 'w'], ['c'], { pads: ints([1, 1, 1, 1]) }, 'conv'),
      n('BatchNormalization', ['c', 's', 'b', 'mu', 'var'], ['bn'], {}, 'bn'),
      n('GlobalAveragePool', ['bn'], ['gap'], {}, 'gap'),
      n('Flatten', ['gap'], ['fl'], {}, 'flat'),
      n('MatMul', ['fl', 'wm'], ['mm'], {}, 'mm'),
      n('Add', ['mm', 'bias'], ['z'], {}, 'add'),
      n('Softmax', ['z'], ['y'], {}, 'softmax'),
    ], ['N', 8, 6, 6], {
      w: f32([8, 8, 3, 3]), s: f32([8]), b: f32([8]), mu: f32([8]), var: f32([8]), wm: f32([8, 5]), bias: f32([5]),
    });
    const stats = layerStats(m, resolveGraph(m, { x: [4, 8, 6, 6] }));
    const by = Object.fromEntries(stats.map((s) => [s.name, s]));
    expect(by.conv).toMatchObject({ params: 576, flops: 4 * 8 * 36 * 2 * 72 }); // no bias
    expect(by.bn).toMatchObject({ params: 32, bytes: 128, flops: 2 * 1152 });
    expect(by.gap).toMatchObject({ outputShape: [4, 8, 1, 1], flops: 1152 });
    expect(by.flat).toMatchObject({ outputShape: [4, 8], flops: 0 });
    expect(by.mm).toMatchObject({ outputShape: [4, 5], params: 40, flops: 2 * 20 * 8 });
    expect(by.add).toMatchObject({ params: 5, flops: 20 });
    expect(by.softmax).toMatchObject({ params: 0, flops: 60 });
  });
});

describe('modelSize', () => {
  it('counts stored bytes of the initializers by dtype', () => {
    expect(modelSize(lenet())).toEqual({
      totalBytes: 61706 * 4 + 3 * 8, byDtype: { float32: 246824, int64: 24 }, params: 61709,
    });
  });

  it('counts float16 at 2 bytes though it is held as f32, and int8 at 1', () => {
    const m = model([], [1], {
      h: { dtype: 'float16', dims: [10], data: new Float32Array(10) },
      q: { dtype: 'int8', dims: [4, 25], data: new Int8Array(100) },
    });
    expect(modelSize(m)).toEqual({ totalBytes: 120, byDtype: { float16: 20, int8: 100 }, params: 110 });
  });
});
