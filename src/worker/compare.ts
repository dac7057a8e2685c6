/**
 * Per-layer output error of variants against a baseline on one batch of test items, for the
 * side-by-side table. A layer's output is read after the activation that follows it and after the
 * Q→DQ pair that requantizes it (an int8 layer's kernel writes those dequantized values), so a
 * float, an int8 and a binary layer of the same name are compared at the same point. Layers align
 * by node name; where shapes differ (filters removed) the error is not defined and says so.
 */
import type { GpuContext } from '../gpu/context';
import type { Model, Node } from '../model/ir';
import { indexGraph } from '../model/graph';
import { STUDIO_DOMAIN } from '../model/support';
import { InferenceSession } from '../engine/session';
import { batchFor, checkFits, type LabelledDataset } from '../data/dataset';
import type { Preprocess } from '../recipe/vocabulary';

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);
const BINARY = new Set(['XnorConv', 'XnorGemm']);

export interface LayerError {
  layer: string;
  /** ‖y − y_baseline‖ / ‖y_baseline‖ over the batch, and the largest |y − y_baseline|; null with `note` where they do not compare. */
  relative: number | null;
  maxAbs: number | null;
  note: string | null;
}

export interface LayerErrors {
  baselineId: string;
  items: number;
  /** By variant id, one row per layer of the baseline, in its order. */
  errors: Record<string, LayerError[]>;
}

/** Each weighted layer's output value as the engine computes it: after a following Relu and a Q→DQ pair. */
export function layerOutputs(model: Model): { layer: string; value: string }[] {
  const g = model.graph;
  const { sole } = indexNodes(g);
  const out: { layer: string; value: string }[] = [];
  for (const n of g.nodes) {
    const weighted = (n.domain === '' && WEIGHTED.has(n.opType) && n.inputs.length > 1) || (n.domain === STUDIO_DOMAIN && BINARY.has(n.opType));
    if (!weighted || !n.outputs[0]) continue;
    let v = n.outputs[0];
    const relu = sole(v);
    if (relu?.opType === 'Relu' && relu.domain === '') v = relu.outputs[0]!;
    const q = sole(v);
    if (q?.opType === 'QuantizeLinear') {
      const dq = sole(q.outputs[0]!);
      if (dq?.opType === 'DequantizeLinear') v = dq.outputs[0]!;
    }
    out.push({ layer: n.name, value: v });
  }
  return out;
}

/** `sole` that ignores graph outputs: which node alone reads a value. */
function indexNodes(g: Model['graph']): { sole: (v: string) => Node | null } {
  const idx = indexGraph({ ...g, outputs: [] });
  return { sole: idx.sole };
}

/** Runs the model on one batch and reads back every weighted layer's output. */
async function probe(ctx: GpuContext, model: Model, ds: LabelledDataset, items: number, preprocess: Preprocess): Promise<Map<string, Float32Array>> {
  const layers = layerOutputs(model);
  const known = new Set(model.graph.outputs.map((o) => o.name));
  const extra = [...new Set(layers.map((l) => l.value).filter((v) => !known.has(v)))];
  const probed: Model = { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra.map((name) => ({ name, dtype: 'float32' as const, shape: [] }))] } };
  const session = new InferenceSession(ctx, probed);
  try {
    const input = session.input;
    const layout = checkFits(ds, input.shape, input.name);
    const n = layout.batch ?? items;
    const batch = batchFor(ds, 0, n, preprocess, input.shape, input.name);
    const { outputs } = await session.plan({ [input.name]: batch.shape }).run({ [input.name]: batch.input });
    const index = new Map(probed.graph.outputs.map((o, i) => [o.name, i]));
    return new Map(layers.map((l) => [l.layer, outputs[index.get(l.value)!]!.data]));
  } finally {
    session.destroy();
  }
}

export async function layerErrors(ctx: GpuContext, models: { id: string; model: Model }[], baselineId: string, ds: LabelledDataset, preprocess: Preprocess, items = 64): Promise<LayerErrors> {
  const base = models.find((m) => m.id === baselineId);
  if (!base) throw new Error(`the baseline '${baselineId}' is not among the variants compared`);
  const n = Math.min(items, ds.count);
  const ref = await probe(ctx, base.model, ds, n, preprocess);
  const errors: Record<string, LayerError[]> = {};
  for (const m of models) {
    const got = m.id === baselineId ? ref : await probe(ctx, m.model, ds, n, preprocess);
    errors[m.id] = [...ref.entries()].map(([layer, want]) => {
      const y = got.get(layer);
      if (!y) return { layer, relative: null, maxAbs: null, note: 'not in this variant' };
      if (y.length !== want.length) return { layer, relative: null, maxAbs: null, note: `shape differs (${y.length / n} vs ${want.length / n} values an item)` };
      let num = 0, den = 0, max = 0;
      for (let i = 0; i < y.length; i++) {
        const d = y[i]! - want[i]!;
        num += d * d;
        den += want[i]! * want[i]!;
        max = Math.max(max, Math.abs(d));
      }
      return { layer, relative: den > 0 ? Math.sqrt(num / den) : num > 0 ? Infinity : 0, maxAbs: max, note: null };
    });
  }
  return { baselineId, items: n, errors };
}
