/**
 * The CLI's flags as recipe steps: each command builds the step the page's form would build and
 * hands it to the runtime, so both go through one schema (recipe/steps.ts) and one set of rules.
 * A value the schema refuses is reported under the flag that gave it, as a usage error.
 */
import { stepProblems, type AuthoredStep } from '../recipe/steps';
import { parseLayerList } from '../recipe/layer-list';
import { UsageError, type Flags } from './args';

/** Which flag sets each step field, for messages. */
const FLAG_OF: Record<string, string> = {
  perChannel: 'per-tensor', symmetricWeights: 'asymmetric', activations: 'dynamic', calibration: 'calibration', percentile: 'percentile',
  samples: 'calibration-samples', calibrationData: 'calibration-images', keepFirstLast: 'binarize-all', activationScale: 'activation-scale',
  granularity: 'granularity', criterion: 'criterion', sparsity: 'sparsity', layers: 'layers', scope: 'scope', schedule: 'schedule', stages: 'stages',
  finetuneEpochs: 'finetune-epochs', distill: 'distill', temperature: 'temperature', alpha: 'alpha', batch: 'batch', lr: 'lr',
  optimizer: 'optimizer', momentum: 'momentum', weightDecay: 'weight-decay', lrSchedule: 'lr-schedule', seed: 'seed',
  trainSamples: 'train-samples', testSamples: 'test-samples', epochs: 'epochs', augment: 'augment', 'augment.crop': 'augment', student: 'student', teacher: 'teacher',
  'auto.budget': 'budget', 'auto.samples': 'search-samples', 'auto.binary': 'with-binary',
};

/** The flag a field came from in a command, where one did (train's student is its argument). */
const flagOf = (field: string, command: string) => (command === 'train' && field === 'student' ? null : FLAG_OF[field] ?? FLAG_OF[field.replace(/^int8\./, '')] ?? null);

/** Refuses, as usage errors naming the flags, a step the schema would refuse. */
export function checkFlagsStep(step: AuthoredStep, command: string): AuthoredStep {
  const problems = Object.entries(stepProblems(step));
  if (!problems.length) return step;
  const lines = problems.map(([field, message]) => {
    const flag = flagOf(field, command);
    // The schema's own issues start with the setting's name; rules across settings are sentences of their own.
    const own = message.startsWith(`${field} `);
    const text = own ? message.slice(field.length + 1) : message;
    if (!flag) return own && field !== 'student' ? message : text;
    return own ? `--${flag} ${text}` : `--${flag}: ${text}`;
  });
  throw new UsageError(lines.join('; '));
}

export const numberFlag = (flags: Flags, name: string): number | undefined => {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || v === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${v === true ? '' : v}'`);
  return n;
};

export const wholeFlag = (flags: Flags, name: string, min = 1): number | undefined => {
  const n = numberFlag(flags, name);
  if (n !== undefined && (!Number.isInteger(n) || n < min)) throw new UsageError(`--${name} must be ${min === 1 ? 'a positive integer' : `a whole number ≥ ${min}`}`);
  return n;
};

/** A switch that takes no value; the parser would otherwise swallow the next argument as one. */
export function switchOn(flags: Flags, name: string): boolean {
  const v = flags[name];
  if (typeof v === 'string') throw new UsageError(`--${name} takes no value (got '${v}'); put the model file before the flags`);
  return v === true;
}

const stringFlag = (flags: Flags, name: string): string | undefined => {
  const v = flags[name];
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
};

/** Drops undefined fields, so the schema's defaults apply to what the flags leave out. */
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** int8 settings from the quantize flags (also the int8 part of --auto). */
export function int8Fields(flags: Flags) {
  return defined({
    perChannel: switchOn(flags, 'per-tensor') ? false : undefined,
    symmetricWeights: switchOn(flags, 'asymmetric') ? false : undefined,
    activations: switchOn(flags, 'dynamic') ? 'dynamic' as const : undefined,
    calibration: stringFlag(flags, 'calibration') as 'minmax' | 'percentile' | 'mse' | undefined,
    percentile: numberFlag(flags, 'percentile'),
    samples: wholeFlag(flags, 'calibration-samples'),
    calibrationData: flags['calibration-images'] !== undefined ? 'calibration' as const : undefined,
  });
}

export function int8StepFrom(flags: Flags): AuthoredStep {
  return checkFlagsStep({ kind: 'int8', ...int8Fields(flags) }, 'quantize');
}

export function binaryStepFrom(flags: Flags): AuthoredStep {
  const keep = switchOn(flags, 'keep-first-last'), all = switchOn(flags, 'binarize-all');
  if (keep && all) throw new UsageError('--keep-first-last and --binarize-all contradict each other; pick one');
  return checkFlagsStep(defined({ kind: 'binary' as const, keepFirstLast: all ? false : undefined, activationScale: switchOn(flags, 'activation-scale') || undefined }), 'quantize');
}

