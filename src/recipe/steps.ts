/**
 * Recipe steps as data: one typed union (int8, binary, mixed, prune, train, distill, evaluate,
 * export) checked by one schema, which the page's forms, the CLI's flags and recipe files all go
 * through. `parseStep` fills the defaults (the resolved settings) and refuses, in words, a kind it
 * does not know, a setting it does not know, a value out of range and settings that contradict
 * each other. Every default has its reason beside it.
 */
import { z } from 'zod';
import { RecipeError } from '../core/errors';
import { LATENCY_BUDGET_MS } from '../core/latency';
import {
  CHANNEL_LAYOUTS, CALIBRATIONS, CRITERIA, DATA_ROLES, GRANULARITIES, OPTIMIZERS, PRECISIONS, PRUNE_SCHEDULES, STRUCTURAL,
  type Preprocess,
} from './vocabulary';
import { parseSchedule } from './lr-schedule';
import { madeFromTeacher, parseArch, parseWidth } from './student-spec';

// No code generation: zod would otherwise compile each schema with `new Function` on its first
// parse (tens of ms of a form's first keystroke, and refused under a strict content security policy).
z.config({ jitless: true });

/** Builds a schema on its first use: building them all costs tens of ms, which a page should not spend while it loads. */
const once = <T>(make: () => T): (() => T) => { let made: T | undefined; return () => (made ??= make()); };

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (i) => `must be one of ${values.join(', ')} (got ${JSON.stringify(i.input)})` });
const whole = (min: number) => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(min, { error: `must be ≥ ${min}` });
const positive = () => z.number({ error: 'must be a number' }).positive({ error: 'must be > 0' }).finite({ error: 'must be finite' });

export const preprocessSchema = once((): z.ZodType<Preprocess> => z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('raw') }),
  z.strictObject({ kind: z.literal('unit') }),
  z.strictObject({ kind: z.literal('normalize'), mean: z.number().finite(), std: positive() }),
  z.strictObject({
    kind: z.literal('channels'), mean: z.array(z.number().finite()).min(1).max(4), std: z.array(positive()).min(1).max(4),
    layout: oneOf(CHANNEL_LAYOUTS),
  }).refine((p) => p.mean.length === p.std.length, { error: 'mean and std need one value per channel each' }),
], { error: 'must be {"kind": "raw"}, {"kind": "unit"}, {"kind": "normalize", "mean": M, "std": S} or {"kind": "channels", "mean": [...], "std": [...], "layout": "NCHW"}' }));

/** Which layers a step touches: by op type, node name or name pattern (a JS regular expression), less the excluded names. */
const targetSchema = once(() => z.strictObject({
  ops: z.array(z.string()).optional(),
  nodes: z.array(z.string()).optional(),
  patterns: z.array(z.string().refine((p) => { try { new RegExp(p); return true; } catch { return false; } }, { error: 'must be a valid regular expression' })).optional(),
  exclude: z.array(z.string()).optional(),
}));
export type Target = z.infer<ReturnType<typeof targetSchema>>;

/** What the run reports the variant against: the largest accuracy drop from the original (points), the most bytes, the slowest latency. */
const goalsSchema = once(() => z.strictObject({
  maxAccuracyDrop: z.number().min(0, { error: 'must be ≥ 0 points' }).optional(),
  maxWeightBytes: whole(1).optional(),
  maxFileBytes: whole(1).optional(),
  maxLatencyMs: z.strictObject({ batch: z.union([z.literal(1), z.literal(64)], { error: 'must be 1 or 64' }), ms: positive() }).optional(),
}));
export type Goals = z.infer<ReturnType<typeof goalsSchema>>;

/** Fields every step may carry in a recipe: a name for the variant, where it starts, which layers, goals. */
const common = () => ({
  /** The variant's name; the step's default name when absent. */
  name: z.string().min(1).optional(),
  /** Where the step starts: the previous step's variant (default), the original, or the variant of step N (1-based). */
  from: z.union([z.literal('previous'), z.literal('original'), whole(1)]).optional(),
  goals: goalsSchema().optional(),
  /** How items become inputs for this step, where it differs from the recipe's. */
  preprocess: preprocessSchema().optional(),
});
const targeted = () => ({ ...common(), target: targetSchema().optional() });

