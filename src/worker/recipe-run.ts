/**
 * Running a recipe on the runtime, one job for the whole list (page and CLI run the same code, so
 * the same recipe and seed give the same bytes in both): each step starts from the variant it names
 * (the previous one by default), evaluate steps measure it, export steps hand its file over, and the
 * report says for every step what it made and how it stands against its goals. Refusals that need
 * no GPU work come before the first step: every step's data, and every step that starts from the
 * loaded file checked in full.
 */
import { pixelPreprocess } from '../recipe/image-spec';
import { RecipeError } from '../core/errors';
import type { ParsedRecipe } from '../recipe/recipe';
import { describeStep } from '../recipe/describe';
import { MAKES_VARIANT, parseStep, type Goals, type Step } from '../recipe/steps';
import { latencyAt, latestMeasurement, type Measurement, type VariantRecord } from '../recipe/variant';
import type { DataRole } from '../recipe/vocabulary';
import type { StudioRuntime } from './runtime';
import type { PruneProgress, TrainProgress } from './types';

export interface GoalResult {
  goal: string;
  /** The measured value (points, bytes or ms), null when not measured. */
  value: number | null;
  limit: number;
  met: boolean | null;
  note: string;
}

export interface StepReport {
  index: number;
  kind: Step['kind'];
  description: string;
  /** The variant the step started from, and the one it made (or measured, or exported). */
  inputId: string;
  variantId: string | null;
  name: string | null;
  measurement: Measurement | null;
  /** An export step: the file name and its bytes. */
  file: { name: string; bytes: Uint8Array; dynamicBatch: boolean } | null;
  goals: GoalResult[];
  seconds: number;
}

export interface RecipeReport {
  recipe: string | null;
  rootId: string;
  steps: StepReport[];
  /** Every goal met (null: some were not measured). */
  goalsMet: boolean | null;
  seconds: number;
}

/** The data roles a step reads (checked for all steps before the first one runs). */
function rolesOf(step: Step): DataRole[] {
  switch (step.kind) {
    case 'int8': return step.activations === 'dynamic' ? [] : [step.calibrationData];
    case 'mixed': return step.auto ? ['test', step.int8.calibrationData] : step.int8.activations === 'dynamic' ? [] : [step.int8.calibrationData];
    case 'prune': return step.finetuneEpochs || step.criterion === 'taylor' ? ['test', step.data === 'test' ? 'test' : 'train'] : [];
    case 'train': case 'distill': return ['test', step.data === 'test' ? 'test' : 'train'];
    case 'evaluate': return ['test'];
    default: return [];
  }
}

function goalResults(goals: Goals | undefined, r: VariantRecord, root: VariantRecord): GoalResult[] {
  if (!goals) return [];
  const out: GoalResult[] = [];
  const m = latestMeasurement(r);
  if (goals.maxAccuracyDrop !== undefined) {
    const base = m ? latestMeasurement(root, m.key) : null;
    const drop = m && base ? 100 * (base.top1 - m.top1) : null;
    out.push({
      goal: 'accuracy drop (points)', value: drop, limit: goals.maxAccuracyDrop, met: drop === null ? null : drop <= goals.maxAccuracyDrop + 1e-9,
      note: drop === null ? 'not measured: add an evaluate step after this one' : `${(100 * base!.top1).toFixed(2)} % → ${(100 * m!.top1).toFixed(2)} % on ${m!.key.samples} items`,
    });
  }
  if (goals.maxWeightBytes !== undefined) out.push({ goal: 'weight bytes', value: r.stats.weightBytes, limit: goals.maxWeightBytes, met: r.stats.weightBytes <= goals.maxWeightBytes, note: '' });
  if (goals.maxFileBytes !== undefined) out.push({ goal: 'file bytes', value: r.stats.fileBytes, limit: goals.maxFileBytes, met: r.stats.fileBytes <= goals.maxFileBytes, note: '' });
  if (goals.maxLatencyMs) {
    const l = latencyAt(m, goals.maxLatencyMs.batch);
    out.push({
      goal: `latency at batch ${goals.maxLatencyMs.batch} (ms)`, value: l?.medianMs ?? null, limit: goals.maxLatencyMs.ms,
      met: l ? l.medianMs <= goals.maxLatencyMs.ms : null, note: l ? `median of ${l.runs} runs on ${m!.key.adapter}` : 'not measured: add an evaluate step with latency after this one',
    });
  }
  return out;
}

