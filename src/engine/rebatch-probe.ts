/**
 * Decides how the engine feeds a model: a symbolic batch runs as is; a fixed batch is re-batched
 * (model/rebatch.ts) and the result is used only when, on a probe batch of 2·B seeded inputs, it gives
 * the same outputs as the file run B items at a time. Otherwise the model runs at its own batch.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { describeError } from '../core/errors';
import { randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import {
  dynamicBatching, fixedBatchOf, fixedBatching, rebatchModel, rebatchedBatching, type Batching,
} from '../model/rebatch';
import { InferenceSession } from './session';

/** Agreement asked of the re-batched graph against the file, relative to the outputs' magnitude. */
const PROBE_TOLERANCE = 1e-4;

export interface BatchingChoice { model: Model; batching: Batching }

export async function chooseBatching(ctx: GpuContext, model: Model): Promise<BatchingChoice> {
  const B = fixedBatchOf(model);
  if (B === null) {
    const d0 = model.graph.inputs[0]?.shape[0];
    if (model.graph.inputs.length === 1 && d0 !== undefined && typeof d0 !== 'number') return { model, batching: dynamicBatching(model) };
    return { model, batching: { mode: 'fixed', fileBatch: null, note: 'runs as the file declares it', rewrites: [] } };
  }
  let candidate;
  try {
    candidate = rebatchModel(model);
  } catch (e) {
    const why = describeError(e).message;
    const shape = model.graph.inputs[0]!.shape;
    if (shape.length <= 3) {
      // [C,H,W] or [H,W]: the first dim may be no batch at all; the dataset's layout decides at run time.
      return { model, batching: { mode: 'fixed', fileBatch: B, note: `runs its input [${shape}] as declared (no batch dim, or a fixed batch of ${B}): ${why}`, rewrites: [] } };
    }
    return { model, batching: fixedBatching(B, why) };
  }
  const mismatch = await probe(ctx, model, candidate.model, B);
  if (mismatch) return { model, batching: fixedBatching(B, mismatch) };
  return { model: candidate.model, batching: rebatchedBatching(candidate) };
}

/** Runs 2·B seeded items through both graphs; returns why they disagree, or null when they agree. */
async function probe(ctx: GpuContext, file: Model, rebatched: Model, B: number): Promise<string | null> {
  const input = file.graph.inputs[0]!;
  const item = (input.shape as number[]).slice(1);
  const per = sizeOf(item);
  const P = 2 * B;
  const data = randomFloats(P * per, 0x5eed);
  const original = new InferenceSession(ctx, file);
  const candidate = new InferenceSession(ctx, rebatched);
  try {
    const whole = await candidate.run({ [input.name]: { data, shape: [P, ...item] } });
    for (let start = 0; start < P; start += B) {
      const part = await original.run({ [input.name]: { data: data.subarray(start * per, (start + B) * per), shape: [B, ...item] } });
      for (let o = 0; o < part.length; o++) {
        const want = part[o]!.data, got = whole[o]!.data;
        const rows = want.length, offset = got.length === rows ? 0 : (start / B) * rows; // outputs without a batch dim repeat
        let scale = 1, worst = 0;
        for (let i = 0; i < rows; i++) {
          scale = Math.max(scale, Math.abs(want[i]!));
          worst = Math.max(worst, Math.abs((got[offset + i] ?? NaN) - want[i]!));
        }
        if (!(worst <= PROBE_TOLERANCE * scale)) {
          return `re-batched, output '${file.graph.outputs[o]?.name}' differs from the file's by ${worst.toExponential(2)} on a probe batch, so the graph mixes items across the batch`;
        }
      }
    }
    return null;
  } catch (e) {
    return `re-batching failed on a probe batch: ${describeError(e).message}`;
  } finally {
    original.destroy();
    candidate.destroy();
  }
}
