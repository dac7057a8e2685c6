/**
 * Applying one step to a variant, for the page and the CLI alike: `checkStep` makes every refusal the
 * step can make without GPU work (so a recipe or a command is refused before its first slow step),
 * `applyStep` runs it and says what the new model is, what it is made from and what the job
 * reported. Compressions start from the input's float model (int8 of an int8 variant re-quantizes
 * its float parent); evaluate and export steps are the runtime's own.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { ModelError } from '../core/errors';
import { batchFor, checkFits } from '../data/dataset';
import { quantizeInt8 } from '../compress/int8';
import { DEFAULT_INT8_RECIPE, type Int8Recipe } from '../compress/quantize-plan';
import { applyBinary, planBinary, type BinaryRecipe } from '../compress/binarize';
import { planMixed, precisionLayers, usesStudioFormat } from '../compress/mixed-precision';
import { selectLayers } from '../compress/targets';
import type { BinaryStep, Int8Step, MixedStep, Step, StepOf } from '../recipe/steps';
import type { DataRole, Preprocess, Technique } from '../recipe/vocabulary';
import type { VariantStore } from './variant-store';
import type { ProjectData } from './datasets';
import type { JobHandle } from './jobs';
import { checkInt8Inputs, modelInput, type MixedPrecisionRuns } from './mixed-search';
import { checkPruneStep, runPruneJob } from './pruning';
import { checkTrainStep, runTraining, teacherIdOf } from './train-job';
import type { PruneProgress, TrainProgress } from './types';

export interface StepHost {
  device(): Promise<GpuContext>;
  data: ProjectData;
  variants: VariantStore;
  mixed: MixedPrecisionRuns;
}

/** What a step made: the model, what it counts as made from, and what the job reported (plain data). */
export interface StepOutcome {
  model: Model;
  technique: Technique;
  parentId: string;
  teacherId: string | null;
  ownSignature: boolean | null;
  details: Record<string, unknown>;
  /** The data roles it read, for the record's context. */
  read: DataRole[];
}

/** The int8 recipe of a step (or a mixed step's int8 part), its target turned into per-layer precisions. */
export function int8RecipeOf(model: Model, s: Omit<Int8Step, 'kind'>): Int8Recipe {
  const recipe: Int8Recipe = {
    ...DEFAULT_INT8_RECIPE, perChannel: s.perChannel, symmetricWeights: s.symmetricWeights, activations: s.activations,
    calibration: s.calibration, percentile: s.percentile, samples: s.samples, layers: {}, defaultPrecision: 'int8',
  };
  const chosen = selectLayers(precisionLayers(model).map((l) => ({ name: l.name, opType: l.opType })), s.target, 'int8');
  if (chosen) return { ...recipe, defaultPrecision: 'fp32', layers: Object.fromEntries([...chosen].map((n) => [n, 'int8' as const])) };
  return recipe;
}

function binaryRecipeOf(model: Model, s: BinaryStep): BinaryRecipe {
  const chosen = selectLayers(precisionLayers(model).map((l) => ({ name: l.name, opType: l.opType })), s.target, 'binarization');
  return {
    keepFirstLast: s.keepFirstLast, activationScale: s.activationScale,
    layers: chosen ? Object.fromEntries(precisionLayers(model).map((l) => [l.name, chosen.has(l.name) ? 'binary' as const : 'fp32' as const])) : {},
  };
}

/** The per-layer precisions of an explicit mixed step, its target keeping the layers it does not select fp32. */
function mixedChoices(model: Model, s: MixedStep): Record<string, 'fp32' | 'int8' | 'binary'> {
  const chosen = selectLayers(precisionLayers(model).map((l) => ({ name: l.name, opType: l.opType })), s.target, 'mixed precision');
  return Object.fromEntries(Object.entries(s.precisions ?? {}).map(([l, p]) => [l, chosen && !chosen.has(l) ? 'fp32' : p]));
}

function binaryPlan(model: Model, s: BinaryStep) {
  const plan = planBinary(model, binaryRecipeOf(model, s));
  if (!plan.layers.length) throw new ModelError(`no layer of this model can be binarized (${plan.kept.map((k) => `'${k.node}': ${k.reason}`).join('; ') || 'it has no Conv or Gemm layers'})`);
  return plan;
}

/**
 * The items a static int8 step calibrates on: the set must fit the model (said first: a set of the
 * wrong shape is the mistake to fix, not its size), then hold the samples asked.
 */
function calibrationSet(host: StepHost, model: Model, s: Omit<Int8Step, 'kind'>) {
  if (s.activations === 'dynamic') return null;
  const input = modelInput(model);
  checkFits(host.data.need(s.calibrationData, 'static int8 calibration').ds, input.shape, input.name);
  return host.data.calibrationItems(s.calibrationData, s.samples).ds;
}

/** Every refusal the step can make against this input and the loaded data, without GPU work. */
export async function checkStep(host: StepHost, step: Step, inputId: string, preprocess: Preprocess): Promise<void> {
  const store = host.variants;
  const source = store.floatSource(inputId);
  switch (step.kind) {
    case 'int8': {
      const model = await store.model(source.id);
      checkInt8Inputs(model, int8RecipeOf(model, step), calibrationSet(host, model, step));
      return;
    }
    case 'binary': binaryPlan(await store.model(source.id), step); return;
    case 'mixed': {
      const base = { model: await store.model(source.id), name: source.id };
      if (step.auto) {
        host.mixed.check(base, { recipe: int8RecipeOf(base.model, step.int8), preprocess, samples: step.auto.samples, binary: step.auto.binary, activationScale: step.activationScale, calibrationData: step.int8.calibrationData });
      } else {
        const plan = planMixed(base.model, mixedChoices(base.model, step), int8RecipeOf(base.model, step.int8), step.activationScale);
        if (plan.int8.length) calibrationSet(host, base.model, step.int8);
      }
      return;
    }
    case 'prune': checkPruneStep(host, await store.model(source.id), step, preprocess); return;
    case 'train': case 'distill': await checkTrainStep(host, step, inputId, preprocess); return;
    case 'evaluate': {
      const test = host.data.need('test', 'Evaluation');
      const input = modelInput(await store.model(inputId));
      checkFits(test.ds, input.shape, input.name);
      return;
    }
    case 'export': return;
  }
}

