/** Oracles shared by the channel-shrinking tests (the default CNN family and torchvision). */
import { createRequire } from 'node:module';
import { analyseChannels, channelAt, type Analysis } from './channels';
import { exportOnnx } from './onnx-export';
import type { Model, TensorData } from './ir';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** The model's first output for one input, computed by onnxruntime-node from the exported file. */
export async function runOrt(model: Model, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(exportOnnx(model));
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, shape) });
  return out[s.outputNames[0]!]!.data as Float32Array;
}

/**
 * The original with every weight that READS a dropped channel set to zero: the dropped channels
 * then feed nothing, so it computes exactly what the shrunk model computes.
 */
export function silenceDropped(model: Model, keep: Map<number, number[]>, an: Analysis = analyseChannels(model)): Model {
  const init: Record<string, TensorData> = { ...model.graph.initializers };
  for (const t of an.ties) {
    const k = keep.get(t.group);
    if (!t.reads || !k) continue;
    const src = init[t.tensor];
    if (!src) throw new Error(`reads-tie '${t.tensor}' is not an initializer`);
    const data = Float32Array.from(src.data as Float32Array);
    const dims = src.dims, inner = dims.slice(t.axis + 1).reduce((a, d) => a * d, 1), outer = dims.slice(0, t.axis).reduce((a, d) => a * d, 1);
    const along = dims[t.axis]!, kept = new Set(k);
    for (let o = 0; o < outer; o++) for (let a = 0; a < along; a++) {
      const ch = channelAt(t, Math.floor(a / t.block));
      if (ch < 0 || kept.has(ch)) continue;
      data.fill(0, (o * along + a) * inner, (o * along + a + 1) * inner);
    }
    init[t.tensor] = { ...src, data };
  }
  return { ...model, graph: { ...model.graph, initializers: init } };
}
