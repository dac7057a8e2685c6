/**
 * Table entries for the integer ops that engine/lower-qdq.ts produces from QDQ models. Weights are
 * packed and uploaded once per session (WeightStore.cached); activations stay float32 between
 * kernels, each int8 kernel quantizing on load and writing its requantized output dequantized.
 */
import { attrFloat, attrInt, type TensorData } from '../model/ir';
import { ModelError } from '../core/errors';
import { convPads } from '../model/resolve';
import { uploadInt8Weights, type Int8Quant, type Int8Weights } from '../kernels/int8';
import { int8Conv2d, int8ConvScratchBytes, type Int8ConvAttrs } from '../kernels/int8-conv';
import { int8Matmul } from '../kernels/int8-matmul';
import { fakeQuant } from '../kernels/fake-quant';
import { roundHalfEven } from '../core/round';
import { normAxis, sizeOf } from '../core/shape';
import type { DType } from '../core/dtype';
import { dequantizeLinear, quantizeLinear, type LinearQuantParams } from '../kernels/quantize-linear';
import { dynamicQuantParams, rangePartialWords } from '../kernels/dynamic-quant';
import type { GpuTensor } from '../kernels/common';
import type { OpCall, OpImpl } from './op-types';

/**
 * The call's quantization, from lower-qdq's attributes: a static input grid (x_zero already on
 * the int8 grid) or, with dynamic=1, the range StudioDynamicRange measured (input 5; its uint8
 * zero point shifted by -128); output requantized to (y_scale, y_zero) or, with float_out=1, float.
 */
function quantOf(c: OpCall): Int8Quant {
  const node = c.node;
  const dynamic = attrInt(node, 'dynamic', 0) === 1;
  return {
    xScale: attrFloat(node, 'x_scale', 1), xZero: attrInt(node, 'x_zero', 0),
    yScale: attrFloat(node, 'y_scale', 1), yZero: attrInt(node, 'y_zero', 0), relu: attrInt(node, 'relu', 0) === 1,
    ...(c.act.kind !== 'none' ? { act: c.act } : {}), // a Relu or Clip the fuser attached (engine/fuse.ts)
    ...(dynamic ? { xq: c.input(5), xShift: -128 } : {}),
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
    const rowsAreOutputs = attrInt(c.node, 'rows_are_outputs', 1) === 1;
    const [d0, d1] = [wq.dims[0]!, wq.dims.slice(1).reduce((a, b) => a * b, 1)];
    const N = rowsAreOutputs ? d0 : d1, K = rowsAreOutputs ? d1 : d0;
    const src = wq.data as Int8Array;
    // Gemm with transB=0 stores (K, N): transpose once so kernels read K contiguously.
    const rows = rowsAreOutputs ? src : Int8Array.from({ length: N * K }, (_, i) => src[(i % K) * N + Math.floor(i / K)]!);
    const scale = Float32Array.from(perChannel(c.constant(2), N, 1));
    const zero = Int8Array.from(perChannel(c.node.inputs[3] ? c.constant(3) : undefined, N, 0));
    const bias = c.node.inputs[4] ? Float32Array.from(constant(c, 4, 'bias').data as ArrayLike<number>) : null;
    const shape = rowsAreOutputs ? [...wq.dims] : [N, K];
    const value = attrInt(c.node, 'float_out', 0) === 1
      ? uploadInt8Weights(c.ctx, c.node.name, { output: 'float', q: rows, N, K, scale, zero, biasF: bias, shape })
      : uploadInt8Weights(c.ctx, c.node.name, {
        q: rows, N, K, scale, zero, xScale: q.xScale, yScale: q.yScale, shape,
        biasQ: bias ? Int32Array.from(bias, (b, n) => roundHalfEven(b / (q.xScale * scale[n]!))) : null,
      });
    return { value, buffers: [value.packed, value.channels] };
  });
}

