import { describe, expect, it } from 'vitest';
import type { AttrValue, Model, Node, TensorData } from './ir';
import { resolveGraph } from './resolve';

const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const int = (value: number): AttrValue => ({ type: 'int', value });
const str = (value: string): AttrValue => ({ type: 'string', value });
const flt = (value: number): AttrValue => ({ type: 'float', value });
const f32 = (dims: number[], values?: number[]): TensorData => ({
  dtype: 'float32', dims, data: values ? Float32Array.from(values) : new Float32Array(dims.reduce((a, b) => a * b, 1)),
});
const i64 = (values: number[], dims = [values.length]): TensorData => ({ dtype: 'int64', dims, data: BigInt64Array.from(values, BigInt) });
const n = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = outputs[0]!): Node =>
  ({ name, opType, domain: '', inputs, outputs, attrs });

function model(nodes: Node[], x: number[], init: Record<string, TensorData>, outputs: string[], opset: number): Model {
  return {
    irVersion: 8, opset, producer: 'test',
    graph: {
      name: 'g', nodes, inputs: [{ name: 'x', dtype: 'float32', shape: x }],
      outputs: outputs.map((name) => ({ name, dtype: 'float32' as const, shape: [] })), initializers: init, valueInfo: {},
    },
  };
}

/** Output shapes of one node on a run-time x; the node stays for the GPU. */
function shapes(node: Node, x: number[], init: Record<string, TensorData> = {}, opset = 13): number[][] {
  const r = resolveGraph(model([node], x, init, node.outputs, opset), {});
  expect(r.nodes.map((m) => m.opType)).toEqual([node.opType]);
  return node.outputs.map((o) => r.values[o]!.shape);
}

/** Folds one node whose inputs are all constants. */
function fold(node: Node, init: Record<string, TensorData>, opset = 13): TensorData[] {
  const r = resolveGraph(model([node], [1], init, node.outputs, opset), {});
  expect(r.nodes).toEqual([]);
  return node.outputs.map((o) => r.constants[o]!);
}
const vals = (t: TensorData) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe('shape rules of the tensor ops', () => {
  it('Reduce*: axes as an attribute before opset 18 (13 for ReduceSum), as an input after; keepdims; noop_with_empty_axes', () => {
    expect(shapes(n('ReduceMean', ['x'], ['y'], { axes: ints([2, 3]) }), [1, 8, 2, 2])).toEqual([[1, 8, 1, 1]]);
    expect(shapes(n('ReduceMean', ['x'], ['y'], { axes: ints([-1]), keepdims: int(0) }), [2, 3, 4])).toEqual([[2, 3]]);
    expect(shapes(n('ReduceMax', ['x'], ['y']), [2, 3])).toEqual([[1, 1]]); // no axes: all of them
    expect(shapes(n('ReduceMean', ['x', 'a'], ['y']), [2, 3, 4], { a: i64([1]) }, 18)).toEqual([[2, 1, 4]]);
    expect(shapes(n('ReduceSum', ['x', 'a'], ['y'], { keepdims: int(0) }), [2, 3, 4], { a: i64([0, 2]) }, 13)).toEqual([[3]]);
    expect(shapes(n('ReduceSum', ['x', 'a'], ['y'], { noop_with_empty_axes: int(1) }), [2, 3], { a: i64([]) }, 13)).toEqual([[2, 3]]);
    expect(() => shapes(n('ReduceL2', ['x'], ['y'], { axes: ints([3]) }, 'r'), [2, 3]))
      .toThrow("node 'r' (ReduceL2): axes entry 3 is out of range for rank 2");
  });

  it('Split: split attribute, split input, equal parts, uneven num_outputs at 18', () => {
    expect(shapes(n('Split', ['x'], ['a', 'b'], { axis: int(1), split: ints([1, 3]) }), [2, 4], {}, 11)).toEqual([[2, 1], [2, 3]]);
    expect(shapes(n('Split', ['x', 's'], ['a', 'b', 'c'], { axis: int(1) }), [1, 6, 2], { s: i64([2, 0, 4]) })).toEqual([[1, 2, 2], [1, 0, 2], [1, 4, 2]]);
    expect(shapes(n('Split', ['x'], ['a', 'b']), [4, 3])).toEqual([[2, 3], [2, 3]]);
    expect(shapes(n('Split', ['x'], ['a', 'b', 'c'], { num_outputs: int(3) }), [7], {}, 18)).toEqual([[3], [3], [1]]);
    expect(() => shapes(n('Split', ['x'], ['a', 'b'], {}, 's'), [5]))
      .toThrow("node 's' (Split): axis 0 of [5] (5) does not split into 2 equal parts");
    expect(() => shapes(n('Split', ['x', 's'], ['a', 'b'], {}, 's'), [5], { s: i64([2, 2]) }))
      .toThrow("node 's' (Split): split [2,2] must be non-negative sizes adding up to 5");
  });

  it('Pad: pads attribute before 11, input after, negative pads crop, axes at 18; unknown modes refused', () => {
    expect(shapes(n('Pad', ['x'], ['y'], { pads: ints([0, 1, 2, 3]), value: flt(1) }), [2, 2], {}, 10)).toEqual([[4, 6]]);
    expect(shapes(n('Pad', ['x', 'p'], ['y']), [3, 5], { p: i64([-1, 2, 0, -3]) }, 11)).toEqual([[2, 4]]);
    expect(shapes(n('Pad', ['x', 'p', '', 'a'], ['y'], { mode: str('edge') }), [1, 2, 3], { p: i64([1, 1]), a: i64([-1]) }, 18)).toEqual([[1, 2, 5]]);
    expect(() => shapes(n('Pad', ['x', 'p'], ['y'], { mode: str('wrap') }, 'p'), [2], { p: i64([1, 1]) }, 13))
      .toThrow("node 'p' (Pad): mode 'wrap' is not one of constant, reflect, edge");
    expect(() => shapes(n('Pad', ['x', 'p'], ['y'], {}, 'p'), [2, 2], { p: i64([1, 1]) }, 13))
      .toThrow("node 'p' (Pad): pads [1,1] must hold 4 values (begins, then ends) for [2,2]");
  });

  it('Gather and Slice on run-time data stay for the GPU; Expand, Tile, LRN, Sum', () => {
    expect(shapes(n('Gather', ['x', 'i'], ['y'], { axis: int(1) }), [2, 5, 3], { i: i64([0, 4, 1, 1], [2, 2]) })).toEqual([[2, 2, 2, 3]]);
    expect(shapes(n('Slice', ['x', 's', 'e', 'a'], ['y']), [1, 8, 4], { s: i64([4]), e: i64([8]), a: i64([1]) })).toEqual([[1, 4, 4]]);
    expect(shapes(n('Expand', ['x', 's'], ['y']), [3, 1], { s: i64([2, 1, 4]) })).toEqual([[2, 3, 4]]);
    expect(shapes(n('Tile', ['x', 'r'], ['y']), [2, 3], { r: i64([3, 2]) })).toEqual([[6, 6]]);
    expect(shapes(n('LRN', ['x'], ['y'], { size: int(3) }), [1, 4, 2, 2])).toEqual([[1, 4, 2, 2]]);
    expect(shapes(n('Sum', ['x', 'b', 'c'], ['y']), [2, 1], { b: f32([3]), c: f32([1, 1]) })).toEqual([[2, 3]]);
    expect(() => shapes(n('Expand', ['x', 's'], ['y'], {}, 'e'), [3], { s: i64([2]) }))
      .toThrow("node 'e' (Expand): input [3] does not broadcast to shape [2]");
  });
});