/** int8 settings, shared by the int8 step and the mixed step's int8 layers. */
const int8Fields = () => ({
  // Per output channel is the usual choice for Conv and Gemm weights (ONNX Runtime's default too).
  perChannel: z.boolean().default(true),
  // Symmetric weights (zero point 0) are what integer kernels prefer.
  symmetricWeights: z.boolean().default(true),
  // Static ranges are the fast path; dynamic measures each batch at run time and needs no data.
  activations: oneOf(['static', 'dynamic'] as const).default('static'),
  calibration: oneOf(CALIBRATIONS).default('minmax'),
  // Keeps all but the rarest outliers.
  percentile: z.number().gt(50, { error: 'must be > 50' }).max(100, { error: 'must be ≤ 100' }).default(99.99),
  // A few hundred items pin MNIST-size activation ranges (dynamic activations read none: 0 is fine there).
  samples: whole(0).default(256),
  // The test set's last items, as the page has always calibrated (the quantize card says if they overlap the evaluated ones).
  calibrationData: oneOf(DATA_ROLES).default('test'),
});

/** Training settings shared by train, distill and prune's fine-tuning. */
const lrSchedule = (dflt: string) => z.string().refine((s) => { try { parseSchedule(s); return true; } catch { return false; } },
  { error: 'must be constant, cosine or step:EVERY:GAMMA, optionally +warmup:N' }).default(dflt);
const trainingFields = (lr: number) => ({
  batch: whole(1).max(4096, { error: 'must be at most 4096' }).default(64),
  lr: positive().default(lr),
  optimizer: oneOf(OPTIMIZERS).default('adamw'),
  // SGD's usual momentum; Adam's β1 shares the field.
  momentum: z.number().min(0).lt(1, { error: 'must be < 1' }).default(0.9),
  weightDecay: z.number().min(0, { error: 'must be ≥ 0' }).default(0),
  seed: whole(0).default(1),
  /** All items when absent. */
  trainSamples: whole(1).optional(),
  testSamples: whole(1).optional(),
  data: oneOf(['train', 'test'] as const).default('train'),
  /** Training augmentations for images: a random crop of the image padded by `crop` zero pixels, horizontal flips. */
  augment: z.strictObject({ crop: whole(0).max(64, { error: 'must be at most 64 pixels' }).default(0), flip: z.boolean().default(false) }).optional(),
});

const distillFields = () => ({
  // Hinton et al.'s usual range; α weights the teacher's soft targets.
  temperature: positive().default(4),
  alpha: z.number().min(0, { error: 'must be in [0, 1]' }).max(1, { error: 'must be in [0, 1]' }).default(0.9),
});

const studentText = () => z.string().min(1).superRefine((s, ctx) => {
  const problem = studentSpecProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^'.*?' /, `${JSON.stringify(s)} `).replace(/^"(.*)" /, "'$1' ") });
});

const int8Schema = once(() => z.strictObject({ kind: z.literal('int8'), ...targeted(), ...int8Fields() }));

const binarySchema = once(() => z.strictObject({
  kind: z.literal('binary'), ...targeted(),
  // XNOR-Net's practice: the first and last layers hold few weights and cost the most accuracy.
  keepFirstLast: z.boolean().default(true),
  // β = mean|x| costs a pass over |x|; later work (Bi-Real Net) drops it.
  activationScale: z.boolean().default(false),
}));

const mixedSchema = once(() => z.strictObject({
  kind: z.literal('mixed'), ...targeted(),
  /** Exactly these precisions per Conv/Gemm layer (others fp32)… */
  precisions: z.record(z.string(), oneOf(PRECISIONS)).optional(),
  /** …or the smallest mix within an accuracy-drop budget, measured on the first `samples` test items. */
  auto: z.strictObject({
    budget: z.number({ error: 'must be a number of points' }).min(0, { error: 'must be ≥ 0 points' }),
    samples: whole(1).default(1000),
    binary: z.boolean().default(false),
  }).optional(),
  int8: z.strictObject(int8Fields()).prefault({}),
  activationScale: z.boolean().default(false),
}));

