/** Actions for compressed variants: quantize, select, download, and weight histograms. */
import { useStudio, pushNotice, type BinaryOptions, type Scheme, type StudioState, type Variant } from './store';
import { evaluate, cancelEvaluation, refreshDevice, report, studioClient } from './worker-link';
import type { StudioClient } from '../worker/client';
import type { EvalResult, Int8Recipe, ModelSummary, Precision, PrecisionLayer } from '../worker/types';

export function setRecipe(patch: Partial<Int8Recipe>): void {
  useStudio.setState((s) => ({ recipe: { ...s.recipe, ...patch } }));
}

export function setScheme(scheme: Scheme): void { useStudio.setState({ scheme }); }

export function setBinaryRecipe(patch: Partial<BinaryOptions>): void {
  useStudio.setState((s) => ({ binaryRecipe: { ...s.binaryRecipe, ...patch } }));
}

/** Adds a variant, or replaces one of the same name (the same recipe run again); its old result no longer applies. */
export function upsert(v: Variant): void {
  useStudio.setState((s) => {
    const i = s.variants.findIndex((x) => x.name === v.name);
    return { variants: i < 0 ? [...s.variants, v] : s.variants.map((x, j) => (j === i ? v : x)) };
  });
}

/** Results are comparable when they ran on the same data, the same preprocessing and the same number of samples. */
export function comparable(a: EvalResult | undefined, b: EvalResult | undefined): boolean {
  return Boolean(a && b && a.dataset === b.dataset && a.samples === b.samples && JSON.stringify(a.preprocess) === JSON.stringify(b.preprocess));
}

/** True while any worker job runs that the Quantize and Mixed precision controls must wait for. */
export function busy(s: StudioState = useStudio.getState()): boolean {
  return Boolean(s.job || s.quantizeJob || s.searchJob);
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
  const n = s.recipe.samples, count = s.dataset?.count;
  if (!Number.isInteger(n) || n < 1) {
    return `Calibration samples is ${Number.isFinite(n) ? n : 'empty'}: static int8 needs at least one sample to measure activation ranges. ` +
      'Set Calibration samples to 1 or more (a few hundred is typical), or pick Activations: dynamic, which needs none.';
  }
  if (count !== undefined && n > count) return `Calibration asks for ${n} samples but the dataset has ${count}; use ${count} or fewer.`;
  return null;
}

type Made = { summary: ModelSummary; variant: Omit<Variant, 'summary' | 'name'>; notice?: [string, string] };

/** Starts the worker job the scheme needs; resolves with the new variant's summary and how to list it. */
function startBuild(client: StudioClient, s: StudioState, onCalibration: (done: number, total: number) => void): { id: number; done: Promise<Made> } {
  const { recipe, binaryRecipe, scheme, preprocess } = s;
  if (scheme === 'binary') {
    const { id, done } = client.start('binarize', { recipe: { ...binaryRecipe, layers: {} } });
    return { id, done: done.then(({ binarized, kept, ...summary }) => ({
      summary, variant: { kind: 'binary', binary: binaryRecipe, studioFormat: true, quantized: binarized, skipped: kept },
    })) };
  }
  if (scheme === 'mixed') {
    const layers = tableChoices(s);
    const { id, done } = client.start('quantizeMixed', { layers, recipe, activationScale: binaryRecipe.activationScale, preprocess },
      (p) => onCalibration(p.done, p.total));
    return { id, done: done.then(({ precisions, studioFormat, ...summary }) => ({
      summary, variant: {
        kind: 'mixed', recipe, precisions, studioFormat,
        ...(Object.values(precisions).includes('binary') ? { binary: binaryRecipe } : {}),
      },
    })) };
  }
  // The uniform int8 scheme ignores the per-layer table: every layer that can be int8 is.
  const uniform = { ...recipe, layers: {}, defaultPrecision: 'int8' as const };
  const { id, done } = client.start('quantize', { recipe: uniform, preprocess }, (p) => onCalibration(p.done, p.total));
  return { id, done: done.then(({ quantized, skipped, ...summary }) => ({
    summary, variant: { kind: 'int8', recipe: uniform, quantized, skipped },
    notice: skipped.length ? [`${skipped.length} layer${skipped.length > 1 ? 's' : ''} left in float32`, skipped.map((k) => `${k.node}: ${k.reason}`).join('\n')] : undefined,
  })) };
}

