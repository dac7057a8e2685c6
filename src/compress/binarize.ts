/**
 * Binary (XNOR-Net) post-training binarization as a graph rewrite: each chosen Conv/Gemm becomes an
 * XnorConv/XnorGemm node in the studio's own domain holding sign(W) packed 32 per uint32 and
 * alpha = mean |W| per output channel (docs/binary-format.md). No data and no training: the
 * weights' signs and mean magnitudes are all that is kept, so accuracy is whatever that leaves.
 */
import type { AttrValue, Model, Node, TensorData } from '../model/ir';
import { attrFloat, attrInt, attrInts, attrString } from '../model/ir';
import { freshNamer, indexGraph, isDepthwiseConv, removeDeadCode } from '../model/graph';
import { STUDIO_DOMAIN } from '../model/support';
import { binarizeWeights } from '../engine/ops-binary';

export interface BinaryRecipe {
  /** First and last Conv/Gemm stay float32 (XNOR-Net's practice): they hold few weights and cost the most accuracy. */
  keepFirstLast: boolean;
  /** XNOR-Net's β = mean |x| per patch; off by default: it costs a pass over |x| and later work (Bi-Real Net) drops it. */
  activationScale: boolean;
  /** Per-layer override (node name → precision), ahead of keepFirstLast. */
  layers?: Record<string, 'fp32' | 'binary'>;
}

export const DEFAULT_BINARY_RECIPE: BinaryRecipe = { keepFirstLast: true, activationScale: false, layers: {} };

export interface BinaryLayer {
  node: Node;
  /** The Relu absorbed as attribute activation='relu', if any. */
  relu: Node | null;
}

export interface BinaryPlan {
  layers: BinaryLayer[];
  /** Conv/Gemm layers left float32, and why. */
  kept: { node: string; reason: string }[];
}

const K_MAX = 1 << 24; // the XNOR kernels' limit on the reduction length

/** Why a Conv/Gemm cannot be binarized, or null when it can. */
function refusal(model: Model, node: Node): string | null {
  const init = model.graph.initializers;
  const w = init[node.inputs[1] ?? ''];
  if (!w) return 'its weights are computed at run time, not stored in the model';
  if (w.dtype !== 'float32') return `its weights are ${w.dtype}, not float32`;
  if (node.opType === 'Conv' && w.dims.length !== 4) return `only 2-D convolutions are binarized; its weights are ${w.dims.length}-D`;
  if (node.opType === 'Gemm') {
    if (attrInt(node, 'transA', 0)) return 'Gemm with transA=1 is not binarized';
    if (attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1) return 'Gemm with alpha or beta ≠ 1 is not binarized';
    if (w.dims.length !== 2) return 'Gemm weights must be 2-D';
  }
  const { N, K } = weightRows(node, w);
  if (N < 1 || K < 1) return 'its weights are empty';
  if (K >= K_MAX) return `its reduction length ${K} is over the ${K_MAX - 1} the XNOR kernels support`;
  if (node.inputs[2]) {
    const b = init[node.inputs[2]];
    if (!b) return 'its bias is computed at run time';
    if (b.dtype !== 'float32') return `its bias is ${b.dtype}, not float32`;
    if (b.data.length !== 1 && (b.data.length !== N || b.dims.at(-1) !== N)) return `its bias [${b.dims}] is not one value per output channel`;
  }
  return null;
}

/** N outputs × K inputs of the layer's weight, whatever its stored layout. */
function weightRows(node: Node, w: TensorData): { N: number; K: number; rowsAreOutputs: boolean } {
  const rowsAreOutputs = node.opType === 'Conv' || attrInt(node, 'transB', 0) === 1;
  const N = rowsAreOutputs ? w.dims[0]! : w.dims[1]!;
  return { N, K: N ? w.data.length / N : 0, rowsAreOutputs };
}

export function planBinary(model: Model, recipe: BinaryRecipe = DEFAULT_BINARY_RECIPE): BinaryPlan {
  const g = model.graph;
  const { sole } = indexGraph(g);
  const weighted = g.nodes.filter((n) => n.domain === '' && (n.opType === 'Conv' || n.opType === 'Gemm'));
  const layers: BinaryLayer[] = [];
  const kept: BinaryPlan['kept'] = [];
  weighted.forEach((node, i) => {
    const edge = i === 0 ? 'first' : i === weighted.length - 1 ? 'last' : null;
    const asked = recipe.layers?.[node.name];
    const want = asked ?? (recipe.keepFirstLast && edge ? 'fp32' : 'binary');
    if (want === 'fp32') {
      kept.push({ node: node.name, reason: asked ? 'the recipe keeps it float32' : `the ${edge} layer stays float32 (keepFirstLast)` });
      return;
    }
    const why = refusal(model, node);
    if (why) { kept.push({ node: node.name, reason: why }); return; }
    if (!asked && isDepthwiseConv(model, node)) {
      kept.push({ node: node.name, reason: 'a depthwise conv (one input channel a group): its sign words hold only its taps, so XNOR gains little on it; kept float32 unless the recipe names it' });
      return;
    }
    const next = sole(node.outputs[0]!);
    const relu = next?.opType === 'Relu' && next.domain === '' ? next : null;
    layers.push({ node, relu });
  });
  return { layers, kept };
}