const pruneSchema = once(() => z.strictObject({
  kind: z.literal('prune'), ...targeted(),
  granularity: oneOf(GRANULARITIES).default('fine'),
  criterion: oneOf(CRITERIA).default('l1'),
  sparsity: z.number({ error: 'must be a number' }).min(0, { error: 'must be in [0, 1)' }).lt(1, { error: 'must be in [0, 1)' }).default(0.5),
  /** Per-layer sparsities by node name (block: 1 removes a block, 0 keeps it), overriding `sparsity`. */
  layers: z.record(z.string(), z.number()).optional(),
  scope: oneOf(['layer', 'global'] as const).default('layer'),
  schedule: oneOf(PRUNE_SCHEDULES).default('oneshot'),
  stages: whole(1).optional(),
  // 0 prunes only, which needs no data (unless the criterion is Taylor).
  finetuneEpochs: whole(0).max(1000, { error: 'must be at most 1000' }).default(0),
  distill: z.boolean().default(false),
  ...distillFields(),
  // A smaller step than training from scratch, decaying to zero: the weights are already good.
  ...trainingFields(5e-4),
  lrSchedule: lrSchedule('cosine'),
}));

const trainSchema = once(() => z.strictObject({
  kind: z.literal('train'), ...common(),
  /** 'input' trains the variant further; a spec (mlp:784-64-10, cnn:8-16-10, convnet) trains a fresh model on hard labels. */
  student: studentText().default('input'),
  epochs: whole(1).max(1000, { error: 'must be at most 1000' }).default(3),
  ...trainingFields(1e-3),
  schedule: lrSchedule('constant'),
}));

const distillSchema = once(() => z.strictObject({
  kind: z.literal('distill'), ...common(),
  /** A spec, width:0.5, binary / int8 (the teacher trained quantisation-aware), or 'input' (the variant itself as the student). */
  student: studentText(),
  /** 'input' (the variant the step starts from), 'original', 'step:N' (the variant of step N of the recipe) or 'variant:<id>'. */
  teacher: z.string().regex(/^(input|original|step:[1-9][0-9]*|variant:[0-9a-f]+)$/, { error: "must be 'input', 'original', 'step:N' or 'variant:<id>'" }).default('input'),
  ...distillFields(),
  epochs: whole(1).max(1000, { error: 'must be at most 1000' }).default(3),
  ...trainingFields(1e-3),
  schedule: lrSchedule('constant'),
}));

const evaluateSchema = once(() => z.strictObject({
  kind: z.literal('evaluate'), ...common(),
  /** The first N test items (all when absent). */
  samples: whole(1).optional(),
  batch: whole(1).default(64),
  // The benchmark protocol: at least 10 runs after warm-up; 20 for a steadier p95.
  runs: whole(1).default(20),
  latency: z.boolean().default(true),
  // Each batch size's warm-up and runs stop after this long (larger batches scale from smaller ones), so a large model answers in seconds.
  latencyBudgetMs: whole(1).default(LATENCY_BUDGET_MS),
}));

const exportSchema = once(() => z.strictObject({
  kind: z.literal('export'), ...common(),
  // The user's other tools expect the signature they exported.
  dynamicBatch: z.boolean().default(false),
  fileName: z.string().regex(/^[^/\\]+\.onnx$/, { error: 'must be a file name ending in .onnx' }).optional(),
}));

const SCHEMAS = {
  int8: int8Schema, binary: binarySchema, mixed: mixedSchema, prune: pruneSchema,
  train: trainSchema, distill: distillSchema, evaluate: evaluateSchema, export: exportSchema,
} as const;

export type StepKind = keyof typeof SCHEMAS;
export const STEP_KINDS = Object.keys(SCHEMAS) as StepKind[];

