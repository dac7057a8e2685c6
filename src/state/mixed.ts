/** Actions for mixed precision: the per-layer table, sensitivity analysis, and the budgeted automatic choice. */
import { useStudio, pushNotice, rootRecord, type MixedInputs, type StudioState } from './store';
import { applyStep, mayStart, report, refreshDevice, studioClient } from './link';
import { calibrationProblem } from './variants';
import type { Precision, SensitivityOptions, SensitivityResult } from '../worker/types';

/** Sets one layer's precision in the table; choosing per layer makes the scheme 'mixed'. */
export function setLayerPrecision(layer: string, precision: Precision): void {
  useStudio.setState((s) => ({ recipe: { ...s.recipe, layers: { ...s.recipe.layers, [layer]: precision } }, scheme: 'mixed' }));
}

/** Sets every layer that can take `precision` to it (the others to fp32). */
export function setAllLayers(precision: Precision): void {
  useStudio.setState((s) => ({
    recipe: { ...s.recipe, layers: Object.fromEntries((s.precisionLayers ?? []).map((l) => [l.name, refusal(l, precision) ? 'fp32' : precision])) },
    scheme: 'mixed',
  }));
}

function refusal(l: { int8: string | null; binary: string | null }, p: Precision): string | null {
  return p === 'int8' ? l.int8 : p === 'binary' ? l.binary : null;
}

export function setMixedInputs(patch: Partial<MixedInputs>): void {
  useStudio.setState((s) => ({ mixedInputs: { ...s.mixedInputs, ...patch } }));
}

/** The evaluation-sample count as a number, or what is wrong with it. */
export function samplesInput(s: StudioState = useStudio.getState()): { value: number } | { error: string } {
  const text = s.mixedInputs.samples.trim();
  const n = Number(text);
  const max = s.datasets.test?.count;
  if (!text || !Number.isInteger(n) || n < 1 || (max !== undefined && n > max)) {
    return { error: `Samples must be a whole number from 1 to ${max ?? 'the dataset size'}${text ? ` (not '${text}')` : ''}.` };
  }
  return { value: n };
}

/** The budget in points as a number, or what is wrong with it. */
export function budgetInput(s: StudioState = useStudio.getState()): { value: number } | { error: string } {
  const text = s.mixedInputs.budget.trim();
  const n = Number(text.replace(',', '.'));
  if (!text || !Number.isFinite(n)) return { error: `The budget must be a number of accuracy points, e.g. 0.5${text ? ` (not '${text}')` : ''}.` };
  if (n < 0) return { error: `The budget must be 0 or more points (not ${n}): it is how much accuracy the smaller model may lose.` };
  return { value: n };
}

function searchOptions(s: StudioState, samples: number): SensitivityOptions {
  return { recipe: s.recipe, preprocess: s.preprocess, samples, binary: s.mixedInputs.binary, activationScale: s.binaryRecipe.activationScale };
}

/** Mixed precision works on the loaded file the selected variant comes from. */
const rootId = (s: StudioState) => rootRecord(s)?.id ?? null;

/** The layers' precisions, for after a new model loads (the table resets and old measurements go). */
export async function loadPrecisionLayers(): Promise<void> {
  const client = studioClient();
  const id = rootId(useStudio.getState());
  useStudio.setState((s) => ({ precisionLayers: null, sensitivity: null, recipe: { ...s.recipe, layers: {} }, scheme: s.scheme === 'mixed' ? 'int8' : s.scheme }));
  if (!client || !id) return;
  try {
    useStudio.setState({ precisionLayers: await client.call('precisionLayers', { id }) });
  } catch (e) {
    report('Could not list the layers for mixed precision', e);
  }
}

/** Measures each layer's accuracy drop alone at int8 (and binary, when asked) on the first N samples. */
export async function runSensitivity(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  const id = rootId(s);
  if (!id || !mayStart('a sensitivity analysis')) return;
  const samples = samplesInput(s);
  if ('error' in samples) { pushNotice('error', 'Sensitivity needs a sample count', samples.error); return; }
  const calibration = calibrationProblem(s, true); // the int8 candidates always calibrate (unless dynamic)
  if (calibration) { pushNotice('error', 'Sensitivity needs calibration samples', calibration); return; }
  try {
    useStudio.setState({ sensitivity: await client!.call('sensitivity', { id, opts: searchOptions(s, samples.value) }) });
  } catch (e) {
    report('Sensitivity analysis failed', e, 'The sensitivity analysis was stopped; the table and the variants are as they were.');
  } finally {
    void refreshDevice();
  }
}

/**
 * Picks the smallest fp32/int8/binary mix within the budget (reusing the sensitivity run's calibration)
 * as a mixed step with an auto budget, fills the table with its choice, and evaluates it like any new variant.
 */
export async function runAuto(): Promise<void> {
  const s = useStudio.getState();
  const id = rootId(s);
  if (!id) return;
  const samples = samplesInput(s), budget = budgetInput(s);
  if ('error' in budget) { pushNotice('error', 'Auto needs an accuracy-drop budget', budget.error); return; }
  if ('error' in samples) { pushNotice('error', 'Auto needs a sample count', samples.error); return; }
  const calibration = calibrationProblem(s, true);
  if (calibration) { pushNotice('error', 'Auto needs calibration samples', calibration); return; }
  const r = s.recipe;
  const step = {
    kind: 'mixed', auto: { budget: budget.value, samples: samples.value, binary: s.mixedInputs.binary },
    int8: { perChannel: r.perChannel, symmetricWeights: r.symmetricWeights, activations: r.activations, calibration: r.calibration, percentile: r.percentile, samples: r.samples },
    activationScale: s.binaryRecipe.activationScale,
  };
  const made = await applyStep(step, id, 'automatic mixed precision', undefined, 'The automatic search was stopped; the table and the variants are as they were.');
  if (!made) return;
  const precisions = made.details.precisions as Record<string, Precision>;
  useStudio.setState((st) => ({ sensitivity: (made.details.sensitivity as SensitivityResult) ?? st.sensitivity, scheme: 'mixed', recipe: { ...st.recipe, layers: precisions } }));
}
