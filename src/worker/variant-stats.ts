/**
 * A variant's figures measured without data (recipe/variant.ts VariantStats): parameters, FLOPs
 * dense and without the zero weights, bytes of the weights, of every initializer, of the file and in
 * the sparse encoding, and one row per weighted layer (op, shape, bits per weight, zeros, bytes,
 * FLOPs) aligned by node name across variants.
 */
import { DTYPE_BYTES } from '../core/dtype';
import { sizeOf } from '../core/shape';
import type { Model, Node, TensorData } from '../model/ir';
import { indexGraph } from '../model/graph';
import { layerStats, modelSize } from '../model/stats';
import { resolveGraph } from '../model/resolve';
import { STUDIO_DOMAIN } from '../model/support';
import type { InferenceSession } from '../engine/session';
import { weightBytes } from '../compress/storage';
import { nonzeroFlops } from '../compress/prune';
import { sparseBytes } from '../compress/sparse-format';
import { usesStudioFormat } from '../compress/mixed-precision';
import type { LayerInfo, VariantStats } from '../recipe/variant';

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);
const BINARY = new Set(['XnorConv', 'XnorGemm']);

/** A weighted layer's stored weight: its bits per weight and how many are zero (int8: equal to the zero point). */
function storedWeight(model: Model, node: Node, producer: (v: string) => Node | undefined): { bits: number; zeros: number; count: number } | null {
  const init = model.graph.initializers;
  if (node.domain === STUDIO_DOMAIN && BINARY.has(node.opType)) {
    const shape = node.attrs.weight_shape;
    const count = shape?.type === 'ints' ? sizeOf(shape.value) : 0;
    return { bits: 1, zeros: 0, count };
  }
  if (node.domain !== '' || !WEIGHTED.has(node.opType)) return null;
  const w = node.inputs[1];
  if (!w) return null;
  const dq = init[w] ? undefined : producer(w);
  if (dq?.opType === 'DequantizeLinear' && init[dq.inputs[0]!]) {
    const q = init[dq.inputs[0]!]!;
    const zero: TensorData | undefined = dq.inputs[2] ? init[dq.inputs[2]] : undefined;
    return { bits: 8 * DTYPE_BYTES[q.dtype], zeros: zerosOnGrid(q, zero), count: q.data.length };
  }
  const t = init[w];
  if (!t) return null;
  let zeros = 0;
  for (let i = 0; i < t.data.length; i++) if (Number(t.data[i]) === 0) zeros++;
  return { bits: 8 * DTYPE_BYTES[t.dtype], zeros, count: t.data.length };
}

/** Weights whose int8 value equals their channel's zero point (dequantize to exactly 0). */
function zerosOnGrid(q: TensorData, zero: TensorData | undefined): number {
  const n = q.data.length;
  const z = zero?.data;
  const per = z && z.length > 1 ? n / z.length : n;
  let zeros = 0;
  for (let i = 0; i < n; i++) if (Number(q.data[i]) === (z ? Number(z[z.length > 1 ? Math.floor(i / per) : 0]) : 0)) zeros++;
  return zeros;
}

/** `fileBytes`: the length of the file the studio writes for this variant. */
export function variantStats(model: Model, session: InferenceSession, fileBytes: number): VariantStats {
  const shapes = { [session.input.name]: session.inputShapeFor(session.fixedBatch ?? 1) };
  const runStats = layerStats(session.runModel, resolveGraph(session.runModel, shapes));
  const byName = new Map(runStats.map((l) => [l.name, l]));
  const batchDim = session.input.shape[0];
  const { producer } = indexGraph(model.graph);
  const size = modelSize(model);
  const layers: LayerInfo[] = [];
  for (const n of model.graph.nodes) {
    const w = storedWeight(model, n, producer);
    if (!w) continue;
    const s = byName.get(n.name);
    layers.push({
      name: n.name, op: n.domain === STUDIO_DOMAIN ? n.opType : n.opType,
      shape: s ? (typeof batchDim === 'string' && s.outputShape.length ? [batchDim, ...s.outputShape.slice(1)] : s.outputShape) : [],
      bits: w.bits, params: s?.params ?? w.count, zeros: w.zeros, bytes: s?.bytes ?? Math.ceil((w.count * w.bits) / 8), flops: s?.flops ?? 0,
    });
  }
  const flops = runStats.reduce((a, l) => a + l.flops, 0);
  let nonzero = flops;
  try { nonzero = Math.min(flops, nonzeroFlops(model)); } catch { /* quantized and binary layers have no float zeros to skip */ }
  const sparse = layers.some((l) => l.bits === 32 && l.zeros > 0) ? sparseBytes(model).sparse : null;
  const k = model.graph.outputs[0]?.shape.at(-1);
  return {
    params: size.params, flops, nonzeroFlops: nonzero, weightBytes: weightBytes(model), sizeBytes: size.totalBytes, fileBytes,
    sparseBytes: sparse, studioFormat: usesStudioFormat(model), classes: typeof k === 'number' && k > 0 ? k : null,
    inputShape: [...(model.graph.inputs[0]?.shape ?? [])], layers,
  };
}
