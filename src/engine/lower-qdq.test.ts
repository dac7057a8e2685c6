/** Graph-level checks of the integer lowering: which nodes QOperator, integer and QDQ graphs become. */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../model/builder';
import type { AttrValue, Model, Node, TensorData } from '../model/ir';
import { attrFloat, attrInt } from '../model/ir';
import { lowerQdq } from './lower-qdq';

const u8 = (dims: number[], ...v: number[]): TensorData => ({ dtype: 'uint8', dims, data: Uint8Array.from(v) });
const i8 = (dims: number[], ...v: number[]): TensorData => ({ dtype: 'int8', dims, data: Int8Array.from(v) });
const f32 = (dims: number[], ...v: number[]): TensorData => ({ dtype: 'float32', dims, data: Float32Array.from(v) });
const int = (value: number): AttrValue => ({ type: 'int', value });
const ops = (m: Model) => m.graph.nodes.map((n) => n.opType);
const only = (m: Model, op: string): Node => {
  const found = m.graph.nodes.filter((n) => n.opType === op);
  expect(found, `exactly one ${op} in ${ops(m).join(', ')}`).toHaveLength(1);
  return found[0]!;
};

/** QLinearConv with uint8 data and weights, as onnxruntime's QOperator export writes it. */
function qlinearConv(b: GraphBuilder, x: string, name: string, yz = 120): string {
  const p = (n: string, t: TensorData) => b.initializer(`${name}_${n}`, t);
  return b.node('QLinearConv', [
    x, p('xs', f32([], 0.5)), p('xz', u8([], 130)),
    p('w', u8([2, 1, 1, 1], 200, 100)), p('ws', f32([2], 0.25, 0.125)), p('wz', u8([2], 128, 100)),
    p('ys', f32([], 2)), p('yz', u8([], yz)), p('b', { dtype: 'int32', dims: [2], data: Int32Array.of(8, -16) }),
  ], {}, { name });
}

