/**
 * The oracle for image data: decodes a dataset exactly as the studio does (data/sources.ts +
 * data/image-dataset.ts, the spec resolved as the CLI resolves it) and scores a model on those
 * pixels with onnxruntime-node, so a studio figure can be checked against it item for item
 * (scripts/image-parity.ts prints it; the CLI and e2e tests compare with it).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { filesAt } from '../src/cli/data-files';
import { useNodeWebp } from '../src/cli/webp-node';
import { openSource } from '../src/data/sources';
import { imageDataset } from '../src/data/image-dataset';
import { pixelPreprocess, resolveSpec } from '../src/recipe/image-spec';
import { batchFor } from '../src/data/dataset';
import { importOnnx } from '../src/model/onnx-import';
import { widenHalf } from '../src/model/half';
import { floatToHalf, halfToFloat } from '../src/model/tensor-proto';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

export async function ortOnImages(modelPath: string, dataPath: string, opts: { preset?: string; limit?: number } = {}) {
  useNodeWebp();
  const bytes = new Uint8Array(readFileSync(modelPath));
  const raw = importOnnx(bytes, modelPath);
  const model = widenHalf(raw);
  // A float16 file is fed float16, as onnxruntime wants it; the studio takes float32 at the same boundary.
  const half = raw.graph.inputs[0]!.dtype === 'float16';
  const input = model.graph.inputs[0]!;
  const spec = resolveSpec(opts.preset ? { preset: opts.preset } : {}, input.shape, model.metadata);
  const t0 = performance.now();
  const { ds } = await imageDataset(await openSource(filesAt(dataPath)), spec, dataPath, { limit: opts.limit });
  const decodeMs = performance.now() - t0;
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const step = typeof input.shape[0] === 'number' ? input.shape[0] : 500;
  const predictions: number[] = [];
  let correct = 0, top5 = 0;
  for (let s = 0; s < ds.count; s += step) {
    const b = batchFor(ds, s, step, pixelPreprocess(spec), input.shape, input.name);
    const feed = half ? new ort.Tensor('float16', Uint16Array.from(b.input, floatToHalf), b.shape) : new ort.Tensor('float32', b.input, b.shape);
    const out = await session.run({ [input.name]: feed });
    const t = out[session.outputNames[0]!]!;
    const logits = t.type === 'float16' ? Float32Array.from(t.data as Uint16Array, halfToFloat) : (t.data as Float32Array);
    const rows = b.labels.length, classes = logits.length / b.rows;
    for (let r = 0; r < rows; r++) {
      // Ties go to the lower index, as the studio's argmax; top-5: fewer than five scores above the label's.
      const row = logits.subarray(r * classes, (r + 1) * classes);
      let best = 0;
      for (let k = 1; k < classes; k++) if (row[k]! > row[best]!) best = k;
      predictions.push(best);
      if (best === b.labels[r]) correct++;
      if (row.filter((v) => v > row[b.labels[r]!]!).length < 5) top5++;
    }
  }
  return {
    accuracy: correct / ds.count, top5: top5 / ds.count, samples: ds.count, decodeMs, spec,
    predictionsSha256: createHash('sha256').update(predictions.join(',')).digest('hex'), predictions,
  };
}