export type Int8Step = z.output<ReturnType<typeof int8Schema>>;
export type BinaryStep = z.output<ReturnType<typeof binarySchema>>;
export type MixedStep = z.output<ReturnType<typeof mixedSchema>>;
export type PruneStep = z.output<ReturnType<typeof pruneSchema>>;
export type TrainStep = z.output<ReturnType<typeof trainSchema>>;
export type DistillStep = z.output<ReturnType<typeof distillSchema>>;
export type EvaluateStep = z.output<ReturnType<typeof evaluateSchema>>;
export type ExportStep = z.output<ReturnType<typeof exportSchema>>;
/** A step with every default filled in: what the runtime applies. */
export type Step = Int8Step | BinaryStep | MixedStep | PruneStep | TrainStep | DistillStep | EvaluateStep | ExportStep;
/** A step as written: only `kind` is required. */
export type AuthoredStep = { [K in StepKind]: z.input<ReturnType<(typeof SCHEMAS)[K]>> }[StepKind];
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;

/** Steps that make a variant (evaluate measures one, export writes one). */
export const MAKES_VARIANT: Record<StepKind, boolean> = {
  int8: true, binary: true, mixed: true, prune: true, train: true, distill: true, evaluate: false, export: false,
};

/** Whether a step (resolved, or as written with defaults left out) trains on the training set. */
export function readsTrainingSet(step: { kind?: unknown; finetuneEpochs?: unknown; data?: unknown }): boolean {
  const trains = step.kind === 'train' || step.kind === 'distill' || (step.kind === 'prune' && typeof step.finetuneEpochs === 'number' && step.finetuneEpochs > 0);
  return trains && (step.data ?? 'train') === 'train';
}