describe('lowering integer ops onto the int8 kernels', () => {
  it('QLinearConv: dequantize its uint8 input, one int8 conv on the shifted grid, quantize its output', () => {
    const b = new GraphBuilder('g', 13);
    const y = qlinearConv(b, b.input('x', 'uint8', [1, 1, 3, 3]), 'c');
    b.output(y, 'uint8', [1, 2, 3, 3]);
    const m = lowerQdq(b.build());
    expect(ops(m)).toEqual(['DequantizeLinear', 'StudioInt8Conv', 'QuantizeLinear']);
    const conv = only(m, 'StudioInt8Conv');
    expect([attrFloat(conv, 'x_scale', 0), attrInt(conv, 'x_zero', 0)]).toEqual([0.5, 2]); // 130 - 128
    expect([attrFloat(conv, 'y_scale', 0), attrInt(conv, 'y_zero', 0), attrInt(conv, 'float_out', -1)]).toEqual([2, -8, 0]);
    const init = m.graph.initializers;
    expect(Array.from(init[conv.inputs[1]!]!.data as Int8Array)).toEqual([72, -28]); // 200 - 128, 100 - 128
    expect(Array.from(init[conv.inputs[3]!]!.data as Int8Array)).toEqual([0, -28]);
    // int32 bias at scale x_scale·w_scale, back in float: 8·0.5·0.25, -16·0.5·0.125
    expect(Array.from(init[conv.inputs[4]!]!.data as Float32Array)).toEqual([1, -1]);
  });

  it('chained QLinearConvs requantize straight into the next layer: no quantize/dequantize between them', () => {
    const b = new GraphBuilder('g', 13);
    const h = qlinearConv(b, b.input('x', 'uint8', [1, 1, 3, 3]), 'c1', 130);
    const mid = b.node('QLinearConv', [h, ...['xs', 'xz'].map((k) => `c1_${k === 'xs' ? 'ys' : 'yz'}`),
      b.initializer('w2', u8([1, 2, 1, 1], 1, 2)), b.initializer('ws2', f32([], 1)), b.initializer('wz2', u8([], 0)),
      b.initializer('ys2', f32([], 1)), b.initializer('yz2', u8([], 0))], {}, { name: 'c2' });
    b.output(mid, 'uint8', [1, 1, 3, 3]);
    const m = lowerQdq(b.build());
    expect(ops(m)).toEqual(['DequantizeLinear', 'StudioInt8Conv', 'StudioInt8Conv', 'QuantizeLinear']);
    const [c1, c2] = m.graph.nodes.filter((n) => n.opType === 'StudioInt8Conv');
    expect(c2!.inputs[0]).toBe(c1!.outputs[0]);
    expect(attrInt(c2!, 'x_zero', 0)).toBe(2);
  });

  it('ConvInteger and MatMulInteger produce their int32 accumulators: unit scales, float output', () => {
    const b = new GraphBuilder('g', 10);
    const x = b.input('x', 'uint8', [1, 1, 3, 3]);
    const y = b.node('ConvInteger', [x, b.initializer('w', u8([1, 1, 2, 2], 1, 1, 1, 1)), b.initializer('xz', u8([], 1))]);
    b.output(y, 'int32', [1, 1, 2, 2]);
    const a = b.input('a', 'uint8', [4, 3]);
    const z = b.node('MatMulInteger', [a, b.initializer('B', i8([3, 2], 1, -4, 2, 5, 3, 6)), b.initializer('az', u8([], 12))]);
    b.output(z, 'int32', [4, 2]);
    const m = lowerQdq(b.build());
    expect(ops(m).filter((o) => o.startsWith('Studio'))).toEqual(['StudioInt8Conv', 'StudioInt8Gemm']);
    for (const n of m.graph.nodes.filter((k) => k.opType.startsWith('Studio'))) {
      expect([attrFloat(n, 'x_scale', 0), attrInt(n, 'float_out', 0)]).toEqual([1, 1]);
    }
    expect(attrInt(only(m, 'StudioInt8Gemm'), 'rows_are_outputs', -1)).toBe(0); // B is (K, N)
  });

  it('DynamicQuantizeLinear feeding a layer becomes a per-batch range and a dynamic int8 layer', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', [2, 4]);
    const [q, s, z] = b.nodeN('DynamicQuantizeLinear', [x], 3);
    const xf = b.node('DequantizeLinear', [q!, s!, z!]);
    const wf = b.node('DequantizeLinear', [b.initializer('w', i8([3, 4], ...Array(12).fill(1))), b.initializer('ws', f32([3], 1, 2, 3)), b.initializer('wz', i8([3], 0, 0, 0))], { axis: int(0) });
    const y = b.node('Gemm', [xf, wf, b.initializer('bias', f32([3], 1, 2, 3))], { transB: int(1) });
    b.output(b.node('Relu', [y]), 'float32', [2, 3]);
    const m = lowerQdq(b.build());
    expect(ops(m)).toEqual(['StudioDynamicRange', 'StudioInt8Gemm']);
    const gemm = only(m, 'StudioInt8Gemm');
    expect([attrInt(gemm, 'dynamic', 0), attrInt(gemm, 'float_out', 0), attrInt(gemm, 'relu', 0), attrInt(gemm, 'rows_are_outputs', 0)]).toEqual([1, 1, 1, 1]);
    expect(gemm.inputs[0]).toBe(x);
    expect(gemm.inputs[5]).toBe(only(m, 'StudioDynamicRange').outputs[0]);
  });

  it('per-tensor Gemm weights stored (N, K) with transB=1 keep their layout', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', [1, 4]);
    const xs = b.initializer('xs', f32([], 0.1)), xz = b.initializer('xz', i8([], 0));
    const xq = b.node('DequantizeLinear', [b.node('QuantizeLinear', [x, xs, xz]), xs, xz]);
    const wf = b.node('DequantizeLinear', [b.initializer('w', i8([3, 4], ...Array(12).fill(2))), b.initializer('ws', f32([], 0.5)), b.initializer('wz', i8([], 0))]);
    b.output(b.node('Gemm', [xq, wf], { transB: int(1) }), 'float32', [1, 3]);
    const gemm = only(lowerQdq(b.build()), 'StudioInt8Gemm');
    expect(attrInt(gemm, 'rows_are_outputs', -1)).toBe(1);
  });

  it('batched QLinearMatMul weights stay on the float path, still exact in QDQ form', () => {
    const b = new GraphBuilder('g', 13);
    const a = b.input('a', 'uint8', [2, 2, 4]);
    const y = b.node('QLinearMatMul', [a, b.initializer('as', f32([], 0.1)), b.initializer('az', u8([], 1)),
      b.initializer('b', u8([2, 4, 3], ...Array(24).fill(3))), b.initializer('bs', f32([], 0.1)), b.initializer('bz', u8([], 2)),
      b.initializer('ys', f32([], 0.2)), b.initializer('yz', u8([], 5))]);
    b.output(y, 'uint8', [2, 2, 3]);
    expect(ops(lowerQdq(b.build()))).toEqual(['DequantizeLinear', 'MatMul', 'QuantizeLinear']);
  });
});