/**
 * Makes a variant with the card's scheme (int8, binary, or the per-layer table), selects it and
 * evaluates it with the Evaluate card's settings; when the original has no comparable result it is
 * evaluated too.
 */
export async function quantize(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || busy(s)) return;
  const problem = calibrationProblem(s);
  if (problem) { pushNotice('error', 'Quantization needs calibration samples', problem); return; }
  const previous = s.currentVariant;
  const calibrates = needsCalibration(s);
  let jobId = 0;
  const { id, done } = startBuild(client, s, (d, total) => useStudio.setState({ quantizeJob: { id: jobId, stage: 'calibrating', done: d, total } }));
  jobId = id;
  useStudio.setState({ quantizeJob: { id, stage: calibrates ? 'calibrating' : 'binarizing', done: 0, total: calibrates ? s.recipe.samples : 0 } });
  try {
    let made: Made;
    try {
      made = await done;
    } catch (e) {
      report(s.scheme === 'binary' ? 'Binarization failed' : 'Quantization failed', e, 'Quantization was stopped; the variants made before are kept.');
      // The worker switches to the original to calibrate it; put back the variant that was selected.
      if (previous && previous !== originalName()) await selectVariant(previous);
      return;
    } finally {
      void refreshDevice();
    }
    const name = made.summary.fileName;
    upsert({ name, summary: made.summary, ...made.variant });
    useStudio.setState({ model: made.summary, currentVariant: name, quantizeJob: { id: 0, stage: 'evaluating', done: 0, total: 0 } });
    if (made.notice) pushNotice('info', ...made.notice);
    await evaluateNew();
  } finally {
    useStudio.setState({ quantizeJob: null });
  }
}

/** Evaluates the variant just made and selected, then the original on the same terms if it has no such result. */
export async function evaluateNew(): Promise<void> {
  const result = await evaluate();
  if (result) await evaluateOriginalFor(result);
}

function originalName(): string | null {
  return useStudio.getState().variants.find((v) => v.kind === 'original')?.name ?? null;
}

/** Evaluates the original on the same terms as `result` unless it already has such a result, then switches back. */
async function evaluateOriginalFor(result: EvalResult): Promise<void> {
  const original = useStudio.getState().variants.find((v) => v.kind === 'original');
  if (!original || comparable(original.eval, result)) return;
  if (!(await selectVariant(original.name))) return;
  try {
    await evaluate();
  } finally {
    await selectVariant(result.modelFile);
  }
}

/** Cancels calibration (or binarization), or the evaluation that follows it. */
export function cancelQuantize(): void {
  const job = useStudio.getState().quantizeJob;
  if (!job) return;
  if (job.stage !== 'evaluating') studioClient()?.cancel(job.id);
  else cancelEvaluation();
}

export async function selectVariant(name: string): Promise<boolean> {
  const client = studioClient();
  if (!client) return false;
  try {
    const model = await client.call('selectVariant', { name });
    useStudio.setState({ model, currentVariant: name });
    return true;
  } catch (e) {
    report(`Could not select ${name}`, e);
    return false;
  }
}

/** Saves a variant as an .onnx file through the browser's download. */
export async function downloadVariant(name: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const bytes = await client.call('exportVariant', { name, dynamicBatch: useStudio.getState().exportDynamicBatch });
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (e) {
    report(`Could not export ${name}`, e);
  }
}

/** Picks the layer the Weights card shows; the card then loads its histogram. */
export function chooseWeightsLayer(layer: string): void {
  useStudio.setState({ weights: { layer, variant: useStudio.getState().currentVariant ?? '', histogram: null, error: null } });
}

/** Loads one layer's weight histogram: the original against the current variant. */
export async function showWeights(layer: string): Promise<void> {
  const client = studioClient();
  const variant = useStudio.getState().currentVariant;
  if (!client || !variant) return;
  useStudio.setState((s) => ({ weights: { layer, variant, histogram: s.weights?.layer === layer ? s.weights.histogram : null, error: null } }));
  try {
    const histogram = await client.call('weightHistogram', { layer });
    const w = useStudio.getState().weights;
    if (w?.layer === layer && w.variant === variant) useStudio.setState({ weights: { ...w, histogram } });
  } catch (e) {
    const w = useStudio.getState().weights;
    if (w?.layer === layer) useStudio.setState({ weights: { ...w, histogram: null, error: e instanceof Error ? e.message : String(e) } });
  }
}
