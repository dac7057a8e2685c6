import { describe, expect, it } from 'vitest';
import { ModelError } from '../core/errors';
import type { AttrValue, Dim, Model, Node, TensorData } from './ir';
import { convPads, FOLDABLE_OPS, resolveGraph, SHAPE_RULE_OPS } from './resolve';

// ---- tiny local graph builder (plain IR objects) ----
const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const int = (value: number): AttrValue => ({ type: 'int', value });
const str = (value: string): AttrValue => ({ type: 'string', value });
const f32 = (dims: number[], values?: number[]): TensorData => ({
  dtype: 'float32', dims, data: values ? Float32Array.from(values) : new Float32Array(dims.reduce((a, b) => a * b, 1)),
});
const i64 = (values: number[], dims = [values.length]): TensorData => ({ dtype: 'int64', dims, data: BigInt64Array.from(values, BigInt) });
const n = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = outputs[0]!): Node =>
  ({ name, opType, domain: '', inputs, outputs, attrs });

function model(nodes: Node[], opts: {
  inputs?: Record<string, Dim[]>; outputs?: string[]; init?: Record<string, TensorData>; opset?: number;
} = {}): Model {
  const inputs = Object.entries(opts.inputs ?? { x: ['N', 1, 28, 28] }).map(([name, shape]) => ({ name, dtype: 'float32' as const, shape }));
  const outputs = (opts.outputs ?? [nodes[nodes.length - 1]!.outputs[0]!]).map((name) => ({ name, dtype: 'float32' as const, shape: [] }));
  return {
    irVersion: 8, opset: opts.opset ?? 13, producer: 'test',
    graph: { name: 'g', nodes, inputs, outputs, initializers: opts.init ?? {}, valueInfo: {} },
  };
}

/** The PyTorch `x.view(x.size(0), -1)` chain; Unsqueeze's axes are an attribute before opset 13, an input from 13. */
function flattenChain(src: string, dst: string, opset: number): { nodes: Node[]; init: Record<string, TensorData> } {
  const unsq = opset >= 13 ? n('Unsqueeze', ['g0', 'axes0'], ['u0']) : n('Unsqueeze', ['g0'], ['u0'], { axes: ints([0]) });
  return {
    nodes: [
      n('Shape', [src], ['s0']),
      n('Gather', ['s0', 'idx0'], ['g0'], { axis: int(0) }),
      unsq,
      n('Concat', ['u0', 'minus1'], ['cat0'], { axis: int(0) }),
      n('Reshape', [src, 'cat0'], [dst], {}, 'flatten'),
    ],
    init: { idx0: i64([0], []), axes0: i64([0]), minus1: i64([-1]) },
  };
}

