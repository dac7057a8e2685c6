/** Steps and recipes as data: one schema's defaults and refusals, names and descriptions, versions, and the recipe a variant's lineage writes. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { authoredOf, canonicalJson, parseStep, stepProblems, type Step } from './steps';
import { defaultName, describeStep, settingsKey, techniqueOf } from './describe';
import { MIGRATIONS, parseRecipe, recipeFor, RECIPE_FORMAT, RECIPE_SCHEMA_VERSION } from './recipe';
import { parseLayerList, formatLayerList } from './layer-list';
import type { VariantRecord } from './variant';

const recipe = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ format: RECIPE_FORMAT, schemaVersion: 1, steps, ...extra });

describe('steps', () => {
  it('fills every default, with the same result whatever order the settings were written in', () => {
    const s = parseStep({ kind: 'int8' });
    expect(s).toMatchObject({ kind: 'int8', perChannel: true, symmetricWeights: true, activations: 'static', calibration: 'minmax', samples: 256, calibrationData: 'test' });
    expect(parseStep({ kind: 'prune' })).toMatchObject({ granularity: 'fine', criterion: 'l1', sparsity: 0.5, schedule: 'oneshot', finetuneEpochs: 0, lrSchedule: 'cosine', lr: 5e-4 });
    expect(parseStep({ kind: 'distill', student: 'mlp:784-32-10' })).toMatchObject({ teacher: 'input', temperature: 4, alpha: 0.9, epochs: 3, schedule: 'constant' });
    const a = parseStep({ kind: 'int8', samples: 64, perChannel: false }), b = parseStep({ perChannel: false, samples: 64, kind: 'int8' });
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(settingsKey(a)).toBe(settingsKey(b));
    // The name and goals do not change what a step makes; a setting does.
    expect(settingsKey(parseStep({ kind: 'int8', name: 'x', goals: { maxAccuracyDrop: 1 } }))).toBe(settingsKey(parseStep({ kind: 'int8' })));
    expect(settingsKey(parseStep({ kind: 'int8', symmetricWeights: false }))).not.toBe(settingsKey(parseStep({ kind: 'int8' })));
  });

  it('refuses an unknown kind, an unknown setting, a bad value and contradicting settings, naming each', () => {
    expect(() => parseStep({ kind: 'sparsify' }, 'step 3')).toThrow("step 3: unknown step 'sparsify'; steps are int8, binary, mixed, prune, train, distill, evaluate, export");
    expect(() => parseStep({ kind: 'prune', sparsty: 0.5 })).toThrow(/unknown setting 'sparsty'; prune takes granularity, criterion, sparsity, layers, .* \(and name, from, goals, preprocess, target\)/);
    expect(() => parseStep({ kind: 'prune', sparsity: 1.5 }, 'step 2')).toThrow('step 2 (prune): sparsity must be in [0, 1) (got 1.5)');
    expect(() => parseStep({ kind: 'int8', calibration: 'kl' })).toThrow(/calibration must be one of minmax, percentile, mse \(got "kl"\)/);
    expect(() => parseStep({ kind: 'prune', schedule: 'gradual' })).toThrow(/schedule: the gradual schedule fine-tunes between its stages/);
    expect(() => parseStep({ kind: 'prune', distill: true })).toThrow(/distillation happens while fine-tuning/);
    expect(() => parseStep({ kind: 'prune', granularity: 'filter', scope: 'global' })).toThrow(/filter pruning takes its share per layer/);
    expect(() => parseStep({ kind: 'int8', samples: 0 })).toThrow(/at least one sample.*dynamic activations/);
    expect(parseStep({ kind: 'int8', samples: 0, activations: 'dynamic' }).kind).toBe('int8');
    expect(() => parseStep({ kind: 'mixed' })).toThrow(/either per-layer precisions or an auto budget/);
    expect(() => parseStep({ kind: 'train', student: 'binary' })).toThrow(/made from a teacher: use a distill step/);
    expect(() => parseStep({ kind: 'distill', student: 'rnn:10' })).toThrow(/student 'rnn:10' is not a student spec/);
    expect(() => parseStep({ kind: 'distill', student: 'width:1.5' })).toThrow(/not a share in \(0, 1\]/);
    expect(() => parseStep({ kind: 'train', schedule: 'linear' })).toThrow(/schedule must be constant, cosine or step/);
    expect(() => parseStep({ kind: 'prune', granularity: 'block', layers: { '/Add': 0.5 } })).toThrow(/layers\.\/Add: must be 1 \(the block is removed\) or 0 \(kept\)/);
    expect(() => parseStep({ kind: 'int8', target: { patterns: ['(('] } })).toThrow(/valid regular expression/);
    expect(() => parseStep(null)).toThrow(/must be an object with a "kind"/);
  });

  it('gives each field of a form its problem, and writes back only what differs from the defaults', () => {
    expect(stepProblems({ kind: 'prune', sparsity: Number.NaN, finetuneEpochs: 0, schedule: 'gradual' })).toEqual({
      sparsity: 'sparsity must be a number', schedule: 'the gradual schedule fine-tunes between its stages: give fine-tuning epochs, or prune one-shot',
    });
    expect(stepProblems({ kind: 'int8' })).toEqual({});
    expect(authoredOf(parseStep({ kind: 'int8', samples: 64 }))).toEqual({ kind: 'int8', samples: 64 });
    expect(authoredOf(parseStep({ kind: 'distill', student: 'mlp:784-32-10', alpha: 0.5 }))).toEqual({ kind: 'distill', student: 'mlp:784-32-10', alpha: 0.5 });
    const s = parseStep({ kind: 'prune', granularity: 'filter', sparsity: 0.3, finetuneEpochs: 2, distill: true });
    expect(parseStep(authoredOf(s))).toEqual(s);
  });

  it('names and describes each kind, so two settings the old names hid stay apart', () => {
    const sym = parseStep({ kind: 'int8' }), asym = parseStep({ kind: 'int8', symmetricWeights: false });
    expect(defaultName(sym, 'lenet.onnx')).toBe('lenet-int8-pc-sym-minmax256');
    expect(defaultName(asym, 'lenet.onnx')).toBe('lenet-int8-pc-asym-minmax256');
    expect(defaultName(parseStep({ kind: 'int8', samples: 64 }), 'lenet')).toBe('lenet-int8-pc-sym-minmax64');
    expect(defaultName(parseStep({ kind: 'prune', sparsity: 0.875, scope: 'global' }), 'cnn')).toBe('cnn-pruned-fine-87.5-l1-global');
    expect(defaultName(parseStep({ kind: 'prune', sparsity: 0.875 }), 'cnn')).toBe('cnn-pruned-fine-87.5-l1');
    expect(defaultName(parseStep({ kind: 'distill', student: 'mlp:784-32-10' }), 'lenet')).toBe('lenet-student-mlp-784-32-10-distil-T4-a0.9');
    expect(defaultName(parseStep({ kind: 'train', student: 'input', epochs: 2 }), 'lenet')).toBe('lenet-trained-2ep');
    // A variant trained further is named after it; a teacher other than the input is named; an early stop says so.
    expect(defaultName(parseStep({ kind: 'distill', student: 'input', teacher: 'original' }), 'lenet-pruned', { student: 'lenet-pruned', teacher: 'lenet' })).toBe('lenet-pruned-distil-T4-a0.9-from-lenet');
    expect(defaultName(parseStep({ kind: 'train', student: 'mlp:784-16-10' }), 'lenet', { outcome: 'cancelled' })).toBe('lenet-student-mlp-784-16-10-hard-partial');
    expect(defaultName(parseStep({ kind: 'distill', student: 'variant:ab12' }), 'lenet', { student: 'lenet-int8-pc-sym-minmax64', outcome: 'diverged' })).toBe('lenet-int8-pc-sym-minmax64-distil-T4-a0.9-diverged');
    expect(defaultName(parseStep({ kind: 'binary', name: 'mine' }), 'lenet')).toBe('mine');
    expect(describeStep(asym)).toBe('int8: per-channel asymmetric weights, static activations calibrated by minmax on 256 last test items');
    expect(describeStep(parseStep({ kind: 'prune', granularity: 'filter', sparsity: 0.3, finetuneEpochs: 1, distill: true })))
      .toMatch(/^prune filter: 30 %, ranked by l1; oneshot, fine-tuned 1 epoch on all training items, adamw lr 0\.0005 \(cosine\).*distilled from the unpruned model \(T 4, α 0\.9\)$/);
    expect(techniqueOf(parseStep({ kind: 'distill', student: 'binary' }))).toBe('binary');
    expect(techniqueOf(parseStep({ kind: 'prune' }))).toBe('pruned');
  });

  it('reads per-layer lists the same way for the page and the CLI', () => {
    expect(parseLayerList('conv1=0.3, fc1=0,8'.replace('0,8', '0.8'))).toEqual({ conv1: 0.3, fc1: 0.8 });
    expect(parseLayerList('')).toBeUndefined();
    expect(() => parseLayerList('conv1=1')).toThrow(/sparsity in \[0, 1\)/);
    expect(() => parseLayerList('/Add=0.5', 'block')).toThrow(/block=1 \(removed\) or block=0/);
    expect(parseLayerList('/Add=1', 'block')).toEqual({ '/Add': 1 });
    expect(parseLayerList(formatLayerList({ a: 0.5, b: 0.25 }))).toEqual({ a: 0.5, b: 0.25 });
  });
});

describe('recipes', () => {
  it('reads a recipe: defaults, the recipe seed for steps that draw, and starts that name earlier steps', () => {
    const { recipe: r, steps } = parseRecipe(JSON.stringify(recipe([{ kind: 'prune', sparsity: 0.3 }, { kind: 'distill', student: 'input', teacher: 'original' }, { kind: 'int8', from: 1 }], { seed: 7 })));
    expect(r.preprocess).toEqual({ kind: 'normalize', mean: 0.1307, std: 0.3081 });
    expect(steps.map((s) => s.kind)).toEqual(['prune', 'distill', 'int8']);
    expect((steps[0] as Step & { seed: number }).seed).toBe(7);
    expect((steps[1] as Step & { seed: number }).seed).toBe(7);
    expect(steps[2]!.from).toBe(1);
  });

  it('refuses a file that is not a recipe, a newer version, an unknown step, a bad value, and a start that has not run', () => {
    expect(() => parseRecipe('{ nope')).toThrow(/not JSON/);
    expect(() => parseRecipe({ steps: [] })).toThrow(/not a studio recipe: "format" must be "compression-studio\/recipe"/);
    expect(() => parseRecipe(recipe([{ kind: 'int8' }], { schemaVersion: RECIPE_SCHEMA_VERSION + 1 }))).toThrow(/schema version 2, newer than this studio reads \(1\); update the studio/);
    expect(() => parseRecipe(recipe([{ kind: 'int8' }, { kind: 'quantise' }]))).toThrow("step 2: unknown step 'quantise'");
    expect(() => parseRecipe(recipe([{ kind: 'prune', sparsity: 2 }]))).toThrow('step 1 (prune): sparsity must be in [0, 1) (got 2)');
    expect(() => parseRecipe(recipe([{ kind: 'int8', from: 2 }, { kind: 'binary' }]))).toThrow(/starts from step 2, which has not run yet/);
    expect(() => parseRecipe(recipe([{ kind: 'evaluate' }, { kind: 'int8', from: 1 }]))).toThrow(/step 1 \(evaluate\), which makes no variant/);
    expect(() => parseRecipe(recipe([]))).toThrow(/at least one step/);
    expect(() => parseRecipe(recipe([{ kind: 'int8' }], { extra: 1 }))).toThrow(/unknown field 'extra'/);
  });

  it('migrates an older version step by step before reading it', () => {
    // No older version exists yet: a migration registered for version 0 shows the chain runs, in order, before the checks.
    const seen: number[] = [];
    MIGRATIONS[0] = (r) => { seen.push(0); return { ...r, steps: (r.steps as { type: string }[]).map((s) => ({ kind: s.type })) }; };
    try {
      const { steps } = parseRecipe({ format: RECIPE_FORMAT, schemaVersion: 0, steps: [{ type: 'binary' }] });
      expect(seen).toEqual([0]);
      expect(steps[0]!.kind).toBe('binary');
    } finally {
      delete MIGRATIONS[0];
    }
    expect(() => parseRecipe({ format: RECIPE_FORMAT, schemaVersion: 0, steps: [{ kind: 'binary' }] })).toThrow(/no migration from recipe schema version 0/);
  });

  it('writes the recipe that rebuilds a variant, its teacher off the line included, and reads it back', () => {
    const rec = (id: string, parentId: string | null, step: Record<string, unknown> | null, teacherId: string | null = null): VariantRecord => ({
      id, projectId: 'p', parentId, name: id, notes: '', tags: [], technique: 'student', source: parentId ? null : { fileName: 'lenet.onnx' },
      step: step ? { authored: step as never, resolved: parseStep(step), context: { preprocess: { kind: 'unit' }, data: {}, teacherId, adapter: 'a', seconds: 1 } } : null,
      createdAt: 0, modelSha256: 'a'.repeat(64), blobSha256: 'a'.repeat(64), ownSignature: false, details: {}, measurements: [],
      stats: { params: 0, flops: 0, nonzeroFlops: 0, weightBytes: 0, sizeBytes: 0, fileBytes: 0, sparseBytes: null, studioFormat: false, classes: 10, inputShape: [], layers: [] },
    });
    const records = [
      rec('root', null, null),
      rec('pruned', 'root', { kind: 'prune', sparsity: 0.3 }),
      rec('big', 'root', { kind: 'train', student: 'input', epochs: 1 }),
      // A student of the pruned model, distilled from a variant off its line.
      rec('student', 'pruned', { kind: 'distill', student: 'input', teacher: 'variant:b16' }, 'big'),
      rec('q', 'student', { kind: 'int8', samples: 64 }),
    ];
    const r = recipeFor(records, 'q');
    expect(r.model).toEqual({ fileName: 'lenet.onnx', sha256: 'a'.repeat(64) });
    expect(r.preprocess).toEqual({ kind: 'unit' });
    expect(r.steps.map((s) => s.kind)).toEqual(['prune', 'train', 'distill', 'int8']);
    expect(r.steps[1]).toMatchObject({ from: 'original' });
    expect(r.steps[2]).toMatchObject({ from: 1, teacher: 'step:2', student: 'input' });
    expect(r.steps[3]).toMatchObject({ samples: 64, name: 'q' });
    expect(r.steps[3]!.from).toBeUndefined(); // the step before: no need to say
    const back = parseRecipe(JSON.stringify(r));
    expect(back.steps.map((s) => settingsKey(s))).toEqual([records[1], records[2], records[3], records[4]].map((x) => settingsKey({ ...x!.step!.resolved, ...(x!.id === 'student' ? { teacher: 'step:2' } : {}) } as Step)));
  });
});

describe('image specs in recipes and the examples', () => {
  it('reads every example recipe; the CIFAR-10 one carries its images\' spec and per-channel preprocessing', () => {
    for (const f of readdirSync('examples').filter((n) => n.endsWith('.recipe.json'))) {
      const { recipe } = parseRecipe(readFileSync(`examples/${f}`, 'utf8'));
      expect(recipe.steps.length, f).toBeGreaterThan(0);
    }
    const { recipe } = parseRecipe(readFileSync('examples/cifar10-int8.recipe.json', 'utf8'));
    expect(recipe.images?.input_size).toEqual([3, 32, 32]);
    expect(recipe.preprocess).toEqual({ kind: 'channels', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616], layout: 'NCHW' });
  });
  it('refuses a spec with a mean per channel missing, and per-channel preprocessing whose mean and std differ in length', () => {
    const base = JSON.parse(readFileSync('examples/cifar10-int8.recipe.json', 'utf8'));
    expect(() => parseRecipe(JSON.stringify({ ...base, images: { ...base.images, mean: [0.5] } }))).toThrow(/mean and std need 3 values each/);
    expect(() => parseRecipe(JSON.stringify({ ...base, preprocess: { ...base.preprocess, std: [0.2] } }))).toThrow(/one value per channel/);
  });
});
