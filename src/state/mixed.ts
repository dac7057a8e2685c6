/** Actions for mixed precision: the per-layer table, sensitivity analysis, and the budgeted automatic choice. */
import { useStudio, pushNotice, type MixedInputs, type StudioState } from './store';
import { report, refreshDevice, studioClient } from './worker-link';
import { busy, calibrationProblem, evaluateNew, upsert } from './variants';
import type { AutoResult, Precision, SearchProgress, SensitivityOptions } from '../worker/types';

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
  const max = s.dataset?.count;
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

const onSearchProgress = (kind: 'sensitivity' | 'auto', id: () => number) => (p: SearchProgress) =>
  useStudio.setState({ searchJob: { id: id(), kind, stage: p.stage, done: p.done, total: p.total, label: p.label } });

/** The layers' precisions, for after a new model loads (the table resets and old measurements go). */
export async function loadPrecisionLayers(): Promise<void> {
  const client = studioClient();
  useStudio.setState((s) => ({ precisionLayers: null, sensitivity: null, autoVariant: null, recipe: { ...s.recipe, layers: {} }, scheme: s.scheme === 'mixed' ? 'int8' : s.scheme }));
  if (!client) return;
  try {
    useStudio.setState({ precisionLayers: await client.call('precisionLayers', null) });
  } catch (e) {
    report('Could not list the layers for mixed precision', e);
  }
}

/** Measures each layer's accuracy drop alone at int8 (and binary, when asked) on the first N samples. */
export async function runSensitivity(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || busy(s)) return;
  const samples = samplesInput(s);
  if ('error' in samples) { pushNotice('error', 'Sensitivity needs a sample count', samples.error); return; }
  const calibration = calibrationProblem(s, true); // the int8 candidates always calibrate (unless dynamic)
  if (calibration) { pushNotice('error', 'Sensitivity needs calibration samples', calibration); return; }
  let jobId = 0;
  const { id, done } = client.start('sensitivity', searchOptions(s, samples.value), onSearchProgress('sensitivity', () => jobId));
  jobId = id;
  useStudio.setState({ searchJob: { id, kind: 'sensitivity', stage: 'calibration', done: 0, total: s.recipe.samples } });
  try {
    useStudio.setState({ sensitivity: await done });
  } catch (e) {
    report('Sensitivity analysis failed', e, 'The sensitivity analysis was stopped; the table and the variants are as they were.');
  } finally {
    useStudio.setState({ searchJob: null });
    void refreshDevice();
  }
}

/**
 * Picks the smallest fp32/int8/binary mix within the budget (reusing the sensitivity run's calibration),
 * fills the table with it, adds the variant and evaluates it like any new variant.
 */
export async function runAuto(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || busy(s)) return;
  const samples = samplesInput(s), budget = budgetInput(s);
  if ('error' in budget) { pushNotice('error', 'Auto needs an accuracy-drop budget', budget.error); return; }
  if ('error' in samples) { pushNotice('error', 'Auto needs a sample count', samples.error); return; }
  const calibration = calibrationProblem(s, true);
  if (calibration) { pushNotice('error', 'Auto needs calibration samples', calibration); return; }
  let jobId = 0;
  const { id, done } = client.start('autoMixed', { ...searchOptions(s, samples.value), budget: budget.value / 100 }, onSearchProgress('auto', () => jobId));
  jobId = id;
  useStudio.setState({ searchJob: { id, kind: 'auto', stage: 'calibration', done: 0, total: s.recipe.samples } });
  let made: AutoResult;
  try {
    made = await done;
  } catch (e) {
    report('Automatic mixed precision failed', e, 'The automatic search was stopped; the table and the variants are as they were.');
    return;
  } finally {
    useStudio.setState({ searchJob: null });
    void refreshDevice();
  }
  const { precisions, studioFormat, baseline, accuracy, drop, budget: b, samples: n, sensitivity, ...summary } = made;
  upsert({
    name: summary.fileName, kind: 'mixed', recipe: { ...s.recipe, layers: precisions }, precisions, studioFormat, summary,
    auto: { budget: b, drop, accuracy, baseline, samples: n },
  });
  useStudio.setState((st) => ({
    model: summary, currentVariant: summary.fileName, sensitivity, autoVariant: summary.fileName, scheme: 'mixed',
    recipe: { ...st.recipe, layers: precisions },
    quantizeJob: { id: 0, stage: 'evaluating', done: 0, total: 0 },
  }));
  try {
    await evaluateNew();
  } finally {
    useStudio.setState({ quantizeJob: null });
  }
}

export function cancelSearch(): void {
  const job = useStudio.getState().searchJob;
  if (job) studioClient()?.cancel(job.id);
}
