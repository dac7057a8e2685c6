/**
 * The Quantize card (its settings become an int8, binary or mixed step), and what can be done with
 * any variant: rename, notes and tags, delete (with its descendants), duplicate-and-edit (the step's
 * form opened prefilled), download the model or its recipe, and weight histograms.
 */
import { floatSource, pushNotice, recordOf, useStudio, type BinaryOptions, type CardName, type Scheme, type StudioState } from './store';
import { applyStep, report, select, studioClient } from './link';
import { descendantsOf } from '../recipe/variant';
import type { AuthoredStep, Step } from '../recipe/steps';
import type { Int8Recipe, Precision, PrecisionLayer } from '../worker/types';

export function setRecipe(patch: Partial<Int8Recipe>): void {
  useStudio.setState((s) => ({ recipe: { ...s.recipe, ...patch } }));
}

export function setScheme(scheme: Scheme): void { useStudio.setState({ scheme }); }

export function setBinaryRecipe(patch: Partial<BinaryOptions>): void {
  useStudio.setState((s) => ({ binaryRecipe: { ...s.binaryRecipe, ...patch } }));
}

/** Every Conv/Gemm layer's precision as the per-layer table shows it (int8 unless chosen otherwise or refused). */
export function tableChoices(s: StudioState = useStudio.getState()): Record<string, Precision> {
  return choicesOf(s.precisionLayers, s.recipe.layers);
}

export function choicesOf(layers: readonly PrecisionLayer[] | null, chosen: Record<string, Precision>): Record<string, Precision> {
  return Object.fromEntries((layers ?? []).map((l) => [l.name, chosen[l.name] ?? (l.int8 ? 'fp32' : 'int8')]));
}

/** Whether the scheme as set up calibrates int8 activations on data. */
export function needsCalibration(s: StudioState = useStudio.getState()): boolean {
  if (s.recipe.activations === 'dynamic' || s.scheme === 'binary') return false;
  return s.scheme === 'int8' || Object.values(tableChoices(s)).includes('int8');
}

/** What is wrong with the calibration-sample count for this run, in words a person can act on; null when fine. */
export function calibrationProblem(s: StudioState = useStudio.getState(), always = false): string | null {
  if (!always && !needsCalibration(s)) return null;
  if (s.recipe.activations === 'dynamic') return null;
  const n = s.recipe.samples, count = s.datasets.test?.count;
  if (!Number.isInteger(n) || n < 1) {
    return `Calibration samples is ${Number.isFinite(n) ? n : 'empty'}: static int8 needs at least one sample to measure activation ranges. ` +
      'Set Calibration samples to 1 or more (a few hundred is typical), or pick Activations: dynamic, which needs none.';
  }
  if (count !== undefined && n > count) return `Calibration asks for ${n} samples but the dataset has ${count}; use ${count} or fewer.`;
  return null;
}

/** The int8 settings of the card, as step fields. */
function int8Fields(r: Int8Recipe) {
  return { perChannel: r.perChannel, symmetricWeights: r.symmetricWeights, activations: r.activations, calibration: r.calibration, percentile: r.percentile, samples: r.samples };
}

/** The step the Quantize card describes. */
export function quantizeStep(s: StudioState = useStudio.getState()): AuthoredStep {
  if (s.scheme === 'binary') return { kind: 'binary', keepFirstLast: s.binaryRecipe.keepFirstLast, activationScale: s.binaryRecipe.activationScale };
  if (s.scheme === 'mixed') return { kind: 'mixed', precisions: tableChoices(s), int8: int8Fields(s.recipe), activationScale: s.binaryRecipe.activationScale };
  return { kind: 'int8', ...int8Fields(s.recipe) };
}

/** Makes a variant with the card's scheme from the selected variant, selects it and evaluates it. */
export async function quantize(): Promise<void> {
  const s = useStudio.getState();
  const problem = calibrationProblem(s);
  if (problem) { pushNotice('error', 'Quantization needs calibration samples', problem); return; }
  // Mixed precision plans on the loaded file's layers; int8 and binary start from the selected variant's float model.
  const input = s.scheme === 'mixed' ? s.records.find((r) => !r.parentId)?.id : s.selectedId;
  if (!input) return;
  const made = await applyStep(quantizeStep(s), input, s.scheme === 'binary' ? 'binarization' : 'quantization', undefined, 'Quantization was stopped; the variants made before are kept.');
  const skipped = (made?.details.skipped ?? []) as { node: string; reason: string }[];
  if (skipped.length) pushNotice('info', `${skipped.length} layer${skipped.length > 1 ? 's' : ''} left in float32`, skipped.map((k) => `${k.node}: ${k.reason}`).join('\n'));
}

/** Renames a variant, or edits its notes or tags. */
export async function updateVariant(id: string, patch: { name?: string; notes?: string; tags?: string[] }): Promise<boolean> {
  const client = studioClient();
  if (!client) return false;
  try {
    await client.call('updateVariant', { id, ...patch });
    return true;
  } catch (e) {
    report('Could not change the variant', e);
    return false;
  }
}

/** The variants deleting `id` takes along (those made from it, at any depth). */
export function deletionOf(id: string): string[] {
  return [id, ...descendantsOf(useStudio.getState().records, id).map((r) => r.id)];
}

