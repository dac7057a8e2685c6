/**
 * Decides how the engine feeds a model: a symbolic batch runs as is; a fixed batch is re-batched
 * (model/rebatch.ts) and the result is used when its ops show that items never meet (batchMixer), or
 * else when, on a probe batch of 2·B seeded inputs, its first B rows equal the file's outputs on those
 * B items (a graph that mixed items across the batch would change them). Otherwise the model runs at its own batch. The probe's session on the chosen
 * graph is handed back, so its uploaded weights and compiled pipelines serve the runtime at once.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { describeError } from '../core/errors';
import { randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import {
  batchMixer, dynamicBatching, fixedBatchOf, fixedBatching, rebatchModel, rebatchedBatching, type Batching,
} from '../model/rebatch';
import { InferenceSession } from './session';

/** Agreement asked of the re-batched graph against the file, relative to the outputs' magnitude. */
const PROBE_TOLERANCE = 1e-4;

export interface BatchingChoice { model: Model; batching: Batching; session?: InferenceSession }

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
  // Where the ops show that items never meet, the numeric probe (three items through the network) is not needed.
  if (batchMixer(candidate.model) === null) return { model: candidate.model, batching: rebatchedBatching(candidate) };
  const session = new InferenceSession(ctx, candidate.model);
  const mismatch = await probe(session, model, B);
  if (mismatch) {
    session.destroy();
    return { model, batching: fixedBatching(B, mismatch) };
  }
  return { model: candidate.model, batching: rebatchedBatching(candidate), session };
}

/** Runs 2·B seeded items through the re-batched graph and the first B through the file; why they disagree, or null. */
async function probe(candidate: InferenceSession, file: Model, B: number): Promise<string | null> {
  const input = file.graph.inputs[0]!;
  const item = (input.shape as number[]).slice(1);
  const per = sizeOf(item);
  const data = randomFloats(2 * B * per, 0x5eed);
  const original = candidate.sharingWeights(file); // same constants: uploaded once
  try {
    const whole = await candidate.run({ [input.name]: { data, shape: [2 * B, ...item] } });
    const part = await original.run({ [input.name]: { data: data.subarray(0, B * per), shape: [B, ...item] } });
    for (let o = 0; o < part.length; o++) {
      const want = part[o]!.data, got = whole[o]!.data;
      let scale = 1, worst = 0;
      for (let i = 0; i < want.length; i++) {
        scale = Math.max(scale, Math.abs(want[i]!));
        worst = Math.max(worst, Math.abs((got[i] ?? NaN) - want[i]!));
      }
      if (!(worst <= PROBE_TOLERANCE * scale)) {
        return `re-batched, output '${file.graph.outputs[o]?.name}' differs from the file's by ${worst.toExponential(2)} on a probe batch, so the graph mixes items across the batch`;
      }
    }
    return null;
  } catch (e) {
    return `re-batching failed on a probe batch: ${describeError(e).message}`;
  } finally {
    original.destroy();
  }
}