const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const int = (value: number): AttrValue => ({ type: 'int', value });

/** Conv geometry with every default written out, so the file says exactly what runs. */
function convAttrs(node: Node, w: TensorData): Record<string, AttrValue> {
  const spatial = w.dims.slice(2);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const attrs: Record<string, AttrValue> = {
    kernel_shape: ints(spatial),
    strides: ints(attrInts(node, 'strides', spatial.map(() => 1))),
    dilations: ints(attrInts(node, 'dilations', spatial.map(() => 1))),
    group: int(attrInt(node, 'group', 1)),
  };
  // SAME_* pads depend on the input size: keep auto_pad and let the engine resolve it as Conv does.
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') attrs.auto_pad = { type: 'string', value: autoPad };
  else attrs.pads = ints(autoPad === 'VALID' ? [0, 0, 0, 0] : attrInts(node, 'pads', [0, 0, 0, 0]));
  return attrs;
}

export function applyBinary(model: Model, plan: BinaryPlan, recipe: BinaryRecipe): Model {
  const g = model.graph;
  const init: Record<string, TensorData> = { ...g.initializers };
  const valueInfo = { ...g.valueInfo };
  const byName = new Map(plan.layers.map((l) => [l.node, l]));
  const absorbed = new Set(plan.layers.flatMap((l) => (l.relu ? [l.relu] : [])));
  const fresh = freshNamer(g);
  const replaced = new Set<string>(); // float constants the rewrite stopped reading

  const nodes: Node[] = [];
  for (const node of g.nodes) {
    if (absorbed.has(node)) continue;
    const layer = byName.get(node);
    if (!layer) { nodes.push(node); continue; }
    const w = init[node.inputs[1]!]!;
    const { N, K, rowsAreOutputs } = weightRows(node, w);
    const src = w.data as Float32Array;
    // Gemm with transB=0 stores (K, N): binarize the (N, K) rows the kernels read.
    const rows = rowsAreOutputs ? src : Float32Array.from({ length: N * K }, (_, i) => src[(i % K) * N + Math.floor(i / K)]!);
    const { bits, K32, alpha } = binarizeWeights(rows, N, K);
    const bitsName = fresh(`${node.name}::xnor_bits`), alphaName = fresh(`${node.name}::xnor_alpha`);
    init[bitsName] = { dtype: 'uint32', dims: [N, K32], data: bits };
    init[alphaName] = { dtype: 'float32', dims: [N], data: alpha };
    replaced.add(node.inputs[1]!);
    let biasName = '';
    if (node.inputs[2]) {
      const b = init[node.inputs[2]]!;
      biasName = node.inputs[2];
      if (b.dims.length !== 1 || b.dims[0] !== N) { // a Gemm's [1, N] or scalar C, stored as (N)
        biasName = fresh(`${node.name}::xnor_bias`);
        init[biasName] = { dtype: 'float32', dims: [N], data: Float32Array.from({ length: N }, (_, n) => b.data[b.data.length === 1 ? 0 : n] as number) };
        replaced.add(node.inputs[2]);
      }
    }
    const attrs: Record<string, AttrValue> = {
      ...(node.opType === 'Conv' ? convAttrs(node, w) : {}),
      weight_shape: ints(node.opType === 'Conv' ? [...w.dims] : [N, K]),
      activation_scale: int(recipe.activationScale ? 1 : 0),
      ...(layer.relu ? { activation: { type: 'string', value: 'relu' } as AttrValue } : {}),
    };
    if (layer.relu) delete valueInfo[node.outputs[0]!];
    nodes.push({
      name: node.name, opType: node.opType === 'Conv' ? 'XnorConv' : 'XnorGemm', domain: STUDIO_DOMAIN,
      inputs: [node.inputs[0]!, bitsName, alphaName, ...(biasName ? [biasName] : [])],
      outputs: [...(layer.relu ?? node).outputs], attrs,
    });
  }
  // The float weights go unless another node (or a graph output) still reads them; no node goes.
  const graph = removeDeadCode({ ...g, nodes, initializers: init, valueInfo }, { nodes: () => false, initializers: replaced });
  const producer = model.producer ? `${model.producer} + compression-studio binary` : 'compression-studio binary';
  return { ...model, producer, graph };
}

/** Binarizes the recipe's layers; the result is the studio's binary format, exportable with exportOnnx. */
export function binarizeModel(model: Model, recipe: BinaryRecipe = DEFAULT_BINARY_RECIPE): Model {
  return applyBinary(model, planBinary(model, recipe), recipe);
}
