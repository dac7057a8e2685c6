/**
 * Correctness beside the timings: each contender's first-run output against onnxruntime-node (CPU)
 * on the same seeded input, so a fast but wrong contender shows up in the report.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { randomFloats } from '../src/core/rng';
import { maxAbsDiff } from '../src/core/allclose';
import type { PageResult } from './types';

export async function checkAgainstOrtNode(result: PageResult): Promise<void> {
  const sessions = new Map<string, ortNode.InferenceSession>();
  for (const o of result.outputs) {
    let s = sessions.get(o.model);
    if (!s) {
      s = await ortNode.InferenceSession.create(readFileSync(fileURLToPath(new URL(`../fixtures/${o.model}`, import.meta.url))));
      sessions.set(o.model, s);
    }
    const input = randomFloats(o.shape.reduce((a, b) => a * b, 1), o.seed, -1, 1);
    const out = await s.run({ [s.inputNames[0]!]: new ortNode.Tensor('float32', input, o.shape) });
    const ref = out[s.outputNames[0]!]!.data as Float32Array;
    const rec = result.records.find((r) => r.contender === o.contender && r.model === o.model && r.batch === o.batch);
    if (rec) rec.maxAbsDiffVsOrtNode = ref.length === o.data.length ? maxAbsDiff(o.data, ref) : Infinity;
  }
  for (const s of sessions.values()) await s.release();
}
