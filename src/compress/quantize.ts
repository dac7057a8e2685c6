/**
 * int8 post-training quantization as a graph rewrite into ONNX's QDQ form: int8 weight
 * initializers with per-channel (or per-tensor) scales behind DequantizeLinear, int32 biases, and
 * a QuantizeLinear→DequantizeLinear pair on every activation a quantized layer reads or writes.
 * The result is a standard ONNX model (onnxruntime runs it unchanged) and the studio's engine
 * lowers the same patterns onto its integer kernels.
 */
import type { AttrValue, Model, Node, TensorData } from '../model/ir';
import { ModelError } from '../core/errors';
import { indexGraph, type GraphIndex } from '../model/graph';
import { int8Params, type QuantParams } from './ranges';
import type { Int8Recipe, QuantLayer, QuantPlan } from './quantize-plan';

/** Ops that move values without changing them: a tensor they produce stays on its input's int8 grid. */
const GRID_PRESERVING = new Set(['MaxPool', 'Flatten', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Dropout']);

import { roundHalfEven } from '../core/round';

export interface WeightQuant { q: Int8Array; scale: Float32Array; zero: Int8Array }

/** Quantizes a weight tensor along `axis` (per channel) or as a whole. */
export function quantizeWeights(w: Float32Array, dims: number[], axis: number, perChannel: boolean, symmetric: boolean): WeightQuant {
  const channels = perChannel ? dims[axis]! : 1;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const chanOf = (i: number) => (perChannel ? Math.floor(i / inner) % channels : 0);
  const lo = new Float64Array(channels).fill(0), hi = new Float64Array(channels).fill(0);
  for (let i = 0; i < w.length; i++) {
    const c = chanOf(i);
    lo[c] = Math.min(lo[c]!, w[i]!);
    hi[c] = Math.max(hi[c]!, w[i]!);
  }
  const scale = new Float32Array(channels), zero = new Int8Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = symmetric ? { scale: Math.max(-lo[c]!, hi[c]!) / 127 || 1, zero: 0 } : int8Params({ min: lo[c]!, max: hi[c]! }, false);
    scale[c] = p.scale;
    zero[c] = p.zero;
  }
  const q = new Int8Array(w.length);
  const qmin = symmetric ? -127 : -128; // symmetric keeps the range balanced, as integer kernels expect
  for (let i = 0; i < w.length; i++) {
    const c = chanOf(i);
    q[i] = Math.max(qmin, Math.min(127, roundHalfEven(w[i]! / scale[c]!) + zero[c]!));
  }
  return { q, scale, zero };
}

function scalarF32(v: number): TensorData { return { dtype: 'float32', dims: [], data: Float32Array.of(v) }; }
function scalarI8(v: number): TensorData { return { dtype: 'int8', dims: [], data: Int8Array.of(v) }; }

/** Activation parameters per tensor; tensors produced by grid-preserving ops share their source's grid. */
export function activationParams(model: Model, plan: QuantPlan, ranges: Record<string, { min: number; max: number }>, recipe: Int8Recipe): Record<string, QuantParams> {
  const { producer } = indexGraph(model.graph);
  const outputsOfLayers = new Set(plan.layers.map((l) => l.output));
  const params: Record<string, QuantParams> = {};
  const source = (t: string): string => {
    const p = producer(t);
    if (outputsOfLayers.has(t) || !p || !GRID_PRESERVING.has(p.opType)) return t;
    return outputsOfLayers.has(p.inputs[0]!) || producer(p.inputs[0]!) ? source(p.inputs[0]!) : t;
  };
  for (const t of plan.targets) {
    const s = source(t);
    const r = ranges[s] ?? ranges[t];
    if (!r) throw new ModelError(`no calibration range for tensor '${t}'`);
    params[t] = int8Params(r, recipe.symmetricActivations);
  }
  return params;
}

export function applyInt8(model: Model, plan: QuantPlan, params: Record<string, QuantParams>, recipe: Int8Recipe): Model {
  const g = structuredClone(model.graph);
  const init = g.initializers;
  const byName = new Map(plan.layers.map((l) => [l.node.name, l]));
  const outputOf = new Map<string, QuantLayer>(); // producer node name → layer whose quantized output it writes
  for (const l of plan.layers) outputOf.set((l.relu ?? l.node).name, l);
  const quantizedOutputs = new Set(plan.layers.map((l) => l.output));
  const dequantizedInputs = new Map<string, string>();
  const nodes: Node[] = [];
  const index = indexGraph(g); // the file's uses, before the rewrite below adds its own

  const qdq = (tensor: string, from: string, to: string) => {
    const p = params[tensor]!;
    init[`${tensor}::scale`] = scalarF32(p.scale);
    init[`${tensor}::zero_point`] = scalarI8(p.zero);
    nodes.push(
      { name: `${tensor}::QuantizeLinear`, opType: 'QuantizeLinear', domain: '', inputs: [from, `${tensor}::scale`, `${tensor}::zero_point`], outputs: [`${tensor}::int8`], attrs: {} },
      { name: `${tensor}::DequantizeLinear`, opType: 'DequantizeLinear', domain: '', inputs: [`${tensor}::int8`, `${tensor}::scale`, `${tensor}::zero_point`], outputs: [to], attrs: {} },
    );
  };

  // Dynamic: each layer's input range is measured per batch; the bias stays float (its scale
  // x_scale·w_scale is known only at run time) and outputs stay float.
  const dynamicQuant = (x: string) => {
    nodes.push(
      { name: `${x}::DynamicQuantizeLinear`, opType: 'DynamicQuantizeLinear', domain: '', inputs: [x], outputs: [`${x}::uint8`, `${x}::scale`, `${x}::zero_point`], attrs: {} },
      { name: `${x}::DequantizeLinear`, opType: 'DequantizeLinear', domain: '', inputs: [`${x}::uint8`, `${x}::scale`, `${x}::zero_point`], outputs: [`${x}::dequantized`], attrs: {} },
    );
  };
  const dynamic = recipe.activations === 'dynamic';

  for (const original of g.nodes) {
    const node = { ...original, inputs: [...original.inputs], outputs: [...original.outputs] };
    const layer = byName.get(node.name);
    if (layer && dynamic) {
      const x = layer.input;
      if (!dequantizedInputs.has(x)) { dequantizedInputs.set(x, `${x}::dequantized`); dynamicQuant(x); }
      node.inputs[0] = dequantizedInputs.get(x)!;
      quantizeLayerConstants(node, layer, null, recipe, init, nodes, index);
      nodes.push(node);
      continue;
    }
    if (layer) {
      const x = layer.input;
      if (!quantizedOutputs.has(x)) {
        if (!dequantizedInputs.has(x)) { dequantizedInputs.set(x, `${x}::dequantized`); qdq(x, x, `${x}::dequantized`); }
        node.inputs[0] = dequantizedInputs.get(x)!;
      }
      quantizeLayerConstants(node, layer, params[x]!, recipe, init, nodes, index);
    }
    const writes = dynamic ? undefined : outputOf.get(node.name); // dynamic outputs stay float
    if (writes) node.outputs[0] = `${writes.output}::float`;
    nodes.push(node);
    if (writes) qdq(writes.output, `${writes.output}::float`, writes.output);
  }
  g.nodes = nodes;
  const tag = dynamic ? 'int8 dynamic' : 'int8';
  return { ...model, producer: model.producer ? `${model.producer} + compression-studio ${tag}` : `compression-studio ${tag}`, graph: g };
}

/** Replaces the layer's weight and bias by int8/int32 initializers behind DequantizeLinear; without x's grid (dynamic) the bias stays float. */
function quantizeLayerConstants(
  node: Node, layer: QuantLayer, x: QuantParams | null, recipe: Int8Recipe, init: Record<string, TensorData>, nodes: Node[], index: GraphIndex,
): void {
  const wName = node.inputs[1]!;
  const w = init[wName]!;
  const axis = layer.weightRowsAreOutputs ? 0 : 1;
  const wq = quantizeWeights(w.data as Float32Array, w.dims, axis, recipe.perChannel, recipe.symmetricWeights);
  const perChannel = recipe.perChannel;
  const axisAttr: Record<string, AttrValue> = perChannel ? { axis: { type: 'int', value: axis } } : {};
  const channelDims = perChannel ? [wq.scale.length] : [];
  init[`${wName}::int8`] = { dtype: 'int8', dims: [...w.dims], data: wq.q };
  init[`${wName}::scale`] = { dtype: 'float32', dims: channelDims, data: wq.scale };
  init[`${wName}::zero_point`] = { dtype: 'int8', dims: channelDims, data: wq.zero };
  nodes.push({ name: `${wName}::DequantizeLinear`, opType: 'DequantizeLinear', domain: '', inputs: [`${wName}::int8`, `${wName}::scale`, `${wName}::zero_point`], outputs: [`${wName}::dequantized`], attrs: axisAttr });
  node.inputs[1] = `${wName}::dequantized`;
  const bName = node.inputs[2];
  if (bName && x) {
    const b = init[bName]!.data as Float32Array;
    const n = b.length;
    const bScale = new Float32Array(n), bq = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      bScale[c] = x.scale * wq.scale[perChannel ? c : 0]!;
      bq[c] = Math.max(-2147483648, Math.min(2147483647, roundHalfEven(b[c]! / bScale[c]!)));
    }
    init[`${bName}::int32`] = { dtype: 'int32', dims: [n], data: bq };
    init[`${bName}::scale`] = { dtype: 'float32', dims: [n], data: bScale };
    init[`${bName}::zero_point`] = { dtype: 'int32', dims: [n], data: new Int32Array(n) };
    nodes.push({ name: `${bName}::DequantizeLinear`, opType: 'DequantizeLinear', domain: '', inputs: [`${bName}::int32`, `${bName}::scale`, `${bName}::zero_point`], outputs: [`${bName}::dequantized`], attrs: { axis: { type: 'int', value: 0 } } });
    node.inputs[2] = `${bName}::dequantized`;
  }
  // The float weights are gone unless another node still reads them.
  for (const name of [wName, x ? bName : undefined]) if (name && index.uses(name) <= 1) delete init[name];
}