function lenet(opset = 13): Model {
  const chain = flattenChain('p2', 'flat', opset);
  const nodes = [
    n('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: ints([5, 5]), pads: ints([2, 2, 2, 2]) }, 'conv1'),
    n('Relu', ['c1'], ['r1'], {}, 'relu1'),
    n('MaxPool', ['r1'], ['p1'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, 'pool1'),
    n('Conv', ['p1', 'w2', 'b2'], ['c2'], {}, 'conv2'),
    n('Relu', ['c2'], ['r2'], {}, 'relu2'),
    n('MaxPool', ['r2'], ['p2'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, 'pool2'),
    ...chain.nodes,
    n('Gemm', ['flat', 'fw1', 'fb1'], ['f1'], { transB: int(1) }, 'fc1'),
    n('Relu', ['f1'], ['r3'], {}, 'relu3'),
    n('Gemm', ['r3', 'fw2', 'fb2'], ['f2'], { transB: int(1) }, 'fc2'),
    n('Gemm', ['f2', 'fw3', 'fb3'], ['y'], { transB: int(1) }, 'fc3'),
  ];
  return model(nodes, {
    opset,
    init: {
      ...chain.init,
      w1: f32([6, 1, 5, 5]), b1: f32([6]), w2: f32([16, 6, 5, 5]), b2: f32([16]),
      fw1: f32([120, 400]), fb1: f32([120]), fw2: f32([84, 120]), fb2: f32([84]), fw3: f32([10, 84]), fb3: f32([10]),
    },
  });
}

const shapeOf = (m: Model, inputs: Record<string, number[]>, v: string) => resolveGraph(m, inputs).values[v]!.shape;
const single = (node: Node, xShape: number[], init: Record<string, TensorData> = {}, opset = 13) =>
  shapeOf(model([node], { inputs: { x: xShape }, init, opset }), {}, node.outputs[0]!);

describe('resolveGraph: LeNet and the PyTorch flatten chain', () => {
  it.each([11, 13])('folds Shape->Gather->Unsqueeze->Concat->Reshape at opset %i and leaves only compute nodes', (opset) => {
    const r = resolveGraph(lenet(opset), { x: [2, 1, 28, 28] });
    expect(r.nodes.map((x) => x.name)).toEqual(
      ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'flatten', 'fc1', 'relu3', 'fc2', 'fc3']);
    expect(Array.from(r.constants.cat0!.data as BigInt64Array)).toEqual([2n, -1n]);
    expect(r.constants.g0!.dims).toEqual([]); // Gather with a scalar index drops the axis
    expect(r.values.c1!.shape).toEqual([2, 6, 28, 28]);
    expect(r.values.p1!.shape).toEqual([2, 6, 14, 14]);
    expect(r.values.c2!.shape).toEqual([2, 16, 10, 10]);
    expect(r.values.p2!.shape).toEqual([2, 16, 5, 5]);
    expect(r.values.flat!.shape).toEqual([2, 400]);
    expect(r.values.y).toEqual({ dtype: 'float32', shape: [2, 10] });
    expect(r.inputs).toEqual(['x']);
    expect(r.outputs).toEqual(['y']);
  });

  it('resolves again for another batch size', () => {
    const r = resolveGraph(lenet(), { x: [64, 1, 28, 28] });
    expect(r.values.flat!.shape).toEqual([64, 400]);
    expect(Array.from(r.constants.cat0!.data as BigInt64Array)).toEqual([64n, -1n]);
  });

  it('rejects an input that contradicts the declared shape', () => {
    expect(() => resolveGraph(lenet(), { x: [64, 784] })).toThrow("input 'x' expects [N,1,28,28] but got [64,784]");
    expect(() => resolveGraph(lenet(), { x: [1, 3, 28, 28] })).toThrow(ModelError);
    expect(() => resolveGraph(lenet(), {})).toThrow("input 'x' has shape [N,1,28,28] with symbolic dims");
    expect(() => resolveGraph(lenet(), { x: [1, 1, 28, 28], z: [1] })).toThrow("the model has no input 'z'");
  });

  it('binds a symbol shared by two inputs consistently', () => {
    const m = model([n('Add', ['a', 'b'], ['y'])], { inputs: { a: ['N', 3], b: ['N', 3] } });
    expect(resolveGraph(m, { a: [4, 3], b: [4, 3] }).values.y!.shape).toEqual([4, 3]);
    expect(() => resolveGraph(m, { a: [4, 3], b: [5, 3] })).toThrow("'N' is already 4 from input 'a'");
  });
});

describe('shape rules', () => {
  it('Reshape copies 0 dims, infers -1, honours allowzero, and reports size mismatches', () => {
    const r = (shape: number[], opset = 13, attrs: Record<string, AttrValue> = {}) =>
      single(n('Reshape', ['x', 's'], ['y'], attrs, 'rs'), [2, 3, 4], { s: i64(shape) }, opset);
    expect(r([0, -1])).toEqual([2, 12]);
    expect(r([-1, 0])).toEqual([8, 3]);
    expect(r([0, 0, -1, 1])).toEqual([2, 3, 4, 1]);
    expect(() => r([5, -1])).toThrow("node 'rs' (Reshape): cannot reshape [2,3,4] (24 elements) to [5,-1]: 24 is not a multiple of 5");
    expect(() => r([4, 5])).toThrow('cannot reshape [2,3,4] (24 elements) to [4,5] (20 elements)');
    expect(() => r([0, 12], 14, { allowzero: int(1) })).toThrow('(0 elements)'); // allowzero: 0 is a real zero
  });

  it('auto_pad SAME_UPPER vs SAME_LOWER with stride 2 and an odd input', () => {
    const conv = (autoPad: string) => n('Conv', ['x', 'w'], ['y'], { auto_pad: str(autoPad), strides: ints([2, 2]) });
    // in 7, stride 2 -> out ceil(7/2) = 4; kernel 4 -> total pad (4-1)*2 + 4 - 7 = 3, odd.
    expect(convPads(conv('SAME_UPPER'), [1, 1, 7, 7], [1, 1, 4, 4]).pads).toEqual([1, 1, 2, 2]);
    expect(convPads(conv('SAME_LOWER'), [1, 1, 7, 7], [1, 1, 4, 4]).pads).toEqual([2, 2, 1, 1]);
    expect(convPads(conv('VALID'), [1, 1, 7, 7], [1, 1, 4, 4]).pads).toEqual([0, 0, 0, 0]);
    expect(single(conv('SAME_UPPER'), [1, 1, 7, 7], { w: f32([3, 1, 4, 4]) })).toEqual([1, 3, 4, 4]);
    expect(single(conv('SAME_LOWER'), [1, 1, 7, 7], { w: f32([3, 1, 4, 4]) })).toEqual([1, 3, 4, 4]);
    expect(single(conv('VALID'), [1, 1, 7, 7], { w: f32([3, 1, 4, 4]) })).toEqual([1, 3, 2, 2]); // floor(3/2)+1
    // dilation 2 makes a 3-tap kernel span 5: total (4-1)*2 + 5 - 7 = 4.
    const dil = n('Conv', ['x', 'w'], ['y'], { auto_pad: str('SAME_UPPER'), strides: ints([2]), dilations: ints([2]) });
    expect(convPads(dil, [1, 1, 7], [1, 1, 3])).toEqual({ pads: [2, 2], strides: [2], dilations: [2], kernel: [3] });
    // The engine passes the kernel's spatial dims alone; same answer.
    expect(convPads(conv('SAME_LOWER'), [1, 1, 7, 7], [4, 4]).pads).toEqual([2, 2, 1, 1]);
  });

  it('Conv 1-D, explicit pads, strides, and groups', () => {
    expect(single(n('Conv', ['x', 'w', 'b'], ['y'], { pads: ints([1, 2]), strides: ints([3]) }), [2, 4, 10],
      { w: f32([5, 4, 3]), b: f32([5]) })).toEqual([2, 5, 4]); // floor((10+3-3)/3)+1
    expect(single(n('Conv', ['x', 'w'], ['y'], { group: int(8) }), [1, 8, 10, 10], { w: f32([8, 1, 3, 3]) })).toEqual([1, 8, 8, 8]);
    expect(() => single(n('Conv', ['x', 'w'], ['y'], { group: int(8) }, 'dw'), [1, 8, 10, 10], { w: f32([8, 2, 3, 3]) }))
      .toThrow("node 'dw' (Conv): X is [1,8,10,10] with 8 channels but W is [8,2,3,3] with group=8, which expects 16");
    expect(() => single(n('Conv', ['x', 'w'], ['y'], {}, 'c'), [1, 3, 8, 8], { w: f32([4, 1, 3, 3]) }))
      .toThrow('with 3 channels but W is [4,1,3,3] with group=1, which expects 1');
  });

  it('pooling: ceil_mode, and a last window in the end padding is dropped', () => {
    const pool = (attrs: Record<string, AttrValue>) => n('MaxPool', ['x'], ['y'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]), ...attrs });
    expect(single(pool({}), [1, 1, 5, 5])).toEqual([1, 1, 2, 2]);
    expect(single(pool({ ceil_mode: int(1) }), [1, 1, 5, 5])).toEqual([1, 1, 3, 3]);
    // pads 1: span 5+2-2 = 5, ceil(5/2)+1 = 4, but window 4 would start at 6 >= 5+1, inside the end pad -> 3 (as PyTorch/ORT).
    expect(single(pool({ ceil_mode: int(1), pads: ints([1, 1, 1, 1]) }), [1, 1, 5, 5])).toEqual([1, 1, 3, 3]);
    expect(single(n('AveragePool', ['x'], ['y'], { kernel_shape: ints([3]), strides: ints([2]), ceil_mode: int(1) }), [1, 2, 8]))
      .toEqual([1, 2, 4]); // ceil(5/2)+1
    expect(single(n('GlobalAveragePool', ['x'], ['y']), [2, 7, 5, 5])).toEqual([2, 7, 1, 1]);
    expect(() => single(n('MaxPool', ['x'], ['y', 'idx'], { kernel_shape: ints([2, 2]) }, 'mp'), [1, 1, 4, 4]))
      .toThrow("node 'mp' (MaxPool): the Indices output 'idx' is not supported");
  });

  it('Squeeze/Unsqueeze take axes from the attribute before opset 13 and from the input from 13', () => {
    const sq11 = n('Squeeze', ['x'], ['y'], { axes: ints([1, -1]) });
    expect(single(sq11, [3, 1, 4, 1], {}, 11)).toEqual([3, 4]);
    expect(single(n('Squeeze', ['x', 'ax'], ['y']), [3, 1, 4, 1], { ax: i64([-1]) }, 13)).toEqual([3, 1, 4]);
    expect(single(n('Squeeze', ['x'], ['y']), [3, 1, 4, 1], {}, 13)).toEqual([3, 4]); // no axes: every 1
    expect(single(n('Unsqueeze', ['x'], ['y'], { axes: ints([0, -1]) }), [3, 4], {}, 11)).toEqual([1, 3, 4, 1]);
    expect(single(n('Unsqueeze', ['x', 'ax'], ['y']), [3, 4], { ax: i64([1, 3]) }, 13)).toEqual([3, 1, 4, 1]);
    expect(() => single(n('Unsqueeze', ['x'], ['y'], { axes: ints([0]) }, 'u'), [3, 4], {}, 13))
      .toThrow("node 'u' (Unsqueeze): the axes input is required from opset 13");
    expect(() => single(n('Squeeze', ['x'], ['y'], { axes: ints([0]) }, 'sq'), [3, 4], {}, 11))
      .toThrow('cannot squeeze axis 0 of [3,4]: its size is 3, not 1');
  });

  it('MatMul follows numpy for 1-D operands and batch broadcasting', () => {
    const mm = (a: number[], b: number[]) => shapeOf(model([n('MatMul', ['a', 'b'], ['y'], {}, 'mm')], { inputs: { a, b } }), {}, 'y');
    expect(mm([3], [3, 4])).toEqual([4]);
    expect(mm([2, 5, 3], [3])).toEqual([2, 5]);
    expect(mm([3], [3])).toEqual([]);
    expect(mm([2, 1, 3, 4], [5, 4, 6])).toEqual([2, 5, 3, 6]);
    expect(() => mm([2, 3], [4, 5])).toThrow("node 'mm' (MatMul): A is [2,3] but B is [4,5]; inner dimensions 3 and 4 differ");
    expect(() => mm([2, 3, 4], [5, 4, 6])).toThrow('batch dimensions do not broadcast');
  });

  it('Gemm with transA/transB, and the K mismatch message', () => {
    expect(single(n('Gemm', ['x', 'w', 'b'], ['y'], { transA: int(1), transB: int(1) }), [7, 3], { w: f32([5, 7]), b: f32([5]) }))
      .toEqual([3, 5]);
    expect(() => single(n('Gemm', ['x', 'w'], ['y'], { transB: int(1) }, 'fc1'), [1, 800], { w: f32([500, 784]) }))
      .toThrow("node 'fc1' (Gemm): A is [1,800] but B is [500,784] (transB=1); inner dimensions 800 and 784 differ");
    expect(() => single(n('Gemm', ['x', 'w', 'b'], ['y'], {}, 'g'), [2, 3], { w: f32([3, 4]), b: f32([3]) }))
      .toThrow('C is [3], which does not broadcast to the output [2,4]');
  });

  it('broadcast, Flatten, Transpose, Concat, Softmax, BatchNormalization, Dropout', () => {
    expect(single(n('Add', ['x', 'b'], ['y']), [2, 3, 4], { b: f32([3, 1]) })).toEqual([2, 3, 4]);
    expect(() => single(n('Mul', ['x', 'b'], ['y'], {}, 'mul'), [2, 3], { b: f32([4]) }))
      .toThrow("node 'mul' (Mul): shapes [2,3] and [4] do not broadcast");
    expect(single(n('Flatten', ['x'], ['y'], { axis: int(-1) }), [2, 3, 4])).toEqual([6, 4]);
    expect(single(n('Flatten', ['x'], ['y'], { axis: int(0) }), [2, 3, 4])).toEqual([1, 24]);
    expect(single(n('Transpose', ['x'], ['y']), [2, 3, 4])).toEqual([4, 3, 2]);
    expect(single(n('Transpose', ['x'], ['y'], { perm: ints([0, 2, 1]) }), [2, 3, 4])).toEqual([2, 4, 3]);
    expect(single(n('Concat', ['x', 'c'], ['y'], { axis: int(-1) }), [2, 3], { c: f32([2, 5]) })).toEqual([2, 8]);
    expect(single(n('Softmax', ['x'], ['y']), [2, 10])).toEqual([2, 10]);
    const bn = (attrs: Record<string, AttrValue> = {}, outs = ['y']) => single(n('BatchNormalization', ['x', 's', 'b', 'm', 'v'], outs, attrs, 'bn'),
      [2, 4, 3, 3], { s: f32([4]), b: f32([4]), m: f32([4]), v: f32([4]) }, 15);
    expect(bn()).toEqual([2, 4, 3, 3]);
    expect(() => bn({ training_mode: int(1) })).toThrow("node 'bn' (BatchNormalization): training_mode=1 is not supported");
    const r = resolveGraph(model([n('Dropout', ['x'], ['y', 'mask'])], { inputs: { x: [2, 3] } }), {});
    expect(r.values.mask).toEqual({ dtype: 'bool', shape: [2, 3] });
  });
});