/** Runs a step that makes a variant. */
export async function applyStep(host: StepHost, step: Step, inputId: string, preprocess: Preprocess, job: JobHandle,
  onTrain?: (p: TrainProgress | PruneProgress) => void): Promise<StepOutcome> {
  const store = host.variants;
  const source = store.floatSource(inputId);
  const calibrationProgress = (done: number, total: number) => job.progress({ stage: 'calibration', done, total });
  switch (step.kind) {
    case 'int8': {
      const model = await store.model(source.id);
      const recipe = int8RecipeOf(model, step);
      const cal = calibrationSet(host, model, step);
      checkInt8Inputs(model, recipe, cal);
      const input = modelInput(model);
      // Dynamic activations are measured per batch at run time: no data is read.
      const batchAt = (s: number, n: number) => batchFor(cal!, s, n, preprocess, input.shape, input.name);
      job.progress({ stage: 'calibration', done: 0, total: cal ? step.samples : 0 });
      const q = await quantizeInt8(await host.device(), model, recipe, batchAt, calibrationProgress, job.signal);
      return {
        model: q.model, technique: 'int8', parentId: source.id, teacherId: null, ownSignature: null, read: cal ? [step.calibrationData] : [],
        details: { quantized: q.plan.layers.map((l) => l.node.name), skipped: q.plan.skipped },
      };
    }
    case 'binary': {
      const model = await store.model(source.id);
      const plan = binaryPlan(model, step);
      job.progress({ stage: 'binarize', done: 0, total: 1 });
      return {
        model: applyBinary(model, plan, binaryRecipeOf(model, step)), technique: 'binary', parentId: source.id, teacherId: null, ownSignature: null, read: [],
        details: { binarized: plan.layers.map((l) => l.node.name), kept: plan.kept },
      };
    }
    case 'mixed': return mixed(host, step, source.id, preprocess, job);
    case 'prune': {
      const { info, model } = await runPruneJob(host, await store.model(source.id), step, preprocess, job, onTrain);
      const read: DataRole[] = [...(step.finetuneEpochs || step.criterion === 'taylor' ? [step.data] : []), ...(info.accuracy.before !== null ? ['test' as const] : [])];
      return { model, technique: 'pruned', parentId: source.id, teacherId: step.distill ? source.id : null, ownSignature: null, read, details: { pruned: info } };
    }
    case 'train': case 'distill': {
      const run = await runTraining(host, step, inputId, preprocess, job, onTrain);
      return {
        model: run.deployed, technique: run.technique, parentId: run.parentId, teacherId: run.teacherId, ownSignature: run.ownSignature,
        read: [step.data === 'test' ? 'test' : 'train', 'test'],
        details: {
          trained: {
            student: run.studentName, teacher: run.teacherId ? store.record(run.teacherId).name : null,
            temperature: step.kind === 'distill' ? step.temperature : null, alpha: step.kind === 'distill' ? step.alpha : null,
            epochs: step.epochs, samples: run.trainSamples, testSamples: run.testSamples, outcome: run.result.outcome, message: run.result.message,
            testAccuracy: run.testAccuracy, stepsDone: run.result.steps_done, totalSteps: run.totalSteps, seconds: run.seconds,
            history: run.result.epochs, gpuBytes: run.result.gpuBytes, width: run.width,
          },
        },
      };
    }
    default: throw new ModelError(`a ${step.kind} step makes no variant`);
  }
}

async function mixed(host: StepHost, step: StepOf<'mixed'>, sourceId: string, preprocess: Preprocess, job: JobHandle): Promise<StepOutcome> {
  const base = { model: await host.variants.model(sourceId), name: sourceId };
  const recipe = int8RecipeOf(base.model, step.int8);
  const role = step.int8.calibrationData;
  if (step.auto) {
    const opts = { recipe, preprocess, samples: step.auto.samples, binary: step.auto.binary, activationScale: step.activationScale, budget: step.auto.budget / 100, calibrationData: role };
    host.mixed.check(base, opts);
    const choice = await host.mixed.auto(base, opts, (p) => job.progress({ stage: p.stage, done: p.done, total: p.total, detail: p.label }), job.signal);
    return {
      model: choice.model, technique: 'mixed', parentId: sourceId, teacherId: null, ownSignature: null, read: ['test', ...(role === 'test' ? [] : [role])],
      details: {
        precisions: choice.layers, studioFormat: usesStudioFormat(choice.model),
        auto: { budget: opts.budget, drop: choice.drop, accuracy: choice.accuracy, baseline: choice.sensitivity.baseline, samples: opts.samples },
        sensitivity: choice.sensitivity,
      },
    };
  }
  const { plan, model } = await host.mixed.buildMix(base, mixedChoices(base.model, step), recipe, step.activationScale, preprocess, role,
    (done, total) => job.progress({ stage: 'calibration', done, total }), job.signal);
  return {
    model, technique: 'mixed', parentId: sourceId, teacherId: null, ownSignature: null, read: plan.int8.length && step.int8.activations !== 'dynamic' ? [role] : [],
    details: { precisions: plan.layers, studioFormat: usesStudioFormat(model) },
  };
}

export { teacherIdOf };
