/**
 * `quantize <model.onnx> --int8 ... --out <file.onnx>`: calibrate on the MNIST training set (or
 * --calibration-images/--calibration-labels), write the QDQ model, and report size, accuracy and
 * latency before and after on the evaluation set.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_INT8_RECIPE, type Int8Recipe } from '../compress/quantize-plan';
import { exportOnnx } from '../model/onnx-export';
import { weightBytes } from '../compress/storage';
import { evalOptions, MNIST, openRuntime, positiveInt, preprocessFrom, progress, readDataset, toJson, UsageError, num, type Flags } from './common';

export function recipeFrom(flags: Flags): Int8Recipe {
  const calibration = flags.calibration ?? 'minmax';
  if (calibration !== 'minmax' && calibration !== 'percentile' && calibration !== 'mse') {
    throw new UsageError(`--calibration must be minmax, percentile or mse, not '${calibration}'`);
  }
  return {
    ...DEFAULT_INT8_RECIPE,
    perChannel: !flags['per-tensor'],
    symmetricWeights: !flags.asymmetric,
    calibration,
    percentile: num(flags.percentile, 'percentile', DEFAULT_INT8_RECIPE.percentile),
    samples: positiveInt(flags['calibration-samples'], 'calibration-samples', DEFAULT_INT8_RECIPE.samples)!,
  };
}

export async function quantizeCommand(positional: string[], flags: Flags) {
  if (!flags.int8) throw new UsageError('choose a scheme: --int8 (binary arrives next)');
  if (typeof flags.out !== 'string') throw new UsageError('--out <file.onnx> is needed');
  const recipe = recipeFrom(flags);
  const pre = preprocessFrom(flags);
  const runtime = await openRuntime(positional[0], flags);
  const opts = evalOptions(flags, pre);
  const before = await runtime.evaluate(opts, progress(flags));
  const calImages = typeof flags['calibration-images'] === 'string' ? flags['calibration-images'] : join(MNIST, 'train-images-idx3-ubyte');
  const calLabels = typeof flags['calibration-labels'] === 'string' ? flags['calibration-labels'] : join(MNIST, 'train-labels-idx1-ubyte');
  const runtimeModel = runtime.currentModel!;
  const calibration = await readDataset(calImages, calLabels, 'calibration');
  const q = await runtime.quantizeInt8(recipe, pre, calibration,
    flags.json ? undefined : (done, total) => process.stderr.write(`\rcalibration ${done}/${total}   `));
  const bytes = exportOnnx(q.model);
  writeFileSync(flags.out, bytes);
  await runtime.useModel(q.model, basename(flags.out));
  const after = await runtime.evaluate(opts, progress(flags));
  return {
    out: flags.out, recipe, quantizedLayers: q.plan.layers.map((l) => l.node.name), skipped: q.plan.skipped,
    sizeBytes: { before: before.sizeBytes, after: after.sizeBytes, ratio: before.sizeBytes / after.sizeBytes },
    weightBytes: { before: weightBytes(runtimeModel), after: weightBytes(q.model), ratio: weightBytes(runtimeModel) / weightBytes(q.model) },
    accuracy: { before: before.accuracy, after: after.accuracy, drop: before.accuracy - after.accuracy },
    latencyMs: {
      before: { median: toJson(before).latencyMs.median, p95: toJson(before).latencyMs.p95 },
      after: { median: toJson(after).latencyMs.median, p95: toJson(after).latencyMs.p95 },
    },
    samples: after.samples, device: after.device, isFallback: after.isFallback,
  };
}