/** Why a student spec cannot be read, or null. */
export function studentSpecProblem(spec: string): string | null {
  const s = spec.trim();
  if (s === 'input' || s === 'binary' || s === 'int8' || /^variant:[0-9a-f]+$/.test(s)) return null;
  try {
    if (s.startsWith('width:')) { parseWidth(s); return null; }
    parseArch(s);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Rules across fields, written once for the page, the CLI and recipe files. */
function crossFieldProblems(step: Step): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (step.kind === 'prune') {
    if (step.schedule !== 'oneshot' && !step.finetuneEpochs) out.push({ path: 'schedule', message: `the ${step.schedule} schedule fine-tunes between its stages: give fine-tuning epochs, or prune one-shot` });
    if (step.distill && !step.finetuneEpochs) out.push({ path: 'distill', message: 'distillation happens while fine-tuning: give fine-tuning epochs' });
    if (step.scope === 'global' && STRUCTURAL.includes(step.granularity)) out.push({ path: 'scope', message: `a global threshold ranks single weights, vectors and kernels; ${step.granularity} pruning takes its share per layer` });
    for (const [layer, v] of Object.entries(step.layers ?? {})) {
      const ok = step.granularity === 'block' ? v === 0 || v === 1 : v >= 0 && v < 1;
      if (!ok) out.push({ path: `layers.${layer}`, message: step.granularity === 'block' ? 'must be 1 (the block is removed) or 0 (kept)' : 'must be a sparsity in [0, 1)' });
    }
    if (step.criterion === 'taylor' && step.granularity === 'block') out.push({ path: 'criterion', message: 'the Taylor criterion ranks weights and filters; rank blocks by l1, l2, bn or random' });
  }
  if (step.kind === 'mixed' && Boolean(step.precisions) === Boolean(step.auto)) {
    out.push({ path: 'precisions', message: 'give either per-layer precisions or an auto budget, not both and not neither' });
  }
  // Static activations are calibrated: at least one item (a mix without int8 layers calibrates nothing).
  const calibrates = step.kind === 'int8' ? step : step.kind === 'mixed' && (step.auto || Object.values(step.precisions ?? {}).includes('int8')) ? step.int8 : null;
  if (calibrates && calibrates.activations === 'static' && calibrates.samples < 1) {
    out.push({ path: step.kind === 'int8' ? 'samples' : 'int8.samples', message: 'static int8 calibration needs at least one sample: set 1 or more (a few hundred is typical), or use dynamic activations, which need none' });
  }
  if (step.kind === 'train' && madeFromTeacher(step.student)) {
    out.push({ path: 'student', message: `the '${step.student}' student is made from a teacher: use a distill step` });
  }
  return out;
}

const at = (value: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);

/** One issue as a person reads it: `sparsity must be in [0, 1) (got 1.5)`. */
function issueText(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  const got = at(raw, issue.path);
  // An empty form field arrives as NaN: there is nothing to quote.
  const shown = got === undefined || (typeof got === 'number' && Number.isNaN(got)) ? '' : ` (got ${JSON.stringify(got)})`;
  const quoted = typeof got === 'string' && issue.message.includes(`'${got}'`);
  const message = issue.message.includes('(got ') || quoted ? issue.message : `${issue.message}${shown}`;
  return path ? `${path} ${message}` : message;
}

/**
 * A step from plain data: defaults filled in, every refusal a RecipeError in words. `where` names
 * it in messages ('step 2'); settings the kind does not take are named with the ones it does.
 */
export function parseStep(raw: unknown, where = 'the step'): Step {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RecipeError(`${where} must be an object with a "kind" (one of ${STEP_KINDS.join(', ')})`);
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(kind in SCHEMAS)) {
    throw new RecipeError(`${where}: unknown step ${kind === undefined ? '(no "kind")' : `'${String(kind)}'`}; steps are ${STEP_KINDS.join(', ')}`);
  }
  const schema = SCHEMAS[kind as StepKind]();
  const r = schema.safeParse(raw);
  const label = `${where} (${kind})`;
  if (!r.success) {
    const unknownKeys = r.error.issues.some((i) => i.code === 'unrecognized_keys');
    const common = ['name', 'from', 'goals', 'preprocess', 'target'];
    const own = Object.keys(schema.shape).filter((k) => k !== 'kind' && !common.includes(k));
    const takes = unknownKeys ? `; ${kind} takes ${own.join(', ')} (and ${common.filter((k) => k in schema.shape).join(', ')})` : '';
    throw new RecipeError(`${label}: ${r.error.issues.map((i) => issueText(i, raw)).join('; ')}${takes}`);
  }
  const step = r.data as Step;
  const problems = crossFieldProblems(step);
  if (problems.length) throw new RecipeError(`${label}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return step;
}

/** Each field's problem for a form: field path → message (empty when the step is fine). */
export function stepProblems(raw: unknown): Record<string, string> {
  const kind = (raw as { kind?: StepKind }).kind;
  const schema = kind && SCHEMAS[kind]?.();
  if (!schema) return { kind: `unknown step '${String(kind)}'` };
  const r = schema.safeParse(raw);
  if (r.success) return Object.fromEntries(crossFieldProblems(r.data as Step).map((p) => [p.path, p.message]));
  const out: Record<string, string> = Object.fromEntries(r.error.issues.map((i) => [i.path.map(String).join('.') || 'kind', issueText(i, raw)]));
  // The rules across fields too, with the bad fields at their defaults: a form shows every problem at once.
  const bad = new Set(r.error.issues.map((i) => String(i.path[0] ?? '')));
  const rest = schema.safeParse(Object.fromEntries(Object.entries(raw as object).filter(([k]) => !bad.has(k))));
  if (rest.success) for (const p of crossFieldProblems(rest.data as Step)) if (!bad.has(p.path.split('.')[0]!)) out[p.path] ??= p.message;
  return out;
}

/** The authored form of a resolved step: only the settings that differ from the defaults. */
export function authoredOf(step: Step): AuthoredStep {
  const defaults = SCHEMAS[step.kind]().parse({ kind: step.kind, ...(step.kind === 'distill' ? { student: step.student } : {}), ...(step.kind === 'mixed' ? { auto: step.auto, precisions: step.precisions } : {}) }) as Record<string, unknown>;
  const out: Record<string, unknown> = { kind: step.kind };
  for (const [k, v] of Object.entries(step)) if (k !== 'kind' && JSON.stringify(v) !== JSON.stringify(defaults[k])) out[k] = v;
  if (step.kind === 'distill') out.student = step.student;
  if (step.kind === 'mixed') { if (step.auto) out.auto = step.auto; if (step.precisions) out.precisions = step.precisions; }
  return out as AuthoredStep;
}

export { canonicalJson } from './canonical';

/** A step kind's zod schema (built on first use; the reference document turns it into JSON Schema). */
export function stepSchema(kind: StepKind): z.ZodType {
  return SCHEMAS[kind]();
}