export async function runRecipe(rt: StudioRuntime, parsed: ParsedRecipe, rootId: string,
  opts: { signal?: AbortSignal; onTrain?: (p: TrainProgress | PruneProgress) => void; onStep?: (s: StepReport) => void } = {}): Promise<RecipeReport> {
  const { recipe, steps } = parsed;
  const root = rt.variants.record(rootId);
  if (root.parentId) throw new RecipeError(`a recipe starts from a loaded file; '${root.name}' was made from another variant`);
  if (recipe.model?.sha256 && recipe.model.sha256 !== root.modelSha256) {
    rt.events.notice('warning', 'Another file', `The recipe was written for ${recipe.model.fileName}; it runs on ${root.source?.fileName ?? root.name}, a different file.`);
  }
  // Image data carries its own spec: its per-channel normalisation stands in for the header's scalar one.
  const spec = rt.data.get('test')?.record.spec;
  const header = spec && recipe.preprocess.kind !== 'channels' ? pixelPreprocess(spec) : recipe.preprocess;
  const preprocessOf = (s: Step) => s.preprocess ?? header;
  // Data first, for every step: a missing set is refused before any work.
  for (const [i, s] of steps.entries()) for (const role of rolesOf(s)) rt.data.need(role, `step ${i + 1} (${s.kind})`);
  const t0 = performance.now();
  return rt.jobs.run({ kind: 'recipe', label: `Running ${recipe.name ? `the recipe '${recipe.name}'` : 'a recipe'} on ${root.name}` }, async (job) => {
    // Steps that start from the file are checked in full before the first one runs.
    for (const [i, s] of steps.entries()) {
      if ((i === 0 && s.from === undefined) || s.from === 'original') {
        try { await rt.checkStep(resolveTeacher(s, [], rootId), rootId, preprocessOf(s)); } catch (e) { throw prefixed(e, i, s); }
      }
    }
    const made: (string | null)[] = [];
    const reports: StepReport[] = [];
    let previous = rootId;
    for (const [i, raw] of steps.entries()) {
      const started = performance.now();
      const inputId = raw.from === 'original' ? rootId : typeof raw.from === 'number' ? made[raw.from - 1]! : previous;
      const step = resolveTeacher(raw, made, rootId);
      job.progress({ stage: `step ${i + 1} of ${steps.length}: ${step.kind}`, done: i, total: steps.length, detail: describeStep(step) });
      let variantId: string | null = null, measurement: Measurement | null = null, file: StepReport['file'] = null;
      try {
        if (MAKES_VARIANT[step.kind]) {
          await rt.checkStep(step, inputId, preprocessOf(step));
          const r = await rt.makeVariant(step, recipe.steps[i], inputId, preprocessOf(step), job, opts.onTrain);
          variantId = r.id;
          previous = r.id;
        } else if (step.kind === 'evaluate') {
          variantId = inputId;
          measurement = await rt.evaluation.measureInJob(inputId, step, preprocessOf(step), job);
          // The loaded file on the same terms, so accuracy drops can be reported.
          if (inputId !== rootId && !latestMeasurement(rt.variants.record(rootId), measurement.key)) await rt.evaluation.measureInJob(rootId, step, preprocessOf(step), job);
        } else if (step.kind === 'export') {
          variantId = inputId;
          const r = rt.variants.record(inputId);
          file = { name: step.fileName ?? `${r.name}.onnx`, bytes: await rt.exportVariant(inputId, { dynamicBatch: step.dynamicBatch }), dynamicBatch: step.dynamicBatch };
        }
      } catch (e) {
        throw prefixed(e, i, step);
      }
      made.push(MAKES_VARIANT[step.kind] ? variantId : null);
      const rec = variantId ? rt.variants.record(variantId) : null;
      const report: StepReport = {
        index: i + 1, kind: step.kind, description: describeStep(step), inputId, variantId, name: rec?.name ?? null, measurement, file,
        goals: [], seconds: (performance.now() - started) / 1000,
      };
      reports.push(report);
      opts.onStep?.(report);
    }
    // Goals last: a later evaluate step measures an earlier step's variant.
    for (const r of reports) {
      const goals = steps[r.index - 1]!.goals;
      if (goals && r.variantId) r.goals = goalResults(goals, rt.variants.record(r.variantId), rt.variants.record(rootId));
    }
    const all = reports.flatMap((r) => r.goals);
    return {
      recipe: recipe.name ?? null, rootId, steps: reports,
      goalsMet: all.some((g) => g.met === false) ? false : all.some((g) => g.met === null) ? null : true, seconds: (performance.now() - t0) / 1000,
    };
  }, opts.signal);
}

/** A distill step's `teacher: "step:N"` as the variant step N made. */
function resolveTeacher(step: Step, made: (string | null)[], rootId: string): Step {
  if (step.kind !== 'distill' || !step.teacher.startsWith('step:')) return step;
  const n = Number(step.teacher.slice(5));
  const id = made[n - 1];
  if (id === undefined) return { ...step, teacher: `variant:${rootId}` }; // only checked before the run: the data and settings, not the teacher
  if (id === null) throw new RecipeError(`step ${made.length + 1} (distill) takes its teacher from step ${n}, which made no variant`);
  return parseStep({ ...step, teacher: `variant:${id}` });
}

function prefixed(e: unknown, i: number, s: Step): unknown {
  if (e instanceof Error && 'kind' in e && (e as { kind: string }).kind !== 'cancelled' && !e.message.startsWith('step ')) e.message = `step ${i + 1} (${s.kind}): ${e.message}`;
  return e;
}
