/** What the page is told about a model, a dataset and the adapter: plain, serialisable summaries. */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { resolveGraph } from '../model/resolve';
import { layerStats, modelSize } from '../model/stats';
import type { InferenceSession } from '../engine/session';
import { fuseGraph } from '../engine/fuse';
import { OPS } from '../engine/ops';
import type { LabelledDataset } from '../data/dataset';
import type { DatasetSummary, ModelSummary } from './types';

export function describeAdapter(ctx: GpuContext): string {
  const i = ctx.info;
  return [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'unknown adapter';
}

export function summarise(model: Model, fileName: string, session: InferenceSession): Omit<ModelSummary, 'batching'> {
  // Layers as the engine runs them (QDQ lowered to integer ops); size as the file stores it.
  const resolved = resolveGraph(session.runModel, { [session.input.name]: session.inputShapeFor(session.fixedBatch ?? 1) });
  const size = modelSize(model);
  const { steps } = fuseGraph(resolved, model.opset);
  const fusedInto = new Map<string, string>();
  for (const s of steps) for (const f of s.fused) fusedInto.set(f, s.node.name);
  const batchDim = session.input.shape[0];
  const stats = layerStats(session.runModel, resolved);
  const layers = stats.map((l) => ({
    ...l,
    shape: typeof batchDim === 'string' && l.outputShape.length ? [batchDim, ...l.outputShape.slice(1)] : l.outputShape,
    fusedInto: fusedInto.get(l.name) ?? null,
  }));
  return {
    fileName, producer: model.producer, opset: model.opset,
    inputs: model.graph.inputs, outputs: model.graph.outputs, layers,
    sizeBytes: size.totalBytes, bytesByDtype: size.byDtype, params: size.params,
    flops: stats.reduce((a, l) => a + l.flops, 0),
    dispatches: steps.filter((s) => !OPS[s.node.opType]?.alias).length,
  };
}

export function summariseDataset(ds: LabelledDataset): DatasetSummary {
  const counts: number[] = [];
  for (let i = 0; i < ds.count; i++) { const l = Number(ds.labels[i]); counts[l] = (counts[l] ?? 0) + 1; }
  const labelCounts = Array.from({ length: counts.length }, (_, i) => counts[i] ?? 0);
  return { name: ds.name, count: ds.count, itemShape: ds.itemShape, classes: labelCounts.length, labelCounts };
}
