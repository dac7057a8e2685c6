/**
 * `quantize <model.onnx> --int8 ... --out <file.onnx>`: calibrate on the MNIST training set (or
 * --calibration-images/--calibration-labels), write the QDQ model, and report size, accuracy and
 * latency before and after on the evaluation set; --dynamic measures activation ranges per batch
 * at run time (DynamicQuantizeLinear) instead of calibrating them. `--binary` writes the studio's binary format
 * (docs/binary-format.md) instead; it needs no calibration data.
 */
import { statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_INT8_RECIPE, type Int8Recipe } from '../compress/quantize-plan';
import { applyBinary, DEFAULT_BINARY_RECIPE, planBinary, type BinaryRecipe } from '../compress/binarize';
import { weightBytes } from '../compress/storage';
import { ModelError } from '../core/errors';
import type { EvalResult } from '../worker/types';
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
    activations: switchOn(flags, 'dynamic') ? 'dynamic' : 'static',
  };
}

/** A flag that takes no value; the parser would otherwise swallow the next argument as one. */
function switchOn(flags: Flags, name: string): boolean {
  const v = flags[name];
  if (typeof v === 'string') throw new UsageError(`--${name} takes no value (got '${v}'); put the model file before the flags`);
  return v === true;
}

export function binaryRecipeFrom(flags: Flags): BinaryRecipe {
  const keep = switchOn(flags, 'keep-first-last'), all = switchOn(flags, 'binarize-all');
  if (keep && all) throw new UsageError('--keep-first-last and --binarize-all contradict each other; pick one');
  return { ...DEFAULT_BINARY_RECIPE, keepFirstLast: !all, activationScale: switchOn(flags, 'activation-scale') };
}

const latencyOf = (r: EvalResult) => ({ median: toJson(r).latencyMs.median, p95: toJson(r).latencyMs.p95 });

