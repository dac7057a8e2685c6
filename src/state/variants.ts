/** Actions for compressed variants: quantize, select, download, and weight histograms. */
import { useStudio, pushNotice, type Variant } from './store';
import { evaluate, cancelEvaluation, refreshDevice, report, studioClient } from './actions';
import type { EvalResult, Int8Recipe } from '../worker/types';

export function setRecipe(patch: Partial<Int8Recipe>): void {
  useStudio.setState((s) => ({ recipe: { ...s.recipe, ...patch } }));
}

/** Adds a variant, or replaces one of the same name (the same recipe run again); its old result no longer applies. */
function upsert(v: Variant): void {
  useStudio.setState((s) => {
    const i = s.variants.findIndex((x) => x.name === v.name);
    return { variants: i < 0 ? [...s.variants, v] : s.variants.map((x, j) => (j === i ? v : x)) };
  });
}

/** Results are comparable when they ran on the same data, the same preprocessing and the same number of samples. */
export function comparable(a: EvalResult | undefined, b: EvalResult | undefined): boolean {
  return Boolean(a && b && a.dataset === b.dataset && a.samples === b.samples && JSON.stringify(a.preprocess) === JSON.stringify(b.preprocess));
}

/**
 * Quantizes the loaded file with the card's recipe, selects the new variant and evaluates it with
 * the Evaluate card's settings; when the original has no comparable result it is evaluated too.
 */
export async function quantize(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || s.job || s.quantizeJob) return;
  const { recipe, currentVariant: previous } = s;
  let jobId = 0;
  const { id, done } = client.start('quantize', { recipe, preprocess: s.preprocess },
    (p) => useStudio.setState({ quantizeJob: { id: jobId, stage: 'calibrating', done: p.done, total: p.total } }));
  jobId = id;
  useStudio.setState({ quantizeJob: { id, stage: 'calibrating', done: 0, total: recipe.samples } });
  try {
    let made;
    try {
      made = await done;
    } catch (e) {
      report('Quantization failed', e, 'Quantization was stopped; the variants made before are kept.');
      // The worker switches to the original to calibrate it; put back the variant that was selected.
      if (previous && previous !== originalName()) await selectVariant(previous);
      return;
    } finally {
      void refreshDevice();
    }
    const { quantized, skipped, ...summary } = made;
    upsert({ name: summary.fileName, kind: 'int8', recipe, summary, quantized, skipped });
    useStudio.setState({ model: summary, currentVariant: summary.fileName, quantizeJob: { id: 0, stage: 'evaluating', done: 0, total: 0 } });
    if (skipped.length) {
      pushNotice('info', `${skipped.length} layer${skipped.length > 1 ? 's' : ''} left in float32`, skipped.map((k) => `${k.node}: ${k.reason}`).join('\n'));
    }
    const result = await evaluate();
    if (result) await evaluateOriginalFor(result);
  } finally {
    useStudio.setState({ quantizeJob: null });
  }
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

/** Cancels calibration, or the evaluation that follows it. */
export function cancelQuantize(): void {
  const job = useStudio.getState().quantizeJob;
  if (!job) return;
  if (job.stage === 'calibrating') studioClient()?.cancel(job.id);
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
    const bytes = await client.call('exportVariant', { name });
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
