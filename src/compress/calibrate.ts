/**
 * Calibration runs the float model on the GPU over sample batches and observes the tensors the
 * int8 recipe will quantize (each layer's input and output), reading them back as extra outputs.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { CancelledError, DatasetError } from '../core/errors';
import { InferenceSession } from '../engine/session';
import type { Batch } from '../engine/evaluate';
import { Observer } from './ranges';

export async function observeTensors(
  ctx: GpuContext, model: Model, targets: string[], batchAt: (start: number, count: number) => Batch,
  samples: number, batchSize: number, onProgress?: (done: number, total: number) => void, signal?: AbortSignal,
): Promise<Record<string, Observer>> {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new DatasetError(`calibration needs at least one sample, got ${samples}; pick 1 or more (a few hundred is typical)`);
  }
  const known = new Set(model.graph.outputs.map((o) => o.name));
  const extra = targets.filter((t) => !known.has(t));
  const observed: Model = {
    ...model,
    graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra.map((name) => ({ name, dtype: 'float32' as const, shape: [] }))] },
  };
  const session = new InferenceSession(ctx, observed);
  const inputName = session.input.name;
  const observers: Record<string, Observer> = Object.fromEntries(targets.map((t) => [t, new Observer()]));
  const index = new Map(observed.graph.outputs.map((o, i) => [o.name, i]));
  try {
    for (let start = 0; start < samples;) {
      if (signal?.aborted) throw new CancelledError();
      const batch = batchAt(start, Math.min(batchSize, samples - start));
      const real = batch.labels.length; // a model that fixes its batch takes that many items per run
      if (real === 0) throw new DatasetError(`calibration ran out of items at ${start} of ${samples}`);
      const { outputs } = await session.plan({ [inputName]: batch.shape }).run({ [inputName]: batch.input });
      const rows = batch.rows ?? batch.shape[0]!;
      for (const t of targets) {
        const data = outputs[index.get(t)!]!.data;
        // Rows past the real items are zero padding of a fixed batch: they must not widen the ranges.
        observers[t]!.add(real < rows && data.length % rows === 0 ? data.subarray(0, (data.length / rows) * real) : data);
      }
      start += real;
      onProgress?.(start, samples);
    }
  } finally {
    session.destroy();
  }
  return observers;
}