export async function quantizeCommand(positional: string[], flags: Flags) {
  const binary = switchOn(flags, 'binary'), auto = switchOn(flags, 'auto');
  if ([binary, auto, Boolean(flags.int8)].filter(Boolean).length > 1) throw new UsageError('choose one scheme: --int8, --binary or --auto');
  if (binary) return binaryCommand(positional, flags);
  if (auto) return autoCommand(positional, flags);
  if (!flags.int8) throw new UsageError('choose a scheme: --int8, --binary or --auto');
  if (typeof flags.out !== 'string') throw new UsageError('--out <file.onnx> is needed');
  const recipe = recipeFrom(flags);
  const pre = preprocessFrom(flags);
  const dynamicBatch = switchOn(flags, 'dynamic-batch');
  const runtime = await openRuntime(positional[0], flags);
  const opts = evalOptions(flags, pre);
  const calImages = typeof flags['calibration-images'] === 'string' ? flags['calibration-images'] : join(MNIST, 'train-images-idx3-ubyte');
  const calLabels = typeof flags['calibration-labels'] === 'string' ? flags['calibration-labels'] : join(MNIST, 'train-labels-idx1-ubyte');
  const runtimeModel = runtime.currentModel!;
  // Dynamic quantization measures ranges per batch at run time: it reads no calibration data.
  const calibration = recipe.activations === 'dynamic' ? undefined : await readDataset(calImages, calLabels, 'calibration');
  runtime.checkQuantize(recipe, calibration); // every refusal before the slow evaluation and calibration
  const before = await runtime.evaluate(opts, progress(flags));
  const q = await runtime.quantizeInt8(recipe, pre, calibration,
    flags.json ? undefined : (done, total) => process.stderr.write(`\rcalibration ${done}/${total}   `));
  const name = basename(flags.out);
  await runtime.useModel(q.model, name);
  writeFileSync(flags.out, runtime.exportModel(q.model, { dynamicBatch }));
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

/** `quantize <model.onnx> --binary [--keep-first-last | --binarize-all] [--activation-scale] --out <file.onnx>`. */
async function binaryCommand(positional: string[], flags: Flags) {
  const recipe = binaryRecipeFrom(flags);
  if (typeof flags.out !== 'string') throw new UsageError('--out <file.onnx> is needed');
  const pre = preprocessFrom(flags);
  const dynamicBatch = switchOn(flags, 'dynamic-batch');
  const runtime = await openRuntime(positional[0], flags);
  const opts = evalOptions(flags, pre);
  const model = runtime.currentModel!;
  const plan = planBinary(model, recipe);
  if (!plan.layers.length) {
    throw new ModelError(`no layer of this model can be binarized (${plan.kept.map((k) => `'${k.node}': ${k.reason}`).join('; ') || 'it has no Conv or Gemm layers'})`);
  }
  const out = applyBinary(model, plan, recipe);
  // Everything that can refuse the binary model (its ops, its shapes) does so before the slow evaluations.
  await runtime.useModel(out, basename(flags.out));
  await runtime.useModel(model, basename(positional[0]!));
  const before = await runtime.evaluate(opts, progress(flags));
  await runtime.useModel(out, basename(flags.out));
  const bytes = runtime.exportModel(out, { dynamicBatch });
  writeFileSync(flags.out, bytes);
  const after = await runtime.evaluate(opts, progress(flags));
  const names = new Set(plan.layers.map((l) => l.node.name));
  const ratio = (a: number, b: number) => ({ before: a, after: b, ratio: a / b });
  return {
    out: flags.out, recipe, binarizedLayers: [...names], keptFloat: plan.kept,
    fileBytes: ratio(statSync(positional[0]!).size, bytes.length),
    sizeBytes: ratio(before.sizeBytes, after.sizeBytes),
    weightBytes: ratio(weightBytes(model), weightBytes(out)),
    // The binarized layers alone: float32 weights vs packed sign bits + alpha.
    binarizedWeightBytes: ratio(weightBytes(model, names), weightBytes(out, names)),
    accuracy: { before: before.accuracy, after: after.accuracy, drop: before.accuracy - after.accuracy },
    latencyMs: { before: latencyOf(before), after: latencyOf(after) },
    samples: after.samples, device: after.device, isFallback: after.isFallback,
  };
}

/**
 * `quantize <model.onnx> --auto [--budget P] [--with-binary] [--search-samples N] --out <file.onnx>`:
 * the page's Auto. Per-layer sensitivity on the first N items of the evaluation set (int8, and
 * binary with --with-binary), then the smallest mix whose drop on them stays within P points;
 * int8 calibrates on the set's last --calibration-samples items, as in the page.
 */
async function autoCommand(positional: string[], flags: Flags) {
  if (typeof flags.out !== 'string') throw new UsageError('--out <file.onnx> is needed');
  const budgetPoints = num(flags.budget, 'budget', 0.5);
  if (!(budgetPoints >= 0)) throw new UsageError(`--budget must be a number of accuracy points ≥ 0, not ${flags.budget}`);
  const recipe = recipeFrom(flags);
  const pre = preprocessFrom(flags);
  const dynamicBatch = switchOn(flags, 'dynamic-batch');
  const runtime = await openRuntime(positional[0], flags);
  const opts = evalOptions(flags, pre);
  const model = runtime.currentModel!;
  const search = {
    recipe, preprocess: pre, samples: positiveInt(flags['search-samples'], 'search-samples', 1000)!,
    binary: switchOn(flags, 'with-binary'), activationScale: switchOn(flags, 'activation-scale'), budget: budgetPoints / 100,
  };
  runtime.checkSearch(search); // every refusal before the slow evaluation and calibration
  const before = await runtime.evaluate(opts, progress(flags));
  const chosen = await runtime.autoVariant(search, flags.json ? undefined : (p) => process.stderr.write(`\r${p.stage} ${p.done}/${p.total}   `));
  const picked = runtime.currentModel!; // autoVariant makes its choice the current model
  writeFileSync(flags.out, runtime.exportVariant(chosen.fileName, { dynamicBatch }));
  const after = await runtime.evaluate(opts, progress(flags));
  const pts = (v: number) => +(100 * v).toFixed(2);
  return {
    out: flags.out, recipe, budgetPoints, searchSamples: search.samples, precisions: chosen.precisions, studioFormat: chosen.studioFormat,
    sensitivity: chosen.sensitivity.rows.map((r) => ({ layer: r.layer, int8DropPoints: r.int8 ? pts(r.int8.drop) : null, binaryDropPoints: r.binary ? pts(r.binary.drop) : null })),
    searchAccuracy: { baseline: chosen.baseline, chosen: chosen.accuracy, dropPoints: pts(chosen.drop) },
    weightBytes: { before: weightBytes(model), after: weightBytes(picked), ratio: weightBytes(model) / weightBytes(picked) },
    sizeBytes: { before: before.sizeBytes, after: after.sizeBytes, ratio: before.sizeBytes / after.sizeBytes },
    accuracy: { before: before.accuracy, after: after.accuracy, drop: before.accuracy - after.accuracy },
    latencyMs: { before: latencyOf(before), after: latencyOf(after) },
    samples: after.samples, device: after.device, isFallback: after.isFallback,
  };
}
