/**
 * `quantize <model.onnx> --int8|--binary|--auto --out <file.onnx>`: the flags become the step the
 * page's Quantize card makes (recipe/steps.ts), the runtime checks it against the model and data
 * (every refusal before the first evaluation), evaluates the model, applies the step, writes the
 * file and evaluates the result. int8 calibrates on the test set's last items unless
 * --calibration-data names a set; --dynamic reads no calibration data at all, so a model that no
 * data at hand fits is still quantised (accuracy "not measured", latency measured).
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Measurement, VariantRecord } from '../recipe/variant';
import { parseStep } from '../recipe/steps';
import { evaluateStepFrom, MNIST_TEST, openStudio, preprocessFrom, readInput, UsageError, type Flags } from './common';
import { dataInput, loadInput } from './data-input';
import { DatasetError } from '../core/errors';
import type { Preprocess } from '../recipe/vocabulary';
import { describeAdapter } from '../worker/measure';
import { autoStepFrom, binaryStepFrom, int8StepFrom, switchOn } from './steps-from-flags';

const latencyOf = (m: Pick<Measurement, 'latency'>) => {
  const l = m.latency.find((x) => x.batch === 1) ?? m.latency[0];
  return { median: l?.medianMs ?? null, p95: l?.p95Ms ?? null };
};
const ratio = (before: number, after: number) => ({ before, after, ratio: before / after });

export async function quantizeCommand(positional: string[], flags: Flags) {
  const binary = switchOn(flags, 'binary'), auto = switchOn(flags, 'auto'), int8 = switchOn(flags, 'int8');
  if ([binary, auto, int8].filter(Boolean).length > 1) throw new UsageError('choose one scheme: --int8, --binary or --auto');
  if (!binary && !auto && !int8) throw new UsageError('choose a scheme: --int8, --binary or --auto');
  const raw = binary ? binaryStepFrom(flags) : auto ? autoStepFrom(flags) : int8StepFrom(flags);
  if (typeof flags.out !== 'string') throw new UsageError('--out <file.onnx> is needed');
  const out = flags.out;
  const evaluate = evaluateStepFrom(flags);
  const dynamicBatch = switchOn(flags, 'dynamic-batch');
  const modelPath = positional[0];
  if (!modelPath) throw new UsageError('a model file is needed');
  // Files first: a wrong path is reported before the GPU starts.
  const modelBytes = readInput(modelPath, 'model');
  const test = dataInput(flags, 'data', 'images', 'labels', MNIST_TEST)!;
  const cal = dataInput(flags, 'calibration-data', 'calibration-images', 'calibration-labels', null);

  const rt = await openStudio();
  const root = await rt.loadModel(modelBytes, basename(modelPath));
  // The bundled MNIST set that does not fit the model means accuracy goes unmeasured (the output says
  // why); data the user named must fit. A scheme that calibrates on data is then refused by checkStep.
  const named = ['data', 'images', 'labels'].some((f) => flags[f] !== undefined);
  let pre: Preprocess, unmeasured: string | null = null;
  try {
    pre = (await loadInput(rt, 'test', test, flags)) ?? preprocessFrom(flags);
  } catch (e) {
    if (named || !(e instanceof DatasetError)) throw e;
    unmeasured = `${e.message.replace(/\.$/, '')}; give --data with labelled images the model takes to measure it`;
    pre = preprocessFrom(flags);
  }
  if (cal) await loadInput(rt, 'calibration', cal, flags);
  const step = await rt.checkStep(raw, root.id, pre); // every refusal before the slow evaluations and calibration
  type Figures = Measurement | Pick<Measurement, 'latency' | 'latencySkipped'>;
  const measure = (id: string): Promise<Figures> => (unmeasured ? rt.evaluation.timeLatency(id, evaluate) : rt.evaluation.evaluate(id, evaluate, pre));
  const before = await measure(root.id);
  const { record } = await rt.runStep(raw, root.id, { preprocess: pre, authored: raw });
  const bytes = await rt.exportVariant(record.id, { dynamicBatch });
  writeFileSync(out, bytes);
  const after = await measure(record.id);
  const top1 = (m: Figures) => ('top1' in m ? m.top1 : null);
  const made = rt.variants.record(record.id);
  const device = describeAdapter(await rt.device());
  const common = {
    out, variant: { id: made.id, name: made.name, sha256: made.modelSha256 }, step: parseStep(raw),
    sizeBytes: ratio(root.stats.sizeBytes, made.stats.sizeBytes),
    weightBytes: ratio(root.stats.weightBytes, made.stats.weightBytes),
    accuracy: { before: top1(before), after: top1(after), drop: unmeasured ? null : top1(before)! - top1(after)! }, accuracyNote: unmeasured,
    latencyMs: { before: latencyOf(before), after: latencyOf(after) },
    samples: 'key' in after ? after.key.samples : 0, device, isFallback: /\(software\)$/.test(device),
  };
  const d = made.details as Record<string, unknown>;
  if (step.kind === 'binary') {
    const names = new Set(d.binarized as string[]);
    const layerBytes = (r: VariantRecord) => r.stats.layers.filter((l) => names.has(l.name)).reduce((a, l) => a + l.bytes, 0);
    return {
      ...common, recipe: step, binarizedLayers: [...names], keptFloat: d.kept,
      fileBytes: ratio(modelBytes.length, bytes.length),
      // The binarized layers alone: float32 weights vs packed sign bits + alpha.
      binarizedWeightBytes: ratio(layerBytes(root), layerBytes(made)),
    };
  }
  if (step.kind === 'mixed') {
    const a = d.auto as { budget: number; drop: number; accuracy: number; baseline: number; samples: number };
    const s = d.sensitivity as { rows: { layer: string; int8: { drop: number } | null; binary: { drop: number } | null }[] };
    const pts = (v: number) => +(100 * v).toFixed(2);
    return {
      ...common, recipe: step, budgetPoints: step.auto!.budget, searchSamples: a.samples, precisions: d.precisions, studioFormat: d.studioFormat,
      sensitivity: s.rows.map((r) => ({ layer: r.layer, int8DropPoints: r.int8 ? pts(r.int8.drop) : null, binaryDropPoints: r.binary ? pts(r.binary.drop) : null })),
      searchAccuracy: { baseline: a.baseline, chosen: a.accuracy, dropPoints: pts(a.drop) },
    };
  }
  return { ...common, recipe: step, quantizedLayers: d.quantized, skipped: d.skipped };
}
