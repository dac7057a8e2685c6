/**
 * Opset fixtures for quantized graphs: QDQ as the studio and onnxruntime's quantizer write them,
 * QOperator and integer ops, dynamic quantization. From opset 23 the QDQ fixture also spells out
 * the attributes opset 23 added, at their float32 values (precision, output_dtype).
 */
import { GraphBuilder, int, tensor } from '../model/builder';
import type { TensorData } from '../model/ir';
import { f32, graph, type OpsetFixture } from './opset-fixtures';
import { randomFloats } from '../core/rng';

const scalar = (dtype: 'float32' | 'uint8' | 'int8' | 'int32', v: number): TensorData => tensor(dtype, [], [v]);
/** Seeded integers in [lo, hi] of a quantized dtype. */
function ints8(dtype: 'int8' | 'uint8' | 'int32', dims: number[], seed: number, lo: number, hi: number): TensorData {
  const n = dims.reduce((a, d) => a * d, 1);
  return tensor(dtype, dims, Array.from(randomFloats(n, seed, lo, hi + 0.999), Math.floor));
}

/** x -> Q -> DQ with the given grid: the activation pattern of QDQ models. */
function qdq(b: GraphBuilder, x: string, scale: number, zero: number, opset: number): string {
  const s = b.initializer('s', scalar('float32', scale)), z = b.initializer('z', scalar('uint8', zero));
  const q = b.node('QuantizeLinear', [x, s, z], opset >= 23 ? { precision: int(1) } : {});
  return b.node('DequantizeLinear', [q, s, z], opset >= 23 ? { output_dtype: int(1) } : {});
}

const qdqConvGemm: OpsetFixture = {
  family: 'quantization', name: 'qdq-conv-relu-gemm(int8 per-channel weights)', tol: 1e-4,
  ops: ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Relu', 'Flatten', 'Gemm'], lowered: ['StudioInt8Conv', 'StudioInt8Gemm'],
  inputs: { x: [2, 3, 6, 6] },
  build: (opset) => graph('qdq_conv_gemm', opset, (b) => {
    const x = qdq(b, b.input('x', 'float32', [2, 3, 6, 6]), 0.01, 128, opset);
    const wScale = f32([4], 30, 0.002, 0.006);
    const w = b.node('DequantizeLinear', [b.initializer('wq', ints8('int8', [4, 3, 3, 3], 31, -127, 127)), b.initializer('ws', wScale),
      b.initializer('wz', tensor('int8', [4]))], { axis: int(0) });
    // int32 bias on the grid x_scale·w_scale, zero point 0, as ONNX's QDQ convention writes it.
    const bs = b.initializer('bs', tensor('float32', [4], Array.from(wScale.data as Float32Array, (v) => v * 0.01)));
    const bias = b.node('DequantizeLinear', [b.initializer('bq', ints8('int32', [4], 32, -500, 500)), bs, b.initializer('bz', tensor('int32', [4]))], { axis: int(0) });
    const y = qdq(b, b.node('Relu', [b.node('Conv', [x, w, bias], { pads: { type: 'ints', value: [1, 1, 1, 1] } })]), 0.02, 0, opset);
    b.output(y, 'float32', [2, 4, 6, 6]);
    const g = b.node('DequantizeLinear', [b.initializer('gq', ints8('int8', [5, 144], 33, -127, 127)), b.initializer('gs', scalar('float32', 0.0005))]);
    // Flatten between the layers gets its own Q/DQ pair, as onnxruntime's quantizer writes it, so Gemm reads a DQ.
    const flat = qdq(b, b.node('Flatten', [y]), 0.02, 0, opset);
    b.output(b.node('Gemm', [flat, g, b.initializer('gb', f32([5], 34))], { transB: int(1) }), 'float32', [2, 5]);
  }),
};

