/**
 * Which layers an int8 recipe quantizes, and which tensors calibration must observe. A layer is
 * Conv or Gemm with constant float32 weights; an activation that only feeds back into the layer
 * (Relu) is quantized after the activation, as integer pipelines fuse it. Depthwise convs stay
 * float32 unless the recipe names them (as binarizing keeps them).
 */
import type { Model, Node } from '../model/ir';
import { attrFloat, attrInt } from '../model/ir';
import { indexGraph, isDepthwiseConv } from '../model/graph';

export type Precision = 'fp32' | 'int8' | 'binary';

export interface Int8Recipe {
  /** Per output channel weight scales (the usual choice for Conv and Gemm) or one per tensor. */
  perChannel: boolean;
  /** Symmetric weights (zero point 0) are what integer kernels prefer; asymmetric fits skewed weights. */
  symmetricWeights: boolean;
  /** Activations are asymmetric by default: after ReLU they are all ≥ 0 and would waste half the range. */
  symmetricActivations: boolean;
  /**
   * 'static': activation ranges calibrated once (QuantizeLinear/DequantizeLinear pairs with fixed
   * scales). 'dynamic': each layer's input range is measured per batch at run time
   * (DynamicQuantizeLinear), which needs no calibration data and follows outliers, at the cost
   * of a reduction per layer and float outputs between layers.
   */
  activations: 'static' | 'dynamic';
  calibration: 'minmax' | 'percentile' | 'mse';
  /** For percentile calibration; 99.99 keeps all but the rarest outliers. */
  percentile: number;
  /** Calibration samples taken from the start of the dataset; a few hundred are enough for MNIST-size models. */
  samples: number;
  /** Per-layer override (node name → precision); layers not named follow `defaultPrecision`. */
  layers: Record<string, Precision>;
  defaultPrecision: Precision;
}

export const DEFAULT_INT8_RECIPE: Int8Recipe = {
  perChannel: true,
  symmetricWeights: true,
  symmetricActivations: false,
  activations: 'static',
  calibration: 'minmax',
  percentile: 99.99,
  samples: 256,
  layers: {},
  defaultPrecision: 'int8',
};

export interface QuantLayer {
  node: Node;
  /** The activation tensor the layer reads. */
  input: string;
  /** The tensor whose values get quantized: the layer's output, or its fused Relu's output. */
  output: string;
  /** The Relu folded into the layer, if any. */
  relu: Node | null;
  /** Weight layout: true when the initializer is (N, K) (Conv, Gemm with transB). */
  weightRowsAreOutputs: boolean;
}

export interface QuantPlan {
  layers: QuantLayer[];
  skipped: { node: string; reason: string }[];
  /** Tensors whose ranges calibration observes. */
  targets: string[];
}

/** Why a Conv/Gemm cannot be quantized, or null when it can. */
function refusal(model: Model, node: Node): string | null {
  const w = model.graph.initializers[node.inputs[1] ?? ''];
  if (!w) return 'its weights are computed at run time, not stored in the model';
  if (w.dtype !== 'float32') return `its weights are ${w.dtype}, not float32`;
  if (node.opType === 'Gemm') {
    if (attrInt(node, 'transA', 0)) return 'Gemm with transA=1 is not quantized';
    if (attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1) return 'Gemm with alpha or beta ≠ 1 is not quantized';
    if (w.dims.length !== 2) return 'Gemm weights must be 2-D';
  }
  const b = node.inputs[2] ? model.graph.initializers[node.inputs[2]] : undefined;
  if (node.inputs[2] && !b) return 'its bias is computed at run time';
  if (model.opset < 13) return `opset ${model.opset}: QuantizeLinear/DequantizeLinear with per-channel axes need opset ≥ 13; re-export the model with opset 13+`;
  return null;
}

export function planInt8(model: Model, recipe: Int8Recipe): QuantPlan {
  const g = model.graph;
  const { sole } = indexGraph(g);
  const layers: QuantLayer[] = [];
  const skipped: { node: string; reason: string }[] = [];
  for (const node of g.nodes) {
    if (node.opType !== 'Conv' && node.opType !== 'Gemm') continue;
    const asked = recipe.layers[node.name];
    if ((asked ?? recipe.defaultPrecision) !== 'int8') continue;
    const why = refusal(model, node);
    if (why) { skipped.push({ node: node.name, reason: why }); continue; }
    if (!asked && isDepthwiseConv(model, node)) {
      // Its 9 or 25 taps have no 4 channels to pack: the int8 kernel sums them in f32 after a
      // quantize pass, so int8 adds that pass and a range pass for a 1-2 % smaller model.
      skipped.push({ node: node.name, reason: 'a depthwise conv (one input channel a group): int8 saves almost no bytes on it and runs it no faster, so it stays float32 unless the recipe names it' });
      continue;
    }
    const out = node.outputs[0]!;
    const next = sole(out);
    const relu = next?.opType === 'Relu' ? next : null;
    layers.push({
      node, input: node.inputs[0]!, output: relu ? relu.outputs[0]! : out, relu,
      weightRowsAreOutputs: node.opType === 'Conv' || attrInt(node, 'transB', 0) === 1,
    });
  }
  const targets = [...new Set(layers.flatMap((l) => [l.input, l.output]))];
  return { layers, skipped, targets };
}
