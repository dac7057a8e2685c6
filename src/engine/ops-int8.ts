/**
 * Table entries for the integer ops that engine/lower-qdq.ts produces from QDQ models. Weights are
 * packed and uploaded once per session (WeightStore.cached); activations stay float32 between
 * kernels, each int8 kernel quantizing on load and writing its requantized output dequantized.
 */
import { attrFloat, attrInt, type Node, type TensorData } from '../model/ir';
import { ModelError } from '../core/errors';
import { convPads } from '../model/resolve';
import { uploadInt8Weights, type Int8Quant, type Int8Weights } from '../kernels/int8';
import { int8Conv2d } from '../kernels/int8-conv';
import { int8Matmul } from '../kernels/int8-matmul';
import { fakeQuant } from '../kernels/fake-quant';
import { roundHalfEven } from '../core/round';
import type { OpCall, OpImpl } from './ops';

function quantOf(node: Node): Int8Quant {
  return {
    xScale: attrFloat(node, 'x_scale', 1), xZero: attrInt(node, 'x_zero', 0),
    yScale: attrFloat(node, 'y_scale', 1), yZero: attrInt(node, 'y_zero', 0), relu: attrInt(node, 'relu', 0) === 1,
  };
}

function constant(c: OpCall, i: number, what: string): TensorData {
  const t = c.constant(i);
  if (!t) throw new ModelError(`node '${c.node.name}' (${c.node.opType}): its ${what} must be a constant`);
  return t;
}

/** Per-channel values of a scale or zero point (a scalar means per-tensor). */
function perChannel(t: TensorData | undefined, n: number, dflt: number): number[] {
  if (!t) return new Array<number>(n).fill(dflt);
  return t.data.length === 1 ? new Array<number>(n).fill(Number(t.data[0])) : Array.from(t.data as ArrayLike<number>, Number);
}

/** The layer's weights as (N, K) int8 rows, with per-row scale, zero and the bias quantized to xScale·wScale. */
function int8Weights(c: OpCall, q: Int8Quant): Int8Weights {
  return c.weights.cached(`${c.node.name}:int8`, () => {
    const wq = constant(c, 1, 'int8 weights');
    const rowsAreOutputs = attrInt(c.node, 'w_axis', 0) === 0;
    const [d0, d1] = [wq.dims[0]!, wq.dims.slice(1).reduce((a, b) => a * b, 1)];
    const N = rowsAreOutputs ? d0 : d1, K = rowsAreOutputs ? d1 : d0;
    const src = wq.data as Int8Array;
    // Gemm with transB=0 stores (K, N): transpose once so kernels read K contiguously.
    const rows = rowsAreOutputs ? src : Int8Array.from({ length: N * K }, (_, i) => src[(i % K) * N + Math.floor(i / K)]!);
    const scale = Float32Array.from(perChannel(c.constant(2), N, 1));
    const zero = Int8Array.from(perChannel(c.node.inputs[3] ? c.constant(3) : undefined, N, 0));
    const bias = c.node.inputs[4] ? (constant(c, 4, 'bias').data as Float32Array) : null;
    const biasQ = bias ? Int32Array.from(bias, (b, n) => roundHalfEven(b / (q.xScale * scale[n]!))) : null;
    const value = uploadInt8Weights(c.ctx, c.node.name, {
      q: rows, N, K, scale, zero, biasQ, xScale: q.xScale, yScale: q.yScale,
      shape: rowsAreOutputs ? [...wq.dims] : [N, K],
    });
    return { value, buffers: [value.packed, value.channels] };
  });
}

const int8Conv: OpImpl = {
  plan(c) {
    const x = c.input(0), y = c.output(0), q = quantOf(c.node);
    const w = int8Weights(c, q);
    if (x.shape.length !== 4) throw new ModelError(`node '${c.node.name}': int8 Conv runs 2-D convolutions only, got input [${x.shape}]`);
    const g = convPads(c.node, x.shape, w.shape.slice(2));
    return int8Conv2d(c.ctx, x, w, y, {
      strides: [g.strides[0]!, g.strides[1]!], pads: [g.pads[0]!, g.pads[1]!, g.pads[2]!, g.pads[3]!],
      dilations: [g.dilations[0]!, g.dilations[1]!], group: attrInt(c.node, 'group', 1),
    }, q, { label: c.node.name });
  },
};

const int8Gemm: OpImpl = {
  plan(c) {
    const q = quantOf(c.node);
    return int8Matmul(c.ctx, c.input(0), int8Weights(c, q), c.output(0), q, { label: c.node.name });
  },
};

const fakeQuantOp: OpImpl = {
  plan: (c) => fakeQuant(c.ctx, c.input(0), c.output(0), attrFloat(c.node, 'scale', 1), attrInt(c.node, 'zero', 0), c.node.name),
};

export const INT8_OPS: Record<string, OpImpl> = {
  StudioInt8Conv: int8Conv,
  StudioInt8Gemm: int8Gemm,
  StudioFakeQuant: fakeQuantOp,
};