describe('folding the tensor ops on constants', () => {
  it('Sum, Max and Min keep int64 exact and broadcast', () => {
    const [s] = fold(n('Sum', ['a', 'b'], ['y']), { a: i64([2 ** 53, 1]), b: i64([1], []) });
    expect(s!.data).toEqual(BigInt64Array.from([2n ** 53n + 1n, 2n]));
    expect(vals(fold(n('Max', ['a', 'b', 'c'], ['y']), { a: i64([1, 9]), b: i64([5, 2]), c: i64([3], []) })[0]!)).toEqual([5, 9]);
    expect(vals(fold(n('Min', ['a', 'b'], ['y']), { a: f32([2], [1, -4]), b: f32([2, 1], [0, 3]) })[0]!)).toEqual([0, -4, 1, -4]);
  });

  it('ReduceSum/ReduceProd/ReduceMax over chosen axes', () => {
    const d = { d: i64([1, 2, 3, 4, 5, 6], [2, 3]) };
    expect(vals(fold(n('ReduceProd', ['d'], ['y'], { keepdims: int(0) }), d)[0]!)).toEqual([720]);
    expect(vals(fold(n('ReduceSum', ['d', 'a'], ['y']), { ...d, a: i64([0]) })[0]!)).toEqual([5, 7, 9]);
    const m = fold(n('ReduceMax', ['d'], ['y'], { axes: ints([1]) }), d)[0]!;
    expect([m.dims, vals(m)]).toEqual([[2, 1], [3, 6]]);
  });

  it('Expand, Tile and Split', () => {
    const e = fold(n('Expand', ['d', 's'], ['y']), { d: f32([2, 1], [1, 2]), s: i64([2, 3]) })[0]!;
    expect([e.dims, vals(e)]).toEqual([[2, 3], [1, 1, 1, 2, 2, 2]]);
    const t = fold(n('Tile', ['d', 'r'], ['y']), { d: f32([1, 2], [1, 2]), r: i64([2, 2]) })[0]!;
    expect([t.dims, vals(t)]).toEqual([[2, 4], [1, 2, 1, 2, 1, 2, 1, 2]]);
    const [a, b] = fold(n('Split', ['d', 's'], ['a', 'b'], { axis: int(1) }), { d: i64([1, 2, 3, 4, 5, 6], [2, 3]), s: i64([1, 2]) });
    expect([vals(a!), vals(b!)]).toEqual([[1, 4], [2, 3, 5, 6]]);
  });
});