export async function deleteVariants(ids: string[]): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try { await client.call('deleteVariants', { ids }); } catch (e) { report('Could not delete', e); }
}

/** Which card builds a step of this kind. */
export function cardOf(step: Step): CardName {
  return step.kind === 'prune' ? 'prune' : step.kind === 'train' || step.kind === 'distill' ? 'train' : step.kind === 'mixed' ? (step.auto ? 'mixed' : 'quantize') : 'quantize';
}

/**
 * Duplicate-and-edit: selects the variant the step started from and opens the step's form with its
 * settings, to change one and run it again (a new variant; the old one stays).
 */
export async function editStep(id: string): Promise<void> {
  const s = useStudio.getState();
  const r = recordOf(s, id);
  if (!r?.step) { pushNotice('info', 'Nothing to edit', 'A loaded file was made by no step; choose a variant made from it.'); return; }
  const step = r.step.resolved;
  const input = step.kind === 'train' || step.kind === 'distill' ? r.parentId : floatSource(s, r.parentId)?.id ?? r.parentId;
  if (input) await select(input);
  useStudio.setState({ preprocess: r.step.context.preprocess, view: 'workbench', focusCard: cardOf(step) });
  if (step.kind === 'int8') useStudio.setState((st) => ({ scheme: 'int8', recipe: { ...st.recipe, ...int8Fields({ ...st.recipe, ...step }) } }));
  else if (step.kind === 'binary') useStudio.setState({ scheme: 'binary', binaryRecipe: { keepFirstLast: step.keepFirstLast, activationScale: step.activationScale } });
  else if (step.kind === 'mixed') {
    useStudio.setState((st) => ({
      scheme: step.auto ? st.scheme : 'mixed', recipe: { ...st.recipe, ...int8Fields({ ...st.recipe, ...step.int8 }), layers: step.precisions ?? st.recipe.layers },
      binaryRecipe: { ...st.binaryRecipe, activationScale: step.activationScale },
      mixedInputs: step.auto ? { samples: String(step.auto.samples), binary: step.auto.binary, budget: String(step.auto.budget) } : st.mixedInputs,
    }));
  } else if (step.kind === 'prune') (await import('./prune')).fillPruneForm(step);
  else if (step.kind === 'train' || step.kind === 'distill') (await import('./train')).fillTrainForm(step, r);
}

function download(bytes: BlobPart, name: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export { download as saveFile };

/** Saves a variant as an .onnx file through the browser's download. */
export async function downloadVariant(id: string): Promise<void> {
  const client = studioClient();
  const r = recordOf(useStudio.getState(), id);
  if (!client || !r) return;
  try {
    const bytes = await client.call('exportVariant', { id, dynamicBatch: useStudio.getState().exportDynamicBatch });
    download(bytes, r.source?.fileName ?? `${r.name}.onnx`);
  } catch (e) {
    report(`Could not export ${r.name}`, e);
  }
}

/** The recipe that rebuilds a variant from its loaded file, as text (the recipe code loads when first asked). */
export async function recipeOf(id: string): Promise<string | null> {
  try {
    const { recipeFor, recipeText } = await import('../recipe/recipe');
    return recipeText(recipeFor(useStudio.getState().records, id));
  } catch (e) {
    report('No recipe for this variant', e);
    return null;
  }
}

export async function downloadRecipe(id: string): Promise<void> {
  const text = await recipeOf(id);
  const r = recordOf(useStudio.getState(), id);
  if (text && r) download(text, `${r.name}.recipe.json`, 'application/json');
}

export async function copyRecipe(id: string): Promise<void> {
  const text = await recipeOf(id);
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
    pushNotice('info', 'Recipe copied', 'Paste it into a file and run it with npm run cli -- run recipe.json --out DIR, or in the Dashboard\'s Run recipe.');
  } catch {
    download(text, 'variant.recipe.json', 'application/json');
  }
}

/** Picks the layer the Weights card shows; the card then loads its histogram. */
export function chooseWeightsLayer(layer: string): void {
  useStudio.setState({ weights: { layer, variant: useStudio.getState().selectedId ?? '', histogram: null, error: null } });
}

/** One layer's weight histogram: the loaded file against the selected variant. */
export async function showWeights(layer: string): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  const variant = s.selectedId;
  const root = s.records.find((r) => !r.parentId && (variant === r.id || isAncestor(s, r.id, variant)))?.id;
  if (!client || !variant || !root) return;
  useStudio.setState((st) => ({ weights: { layer, variant, histogram: st.weights?.layer === layer ? st.weights.histogram : null, error: null } }));
  try {
    const histogram = await client.call('weightHistogram', { layer, ids: [root, variant] });
    const w = useStudio.getState().weights;
    if (w?.layer === layer && w.variant === variant) useStudio.setState({ weights: { ...w, histogram } });
  } catch (e) {
    const w = useStudio.getState().weights;
    if (w?.layer === layer) useStudio.setState({ weights: { ...w, histogram: null, error: e instanceof Error ? e.message : String(e) } });
  }
}

function isAncestor(s: StudioState, ancestor: string, id: string | null): boolean {
  for (let r = recordOf(s, id), i = 0; r && i <= s.records.length; r = recordOf(s, r.parentId), i++) if (r.id === ancestor) return true;
  return false;
}