describe('constant folding', () => {
  const fold = (nodes: Node[], init: Record<string, TensorData>, out: string, opset = 13) =>
    resolveGraph(model(nodes, { inputs: { x: [2, 3] }, init, outputs: [out], opset }), {}).constants[out]!;
  const vals = (t: TensorData) => Array.from(t.data as ArrayLike<number | bigint>, Number);

  it('Gather on any axis with negative indices', () => {
    const t = fold([n('Gather', ['d', 'i'], ['y'], { axis: int(1) })], { d: f32([2, 3], [1, 2, 3, 4, 5, 6]), i: i64([-1, 0]) }, 'y');
    expect(t.dims).toEqual([2, 2]);
    expect(vals(t)).toEqual([3, 1, 6, 4]);
  });

  it('Slice with opset 9 attributes and opset 10 inputs, negative steps', () => {
    const d = { d: i64([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    expect(vals(fold([n('Slice', ['d'], ['y'], { starts: ints([1]), ends: ints([-2]) })], d, 'y', 9))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const s10 = fold([n('Slice', ['d', 's', 'e', '', 'st'], ['y'])], { ...d, s: i64([-1]), e: i64([-1e18]), st: i64([-3]) }, 'y', 10);
    expect(vals(s10)).toEqual([9, 6, 3, 0]);
    const m = fold([n('Slice', ['m', 's', 'e', 'a'], ['y'])], { m: f32([2, 3], [1, 2, 3, 4, 5, 6]), s: i64([1]), e: i64([9e18]), a: i64([1]) }, 'y');
    expect(m.dims).toEqual([2, 2]);
    expect(vals(m)).toEqual([2, 3, 5, 6]);
  });

  it('Shape start/end (opset 15), Cast, int64 arithmetic, ConstantOfShape, Range, Transpose, Constant', () => {
    const sh = resolveGraph(model([n('Shape', ['x'], ['s'], { start: int(1), end: int(-1) })], { inputs: { x: [2, 3, 4, 5] }, outputs: ['s'], opset: 15 }), {});
    expect(sh.constants.s!.dtype).toBe('int64');
    expect(vals(sh.constants.s!)).toEqual([3, 4]);
    expect(sh.nodes).toEqual([]); // a constant graph output stays in constants
    const c = fold([n('Cast', ['f'], ['y'], { to: int(7) })], { f: f32([3], [1.9, -1.9, 3]) }, 'y');
    expect(c.data).toBeInstanceOf(BigInt64Array);
    expect(vals(c)).toEqual([1, -1, 3]);
    expect(vals(fold([n('Div', ['a', 'b'], ['y'])], { a: i64([7, -7]), b: i64([2]) }, 'y'))).toEqual([3, -3]);
    expect(vals(fold([n('Mul', ['a', 'b'], ['y'])], { a: f32([2, 1], [1, 2]), b: f32([3], [1, 10, 100]) }, 'y'))).toEqual([1, 10, 100, 2, 20, 200]);
    const cos = fold([n('ConstantOfShape', ['s'], ['y'], { value: { type: 'tensor', value: i64([7], [1]) } })], { s: i64([2, 2]) }, 'y');
    expect(cos.dims).toEqual([2, 2]);
    expect(vals(cos)).toEqual([7, 7, 7, 7]);
    expect(vals(fold([n('Range', ['a', 'b', 'c'], ['y'])], { a: i64([10], []), b: i64([1], []), c: i64([-3], []) }, 'y'))).toEqual([10, 7, 4]);
    const tr = fold([n('Transpose', ['m'], ['y'])], { m: f32([2, 3], [1, 2, 3, 4, 5, 6]) }, 'y');
    expect([tr.dims, vals(tr)]).toEqual([[3, 2], [1, 4, 2, 5, 3, 6]]);
    expect(vals(fold([n('Constant', [], ['y'], { value_ints: ints([4, 5]) })], {}, 'y'))).toEqual([4, 5]);
  });
});

describe('graph structure', () => {
  it('drops runtime nodes whose output only feeds a Shape', () => {
    const nodes = [n('Relu', ['x'], ['r']), n('Shape', ['r'], ['s']), n('Reshape', ['x', 's'], ['y'])];
    const r = resolveGraph(model(nodes, { inputs: { x: [2, 3] } }), {});
    expect(r.nodes.map((x) => x.opType)).toEqual(['Reshape']);
  });

  it('sorts out-of-order nodes, and names the value and node of a cycle or a missing producer', () => {
    const r = resolveGraph(model([n('Relu', ['a'], ['y']), n('Sigmoid', ['x'], ['a'])], { inputs: { x: [2] }, outputs: ['y'] }), {});
    expect(r.nodes.map((x) => x.opType)).toEqual(['Sigmoid', 'Relu']);
    const cyc = model([n('Add', ['x', 'b'], ['a'], {}, 'add'), n('Relu', ['a'], ['b'], {}, 'relu')], { inputs: { x: [2] } });
    expect(() => resolveGraph(cyc, {})).toThrow(/node '(add|relu)' \((Add|Relu)\) reads '(a|b)', which depends on this node's own output \(a cycle\)/);
    const miss = model([n('Relu', ['ghost'], ['y'], {}, 'r')], { inputs: { x: [2] } });
    expect(() => resolveGraph(miss, {})).toThrow("node 'r' (Relu) reads 'ghost', which no node, graph input or initializer produces");
  });

  it('refuses ops with no rule and shape-only ops on run-time data', () => {
    expect(() => resolveGraph(model([n('LSTM', ['x'], ['y'], {}, 'lstm')], { inputs: { x: [2] } }), {}))
      .toThrow("node 'lstm' uses op 'LSTM', which the studio does not run yet");
    expect(() => resolveGraph(model([n('Cast', ['x'], ['y'], { to: int(1) }, 'c')], { inputs: { x: [2] } }), {}))
      .toThrow("node 'c' (Cast): input 'x' is computed at run time");
    expect([...FOLDABLE_OPS].some((op) => SHAPE_RULE_OPS.has(op))).toBe(false);
  });
});
