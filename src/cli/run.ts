/**
 * `run recipe.json [--model m.onnx] [--images … --labels …] --out DIR`: a recipe on the runtime the
 * page's worker runs (worker/recipe-run.ts, the same code the page's Run recipe calls), so the same
 * recipe and seed give the same bytes in both. Writes each variant a step makes (NN-name.onnx), the
 * files its export steps ask for, and report.json (every step, its variant's record with the
 * measurements, and how each stands against its goals).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseRecipe } from '../recipe/recipe';
import { overridesOf } from '../recipe/image-spec';
import { runRecipe, type RecipeReport } from '../worker/recipe-run';
import type { DataRole } from '../recipe/vocabulary';
import type { VariantRecord } from '../recipe/variant';
import { MNIST_TEST, MNIST_TRAIN, openStudio, readInput, UsageError, type Flags } from './common';
import { dataInput, loadInput, type DataInput } from './data-input';

export interface RunCliResult {
  recipe: string | null;
  model: string;
  out: string;
  steps: (Omit<RecipeReport['steps'][number], 'file' | 'measurement'> & { file: string | null; sha256: string | null; accuracy: number | null })[];
  goalsMet: boolean | null;
  variants: VariantRecord[];
  seconds: number;
}

/** The model a recipe runs on: --model, else the file it names, beside the recipe, here, or among the fixtures. */
function modelPath(flags: Flags, recipePath: string, named: string | undefined): string {
  if (typeof flags.model === 'string') return flags.model;
  if (!named) throw new UsageError('the recipe names no model file: give --model m.onnx');
  for (const p of [join(dirname(recipePath), named), resolve(named), join('fixtures', named)]) if (existsSync(p)) return p;
  throw new UsageError(`the recipe was written for ${named}, which is not beside it, here or in fixtures/: give --model m.onnx`);
}

const fileSafe = (s: string) => s.replace(/[^a-z0-9._-]+/gi, '-');

export async function runCommand(rest: string[], flags: Flags): Promise<RunCliResult> {
  const recipePath = rest[0];
  if (!recipePath) throw new UsageError('a recipe file is needed: npm run cli -- run recipe.json --out DIR');
  if (typeof flags.out !== 'string') throw new UsageError('--out DIR is required: where the variants and the report go');
  const text = new TextDecoder().decode(readInput(recipePath, 'recipe'));
  const parsed = parseRecipe(text); // a bad recipe is refused before any file or GPU work
  const path = modelPath(flags, recipePath, parsed.recipe.model?.fileName);
  const model = readInput(path, 'model');
  const roles = new Set<DataRole>(['test']);
  for (const s of parsed.steps) {
    if ((s.kind === 'train' || s.kind === 'distill' || (s.kind === 'prune' && (s.finetuneEpochs > 0 || s.criterion === 'taylor'))) && s.data === 'train') roles.add('train');
    if (s.kind === 'int8' && s.activations === 'static') roles.add(s.calibrationData);
    if (s.kind === 'mixed') roles.add(s.int8.calibrationData);
  }
  const pairs: [DataRole, DataInput][] = [['test', dataInput(flags, 'data', 'images', 'labels', MNIST_TEST)!]];
  if (roles.has('train')) pairs.push(['train', dataInput(flags, 'train-data', 'train-images', 'train-labels', MNIST_TRAIN)!]);
  const cal = dataInput(flags, 'calibration-data', 'calibration-images', 'calibration-labels', null);
  if (roles.has('calibration') && !cal) throw new UsageError('the recipe calibrates on a calibration set: give --calibration-data (or --calibration-images and --calibration-labels)');
  if (cal) pairs.push(['calibration', cal]);

  const rt = await openStudio();
  const root = await rt.loadModel(model, basename(path));
  // A recipe written from image data says how its images were read; the flags go over it.
  const base = parsed.recipe.images ? overridesOf(parsed.recipe.images) : undefined;
  for (const [role, input] of pairs) await loadInput(rt, role, input, flags, { base });
  const out = flags.out;
  mkdirSync(out, { recursive: true });
  const report = await runRecipe(rt, parsed, root.id, {
    onStep: (s) => process.stderr.write(`step ${s.index} (${s.kind}) done in ${s.seconds.toFixed(1)} s${s.name ? `: ${s.name}` : ''}\n`),
  });
  const steps: RunCliResult['steps'] = [];
  for (const s of report.steps) {
    let file: string | null = null, sha256: string | null = null;
    // sha256 of the bytes written, so two runs (or page and CLI) can be compared file by file.
    let bytes: Uint8Array | null = null;
    if (s.file) {
      file = join(out, fileSafe(s.file.name));
      bytes = s.file.bytes;
    } else if (s.kind !== 'evaluate' && s.variantId) {
      file = join(out, `${String(s.index).padStart(2, '0')}-${fileSafe(rt.variants.record(s.variantId).name)}.onnx`);
      bytes = await rt.exportVariant(s.variantId);
    }
    if (file && bytes) {
      writeFileSync(file, bytes);
      sha256 = createHash('sha256').update(bytes).digest('hex');
    }
    const { file: _f, measurement, ...rest2 } = s;
    steps.push({ ...rest2, file, sha256, accuracy: measurement?.top1 ?? null });
  }
  const result: RunCliResult = {
    recipe: report.recipe, model: path, out, steps, goalsMet: report.goalsMet, variants: rt.records(), seconds: report.seconds,
  };
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

export function printRun(r: RunCliResult): void {
  console.log(`recipe ${r.recipe ?? '(unnamed)'} on ${r.model}: ${r.steps.length} steps in ${r.seconds.toFixed(1)} s`);
  for (const s of r.steps) {
    console.log(`${String(s.index).padStart(2)}. ${s.description}`);
    if (s.name) console.log(`    → ${s.name}${s.accuracy !== null ? `: accuracy ${(100 * s.accuracy).toFixed(2)} %` : ''}${s.file ? ` (${s.file})` : ''}`);
    for (const g of s.goals) console.log(`    goal ${g.goal} ≤ ${g.limit}: ${g.met === null ? 'not measured' : g.met ? 'met' : 'MISSED'}${g.value !== null ? ` (${+g.value.toFixed(3)})` : ''}${g.note ? ` — ${g.note}` : ''}`);
  }
  console.log(r.goalsMet === null ? 'goals: some not measured' : r.goalsMet ? 'goals: all met' : 'goals: some missed');
  console.log(`report: ${join(r.out, 'report.json')}`);
}