const int8Conv: OpImpl = {
  plan(c) {
    const x = c.input(0), y = c.output(0), q = quantOf(c);
    const w = int8Weights(c, q);
    if (x.shape.length !== 4) throw new ModelError(`node '${c.node.name}': int8 Conv runs 2-D convolutions only, got input [${x.shape}]`);
    const g = convPads(c.node, x.shape, w.shape.slice(2));
    const conv: Int8ConvAttrs = {
      strides: [g.strides[0]!, g.strides[1]!], pads: [g.pads[0]!, g.pads[1]!, g.pads[2]!, g.pads[3]!],
      dilations: [g.dilations[0]!, g.dilations[1]!], group: attrInt(c.node, 'group', 1),
    };
    // The packed-input path quantizes x once into a plan-owned buffer, released with the plan.
    const bytes = int8ConvScratchBytes(x.shape, w, conv);
    const scratch = bytes > 0 ? c.scratch(`${c.node.name}:xpacked`, [Math.ceil(bytes / 4)]).buffer : undefined;
    return int8Conv2d(c.ctx, x, w, y, conv, q, { label: c.node.name, scratch });
  },
};

const int8Gemm: OpImpl = {
  plan(c) {
    const q = quantOf(c);
    return int8Matmul(c.ctx, c.input(0), int8Weights(c, q), c.output(0), q, { label: c.node.name });
  },
};

const fakeQuantOp: OpImpl = {
  plan: (c) => fakeQuant(c.ctx, c.input(0), c.output(0), attrFloat(c.node, 'scale', 1), attrInt(c.node, 'zero', 0), c.node.name),
};

/** Saturation bounds of the integer types QuantizeLinear writes. */
const INT_RANGE: Partial<Record<DType, { lo: number; hi: number }>> = {
  int8: { lo: -128, hi: 127 }, uint8: { lo: 0, hi: 255 }, int16: { lo: -32768, hi: 32767 }, uint16: { lo: 0, hi: 65535 },
};

/** Scale and zero point of a Q/DQ node as GPU tensors, per tensor or along `axis`. */
function linearParams(c: OpCall): LinearQuantParams {
  const x = c.input(0), scale = c.input(1);
  const n = sizeOf(scale.shape);
  const zero = c.hasInput(2) ? c.input(2) : c.upload(`${c.node.name}:zero`, new Float32Array(n));
  if (n === 1) return { scale, zero, axisSize: 1, inner: 1 };
  const axis = normAxis(attrInt(c.node, 'axis', 1), x.shape.length);
  return { scale, zero, axisSize: n, inner: sizeOf(x.shape.slice(axis + 1)) };
}

const quantizeLinearOp: OpImpl = {
  plan(c) {
    const range = INT_RANGE[c.outputType(0)];
    if (!range) throw new ModelError(`node '${c.node.name}' (QuantizeLinear): quantizing to ${c.outputType(0)} is not supported`);
    return quantizeLinear(c.ctx, c.input(0), linearParams(c), c.output(0), range, c.node.name);
  },
};

const dequantizeLinearOp: OpImpl = {
  plan: (c) => dequantizeLinear(c.ctx, c.input(0), linearParams(c), c.output(0), c.node.name),
};

const dynamicQuantizeLinearOp: OpImpl = {
  plan(c) {
    const qparams = c.scratch(`${c.node.name}:qparams`, [4]);
    const [scale, zero] = [c.output(1), c.output(2)];
    return [
      ...dynamicQuantParams(c.ctx, c.input(0), { qparams, scale, zero, partials: rangeScratch(c) }, `${c.node.name}:range`),
      ...quantizeLinear(c.ctx, c.input(0), { scale, zero, axisSize: 1, inner: 1 }, c.output(0), INT_RANGE.uint8!, c.node.name),
    ];
  },
};

/** Plan-owned scratch for the range's first pass over a large input (none for a small one). */
function rangeScratch(c: OpCall): GpuTensor | undefined {
  const words = rangePartialWords(sizeOf(c.input(0).shape));
  return words ? c.scratch(`${c.node.name}:range-partials`, [words]) : undefined;
}

export const INT8_OPS: Record<string, OpImpl> = {
  StudioInt8Conv: int8Conv,
  StudioInt8Gemm: int8Gemm,
  StudioFakeQuant: fakeQuantOp,
  StudioDynamicRange: { plan: (c) => dynamicQuantParams(c.ctx, c.input(0), { qparams: c.output(0), partials: rangeScratch(c) }, c.node.name) },
  QuantizeLinear: quantizeLinearOp,
  DequantizeLinear: dequantizeLinearOp,
  DynamicQuantizeLinear: dynamicQuantizeLinearOp,
};
