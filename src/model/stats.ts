/**
 * Cost figures for the model view and the comparisons: per-layer parameters, FLOPs and weight bytes
 * of each node the GPU runs (FLOPs for the batch the graph was resolved with), and the model's stored
 * size by dtype, which is what quantization changes.
 */
import { DTYPE_BYTES } from '../core/dtype';
import { sizeOf } from '../core/shape';
import { attrInt, attrInts, type Model, type Node } from './ir';
import { poolPads, type ResolvedGraph } from './resolve';
import { REDUCE_OPS } from './shape-rules-tensor';

export interface LayerStat {
  name: string;
  opType: string;
  outputShape: number[];
  /** Elements of the node's constant inputs (weights, bias, BN scale/bias/mean/var). */
  params: number;
  /** Multiply-adds count 2; elementwise ops 1 per output element. */
  flops: number;
  /** Stored bytes of those constant inputs, by their dtype. */
  bytes: number;
}

/** Constant inputs that are arguments rather than weights: a Reshape's target, axes, Clip bounds, Dropout ratio. */
const ARG_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Squeeze: [1], Unsqueeze: [1], Clip: [1, 2], Dropout: [1, 2],
  Pad: [1, 2, 3], Split: [1], Slice: [1, 2, 3, 4], Expand: [1], Tile: [1], Gather: [1],
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, [1]])),
};

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish',
  'QuantizeLinear', 'DequantizeLinear', 'StudioFakeQuant', 'DynamicQuantizeLinear']);
/** Constant inputs of the int8 layers that are quantization parameters (scale, zero point): bytes, not params. */
const QUANT_PARAM_INPUTS: Readonly<Record<string, readonly number[]>> = { StudioInt8Conv: [2, 3], StudioInt8Gemm: [2, 3] };

function flopsOf(node: Node, r: ResolvedGraph, out: number[]): number {
  const shape = (i: number): number[] => r.values[node.inputs[i] ?? '']?.shape ?? [];
  const n = sizeOf(out);
  switch (node.opType) {
    case 'Conv': case 'StudioInt8Conv': // each output: (C/group)·k… multiply-adds, plus the bias add
      return n * (2 * sizeOf(shape(1).slice(1)) + (node.inputs[2] ? 1 : 0));
    case 'Gemm': {
      const a = shape(0);
      const k = attrInt(node, 'transA', 0) ? a[0]! : a[1]!;
      return n * (2 * k + (node.inputs[2] ? 1 : 0));
    }
    case 'StudioInt8Gemm': { // x (..., K), from Gemm or MatMul
      const a = shape(0);
      return n * (2 * a[a.length - 1]! + (node.inputs[4] ? 1 : 0));
    }
    case 'StudioDynamicRange': // a min/max reduction over its input
      return sizeOf(shape(0));
    case 'StudioXnorConv': case 'StudioXnorGemm': {
      // Binary multiply-adds (XNOR + popcount) count 1/64 FLOP, as Bi-Real Net and ReActNet count
      // them; then alpha·beta·dot in float, plus the bias add.
      const ws = attrInts(node, 'weight_shape', [1]);
      return n * (sizeOf(ws) / ws[0]! / 64 + 2 + (node.inputs[3] ? 1 : 0));
    }
    case 'MatMul': {
      const a = shape(0);
      return 2 * n * a[a.length - 1]!;
    }
    case 'MaxPool': case 'AveragePool': // one compare or add per window element
      return n * sizeOf(poolPads(node, shape(0)).kernel);
    case 'GlobalAveragePool':
      return sizeOf(shape(0));
    case 'BatchNormalization': // statistics fold into one scale and one shift per element
      return 2 * n;
    case 'Softmax': case 'LogSoftmax': // exp, sum, divide (or log-subtract) per element
      return 3 * n;
    case 'Sum': case 'Max': case 'Min': // one op per extra input (Mean: plus the 1/n scale)
      return n * (node.inputs.length - 1);
    case 'Mean':
      return n * node.inputs.length;
    case 'LRN': // a square-add per window channel, then the scale and power
      return n * (2 * attrInt(node, 'size', 1) + 3);
    default:
      if ((REDUCE_OPS as readonly string[]).includes(node.opType)) return sizeOf(shape(0)); // one op per input element
      return ELEMENTWISE.has(node.opType) ? n : 0; // views, Transpose and Concat only move data
  }
}

export function layerStats(_model: Model, resolved: ResolvedGraph): LayerStat[] {
  const packed = packedWeightCounts(resolved.nodes);
  return resolved.nodes.map((node) => {
    const outputShape = [...(resolved.values[node.outputs[0] ?? '']?.shape ?? [])];
    const args = ARG_INPUTS[node.opType] ?? [];
    let params = 0, bytes = 0;
    new Set(node.inputs.filter((v, i) => v && !args.includes(i))).forEach((v) => {
      const t = resolved.constants[v];
      if (!t) return;
      const count = sizeOf(t.dims);
      if (!QUANT_PARAM_INPUTS[node.opType]?.includes(node.inputs.indexOf(v))) params += packed.get(v) ?? count;
      bytes += count * DTYPE_BYTES[t.dtype];
    });
    return {
      name: node.name || node.outputs[0] || node.opType,
      opType: node.opType,
      outputShape,
      params,
      flops: flopsOf(node, resolved, outputShape),
      bytes,
    };
  });
}

/**
 * Weights a binary layer's packed sign bits stand for (its weight_shape), keyed by the bits tensor:
 * a parameter is a weight, whatever it is stored in.
 */
function packedWeightCounts(nodes: readonly Node[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const shape = n.attrs.weight_shape;
    if (shape?.type === 'ints' && n.inputs[1]) counts.set(n.inputs[1], sizeOf(shape.value));
  }
  return counts;
}

/** Stored size of the initializers (float16 counts 2 bytes even though it is held widened to f32), and their parameters. */
export function modelSize(model: Model): { totalBytes: number; byDtype: Record<string, number>; params: number } {
  const byDtype: Record<string, number> = {};
  const packed = packedWeightCounts(model.graph.nodes);
  let totalBytes = 0, params = 0;
  for (const [name, t] of Object.entries(model.graph.initializers)) {
    const count = sizeOf(t.dims), b = count * DTYPE_BYTES[t.dtype];
    byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + b;
    totalBytes += b;
    params += packed.get(name) ?? count;
  }
  return { totalBytes, byDtype, params };
}