export function autoStepFrom(flags: Flags): AuthoredStep {
  const budget = numberFlag(flags, 'budget') ?? 0.5;
  if (!(budget >= 0)) throw new UsageError(`--budget must be a number of accuracy points ≥ 0, not ${flags.budget}`);
  return checkFlagsStep({
    kind: 'mixed', auto: defined({ budget, samples: wholeFlag(flags, 'search-samples'), binary: switchOn(flags, 'with-binary') || undefined }),
    int8: int8Fields(flags), ...(switchOn(flags, 'activation-scale') ? { activationScale: true } : {}),
  }, 'quantize');
}

/** Training settings shared by train, distill and prune's fine-tuning. */
function trainingFields(flags: Flags, scheduleFlag: 'schedule' | 'lr-schedule') {
  const optimizer = stringFlag(flags, 'optimizer');
  const sgd = optimizer === 'sgd';
  if (optimizer !== undefined && optimizer !== 'sgd' && optimizer !== 'adamw' && optimizer !== 'adam') throw new UsageError(`--optimizer must be sgd or adamw, not '${optimizer}'`);
  return defined({
    batch: wholeFlag(flags, 'batch'), lr: numberFlag(flags, 'lr') ?? (sgd && scheduleFlag === 'schedule' ? 0.05 : undefined),
    optimizer: optimizer === undefined ? undefined : sgd ? 'sgd' as const : 'adamw' as const,
    momentum: numberFlag(flags, 'momentum'), weightDecay: numberFlag(flags, 'weight-decay'),
    [scheduleFlag === 'schedule' ? 'schedule' : 'lrSchedule']: stringFlag(flags, scheduleFlag),
    seed: wholeFlag(flags, 'seed', 0), trainSamples: wholeFlag(flags, 'train-samples'), testSamples: wholeFlag(flags, 'test-samples'),
    augment: augmentFrom(stringFlag(flags, 'augment')),
  });
}

/** --augment crop,flip (crop pads 4 pixels; crop:N pads N). */
function augmentFrom(text: string | undefined): { crop: number; flip: boolean } | undefined {
  if (text === undefined) return undefined;
  const out = { crop: 0, flip: false };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^crop(?::(\d+))?$/.exec(part);
    if (m) out.crop = m[1] ? Number(m[1]) : 4;
    else if (part === 'flip') out.flip = true;
    else throw new UsageError(`--augment takes crop, crop:N (padding in pixels) and flip, comma-separated; not '${part}'`);
  }
  return out;
}

export function trainStepFrom(flags: Flags, command: 'train' | 'distill', student: string): AuthoredStep {
  if (command === 'train' && (flags.temperature !== undefined || flags.alpha !== undefined)) throw new UsageError('--temperature and --alpha are for distill (train uses hard labels only)');
  const fields = { ...trainingFields(flags, 'schedule'), ...defined({ epochs: wholeFlag(flags, 'epochs') }) };
  if (command === 'train') return checkFlagsStep({ kind: 'train', student, ...fields }, command);
  return checkFlagsStep({ kind: 'distill', student, ...fields, ...defined({ temperature: numberFlag(flags, 'temperature'), alpha: numberFlag(flags, 'alpha') }) }, command);
}

export function pruneStepFrom(flags: Flags): AuthoredStep {
  const granularity = stringFlag(flags, 'granularity');
  if (flags.sparsity === undefined && granularity !== '2:4' && flags.layers === undefined) throw new UsageError('--sparsity S is required (the fraction to remove, e.g. 0.5), or --layers name=S,...');
  let layers: Record<string, number> | undefined;
  const layerText = stringFlag(flags, 'layers');
  if (layerText !== undefined) {
    try { layers = parseLayerList(layerText, granularity === 'block' ? 'block' : undefined); } catch (e) { throw new UsageError(`--layers: ${(e as Error).message}`); }
  }
  const distill = switchOn(flags, 'distill');
  const step = defined({
    kind: 'prune' as const, granularity, criterion: stringFlag(flags, 'criterion'), sparsity: granularity === '2:4' ? undefined : numberFlag(flags, 'sparsity') ?? (layers ? 0 : undefined),
    layers, scope: stringFlag(flags, 'scope'), schedule: stringFlag(flags, 'schedule'), stages: wholeFlag(flags, 'stages'),
    finetuneEpochs: wholeFlag(flags, 'finetune-epochs', 0), distill: distill || undefined,
    temperature: numberFlag(flags, 'temperature'), alpha: numberFlag(flags, 'alpha'), ...trainingFields(flags, 'lr-schedule'),
  });
  return checkFlagsStep(step as AuthoredStep, 'prune');
}