const qlinear: OpsetFixture = {
  family: 'quantization', name: 'qlinearconv-qlinearmatmul(uint8)', tol: 1e-6,
  ops: ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul'], lowered: ['StudioInt8Conv', 'StudioInt8Gemm'],
  inputs: { x: [1, 2, 5, 5], a: [3, 4] },
  build: (opset) => graph('qlinear', opset, (b) => {
    const p = (n: string, t: TensorData) => b.initializer(n, t);
    const xs = p('xs', scalar('float32', 0.02)), xz = p('xz', scalar('uint8', 128));
    const xq = b.node('QuantizeLinear', [b.input('x', 'float32', [1, 2, 5, 5]), xs, xz]);
    const ys = p('ys', scalar('float32', 0.05)), yz = p('yz', scalar('uint8', 100));
    const conv = b.node('QLinearConv', [xq, xs, xz, p('w', ints8('uint8', [3, 2, 3, 3], 40, 0, 255)),
      p('ws', f32([3], 41, 0.002, 0.004)), p('wz', tensor('uint8', [3], [128, 120, 130])), ys, yz, p('cb', ints8('int32', [3], 42, -300, 300))],
    { pads: { type: 'ints', value: [1, 1, 1, 1] } });
    b.output(b.node('DequantizeLinear', [conv, ys, yz]), 'float32', [1, 3, 5, 5]);
    const aq = b.node('QuantizeLinear', [b.input('a', 'float32', [3, 4]), xs, xz]);
    const mm = b.node('QLinearMatMul', [aq, xs, xz, p('B', ints8('uint8', [4, 2], 43, 0, 255)), p('Bs', scalar('float32', 0.004)), p('Bz', scalar('uint8', 127)), ys, yz]);
    b.output(b.node('DequantizeLinear', [mm, ys, yz]), 'float32', [3, 2]);
  }),
};

const integer: OpsetFixture = {
  family: 'quantization', name: 'convinteger-matmulinteger(int32 out)', tol: 0,
  ops: ['QuantizeLinear', 'ConvInteger', 'MatMulInteger'], lowered: ['StudioInt8Conv', 'StudioInt8Gemm'],
  inputs: { x: [1, 2, 4, 4], a: [3, 5] },
  build: (opset) => graph('integer', opset, (b) => {
    const s = b.initializer('s', scalar('float32', 0.01)), z = b.initializer('z', scalar('uint8', 128));
    const xq = b.node('QuantizeLinear', [b.input('x', 'float32', [1, 2, 4, 4]), s, z]);
    const ci = b.node('ConvInteger', [xq, b.initializer('w', ints8('uint8', [2, 2, 2, 2], 50, 0, 255)), b.initializer('xz', scalar('uint8', 128)),
      b.initializer('wz', scalar('uint8', 128))]);
    b.output(ci, 'int32', [1, 2, 3, 3]);
    const aq = b.node('QuantizeLinear', [b.input('a', 'float32', [3, 5]), s, z]);
    b.output(b.node('MatMulInteger', [aq, b.initializer('B', ints8('int8', [5, 3], 51, -127, 127)), b.initializer('az', scalar('uint8', 128))]), 'int32', [3, 3]);
  }),
};

const dynamic: OpsetFixture = {
  family: 'quantization', name: 'dynamicquantize-matmul, q(output_dtype=int8)', tol: 1e-4,
  ops: ['DynamicQuantizeLinear', 'DequantizeLinear', 'MatMul', 'QuantizeLinear'], lowered: ['StudioDynamicRange', 'StudioInt8Gemm'],
  inputs: { x: [3, 6] },
  build: (opset) => graph('dynamic', opset, (b) => {
    const x = b.input('x', 'float32', [3, 6]);
    const [q, s, z] = b.nodeN('DynamicQuantizeLinear', [x], 3);
    const w = b.node('DequantizeLinear', [b.initializer('wq', ints8('int8', [6, 4], 60, -127, 127)), b.initializer('ws', scalar('float32', 0.003))]);
    b.output(b.node('MatMul', [b.node('DequantizeLinear', [q!, s!, z!]), w]), 'float32', [3, 4]);
    // No zero point: output_dtype (opset 21+) alone makes the output int8.
    b.output(b.node('QuantizeLinear', [x, b.initializer('qs', scalar('float32', 0.0123))], { output_dtype: int(3) }), 'int8', [3, 6]);
  }),
};

export const QUANT_FIXTURES: OpsetFixture[] = [qdqConvGemm, qlinear, integer, dynamic];
