/**
 * One description and one default name per step kind: what the lineage, the dashboard, the CLI's
 * report and a recipe's listing say about a step, and what a new variant is called until the user
 * renames it. Names are for people; a variant's id is what code uses, so two runs that differ only
 * where the name is silent still make two variants.
 */
import { canonicalJson } from './canonical';
import { fmtInt } from '../core/format';
import type { Step, StepKind, StepOf } from './steps';
import { STRUCTURAL, type Technique } from './vocabulary';

const pct = (s: number) => `${+(100 * s).toFixed(2)} %`;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function targetText(step: { target?: { ops?: string[]; nodes?: string[]; patterns?: string[]; exclude?: string[] } }): string {
  const t = step.target;
  if (!t) return '';
  const parts = [
    t.ops?.length ? `ops ${t.ops.join('/')}` : '', t.nodes?.length ? `layers ${t.nodes.join(', ')}` : '',
    t.patterns?.length ? `matching ${t.patterns.map((p) => `/${p}/`).join(' or ')}` : '', t.exclude?.length ? `except ${t.exclude.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? ` (only ${parts.join(', ')})` : '';
}

function int8Text(s: Omit<StepOf<'int8'>, 'kind' | 'name' | 'from' | 'goals' | 'target'>): string {
  const weights = `${s.perChannel ? 'per-channel' : 'per-tensor'} ${s.symmetricWeights ? 'symmetric' : 'asymmetric'} weights`;
  if (s.activations === 'dynamic') return `${weights}, dynamic activations (ranges per batch at run time, no calibration data)`;
  const how = s.calibration === 'percentile' ? `percentile ${s.percentile}` : s.calibration;
  const from = s.calibrationData === 'test' ? 'last test items' : `${s.calibrationData} items`;
  return `${weights}, static activations calibrated by ${how} on ${s.samples} ${from}`;
}

function trainingText(s: StepOf<'train'> | StepOf<'distill'> | StepOf<'prune'>, epochs: number): string {
  const items = s.trainSamples ? `${fmtInt(s.trainSamples)} ` : 'all ';
  const schedule = s.kind === 'prune' ? s.lrSchedule : s.schedule;
  return `${plural(epochs, 'epoch')} on ${items}${s.data === 'train' ? 'training' : 'test'} items, ${s.optimizer} lr ${s.lr} (${schedule}), batch ${s.batch}, seed ${s.seed}`;
}

const DESCRIBE: { [K in StepKind]: (s: StepOf<K>) => string } = {
  int8: (s) => `int8: ${int8Text(s)}${targetText(s)}`,
  binary: (s) => `binary (XNOR-Net): ${s.keepFirstLast ? 'first and last layers kept float32' : 'every layer'}${s.activationScale ? ', activations scaled by β = mean|x|' : ''}${targetText(s)}`,
  mixed: (s) => s.auto
    ? `mixed precision, automatic: the smallest fp32/int8${s.auto.binary ? '/binary' : ''} mix within ${s.auto.budget} points on the first ${s.auto.samples} test items; int8 layers ${int8Text(s.int8)}`
    : `mixed precision: ${Object.entries(s.precisions ?? {}).map(([l, p]) => `${l} ${p}`).join(', ')}; int8 layers ${int8Text(s.int8)}`,
  prune: (s) => {
    const how = s.granularity === '2:4' ? '2:4 (two of every four weights)' : s.granularity === 'block'
      ? `block: ${s.layers ? `the blocks named (${Object.entries(s.layers).filter(([, v]) => v === 1).map(([k]) => k).join(', ')})` : `${pct(s.sparsity)} of the removable blocks`}`
      : `${s.granularity}: ${s.layers ? `per layer ${Object.entries(s.layers).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}` : pct(s.sparsity)}${STRUCTURAL.includes(s.granularity) ? '' : s.scope === 'global' ? ', one threshold over all layers' : ', each layer'}`;
    const tune = s.finetuneEpochs ? `; ${s.schedule}, fine-tuned ${trainingText(s, s.finetuneEpochs)}${s.distill ? `, distilled from the unpruned model (T ${s.temperature}, α ${s.alpha})` : ''}` : '; one-shot, no fine-tuning';
    return `prune ${how}, ranked by ${s.criterion}${targetText(s)}${tune}`;
  },
  train: (s) => `train ${s.student === 'input' ? 'further' : s.student} on hard labels: ${trainingText(s, s.epochs)}`,
  distill: (s) => `distil ${s.student === 'input' ? 'the variant itself' : s.student} from ${s.teacher === 'input' ? 'it' : s.teacher === 'original' ? 'the original' : s.teacher} (T ${s.temperature}, α ${s.alpha}): ${trainingText(s, s.epochs)}`,
  evaluate: (s) => `evaluate on ${s.samples ? `the first ${fmtInt(s.samples)}` : 'all'} test items${s.latency ? `, latency at batch 1 and 64 (${s.runs} runs or ${s.latencyBudgetMs / 1000} s each)` : ''}`,
  export: (s) => `export ${s.fileName ?? 'the variant'} as ONNX${s.dynamicBatch ? ' with a symbolic batch' : ''}`,
};

/** The step in one sentence. */
export function describeStep(step: Step): string {
  return (DESCRIBE[step.kind] as (s: Step) => string)(step);
}

const slug = (s: string) => s.replace(/\.onnx$/i, '').replace(/[^a-z0-9.]+/gi, '-').replace(/^-|-$/g, '');
const num = (v: number) => String(+(100 * v).toFixed(1));

/** The names a training step's default name is made of, where the student or teacher is a variant. */
export interface NameParts { student?: string; teacher?: string; outcome?: 'finished' | 'cancelled' | 'diverged' }

const NAME: { [K in StepKind]: (s: StepOf<K>, p: NameParts) => string } = {
  int8: (s) => `int8-${s.perChannel ? 'pc' : 'pt'}-${s.symmetricWeights ? 'sym' : 'asym'}-${s.activations === 'dynamic' ? 'dynamic' : `${s.calibration === 'percentile' ? `p${s.percentile}` : s.calibration}${s.samples}${s.calibrationData === 'test' ? '' : `-${s.calibrationData}`}`}`,
  binary: (s) => `binary-${s.keepFirstLast ? 'kfl' : 'all'}${s.activationScale ? '-beta' : ''}`,
  mixed: (s) => s.auto ? `auto-${s.auto.budget}pts${s.auto.binary ? '-bin' : ''}` : `mixed-${Object.values(s.precisions ?? {}).map((p) => (p === 'fp32' ? 'f' : p === 'int8' ? '8' : 'b')).join('')}`,
  prune: (s) => `pruned-${s.granularity === '2:4' ? '2of4' : `${s.granularity}-${s.layers ? 'layers' : num(s.sparsity)}`}-${s.criterion}${s.scope === 'global' ? '-global' : ''}` +
    `${s.schedule === 'oneshot' ? '' : `-${s.schedule}`}${s.finetuneEpochs ? `-ft${s.finetuneEpochs}${s.distill ? 'd' : ''}` : ''}`,
  train: (s) => (s.student === 'input' || s.student.startsWith('variant:') ? `trained-${s.epochs}ep` : `student-${slug(s.student)}-hard`),
  distill: (s, p) => `${s.student === 'input' || s.student.startsWith('variant:') ? 'distil' : `student-${slug(s.student)}-distil`}-T${s.temperature}-a${s.alpha}${p.teacher ? `-from-${slug(p.teacher)}` : ''}`,
  evaluate: () => 'evaluated',
  export: (s) => slug(s.fileName ?? 'export'),
};

/**
 * The name a new variant gets: the step's own name, else what it starts from and what the step did.
 * A variant trained further is named after it (`parts.student`); a distillation names its teacher
 * when that is not the variant it starts from (`parts.teacher`); a run that stopped early says so.
 */
export function defaultName(step: Step, inputName: string, parts: NameParts = {}): string {
  if (step.name) return step.name;
  const base = parts.student && (step.kind === 'train' || step.kind === 'distill') ? parts.student : inputName;
  const end = parts.outcome === 'cancelled' ? '-partial' : parts.outcome === 'diverged' ? '-diverged' : '';
  return `${slug(base)}-${(NAME[step.kind] as (s: Step, p: NameParts) => string)(step, parts)}${end}`;
}

/** The technique a step's variant counts as (the dashboard's colours): a QAT student is its scheme. */
export function techniqueOf(step: Step): Technique {
  switch (step.kind) {
    case 'int8': case 'binary': case 'mixed': return step.kind;
    case 'prune': return 'pruned';
    case 'distill': return step.student === 'int8' || step.student === 'binary' ? step.student : 'student';
    default: return 'student';
  }
}

/** The settings that decide what a step makes: the step less its name, its starting point and its goals. */
export function settingsKey(step: Step): string {
  const { name: _n, from: _f, goals: _g, ...settings } = step as Step & { name?: string; from?: unknown; goals?: unknown };
  return canonicalJson(settings);
}
