/**
 * The Prune card's state and actions: its inputs (kept as typed, so a bad value is shown, not lost),
 * the layers of the current float model, the sparsity picture of a chosen layer, the running job
 * (a pruning run with its fine-tuning, or a sensitivity sweep), the sweep's curves and the last run.
 */
import { create } from 'zustand';
import { useStudio, pushNotice } from './store';
import { report, refreshDevice, studioClient } from './worker-link';
import { busy, evaluateNew, upsert } from './variants';
import { ensureTrainingData, MNIST_TRAIN, trainBusy } from './train';
import type { Criterion, Granularity, PruneSpec } from '../compress/prune';
import type { PruneSchedule } from '../train/prune-job';
import type {
  PrunedInfo, PruneLayer, PruneOptions, PruneProgress, PruneSensitivityResult, SparsityPicture, TrainData,
} from '../worker/types';

export interface PruneInputs {
  granularity: Granularity;
  criterion: Criterion;
  sparsity: string;
  scope: 'layer' | 'global';
  /** Per-layer sparsities, 'conv1=0.3,fc1=0.8' (set from the sensitivity chart or typed). */
  layers: string;
  schedule: PruneSchedule;
  finetuneEpochs: string;
  distill: boolean;
  trainSamples: string;
  testSamples: string;
  lr: string;
  data: TrainData;
  /** Sensitivity: items per point and the levels. */
  sensitivitySamples: string;
}

export interface PruneJob {
  id: number;
  kind: 'prune' | 'sensitivity';
  status: 'fetching' | 'preparing' | 'running' | 'stopping' | 'evaluating';
  done: number;
  total: number;
}

export interface PruneState {
  inputs: PruneInputs;
  /** Layers of the current float model (null until asked). */
  layers: PruneLayer[] | null;
  /** The layer whose pattern is drawn, and the picture (what the inputs would remove). */
  pictureLayer: string | null;
  picture: SparsityPicture | null;
  pictureError: string | null;
  job: PruneJob | null;
  sensitivity: PruneSensitivityResult | null;
  last: { variant: string; info: PrunedInfo; seconds: number } | null;
  /** Test accuracy per fine-tuning epoch of the running / last run. */
  epochs: number[];
}

export const SENSITIVITY_LEVELS = [0.25, 0.5, 0.75, 0.9];

export const DEFAULT_PRUNE_INPUTS: PruneInputs = {
  granularity: 'fine', criterion: 'l1', sparsity: '0.5', scope: 'layer', layers: '', schedule: 'oneshot',
  // A subset, so a run finishes in minutes on a software adapter.
  finetuneEpochs: '1', distill: false, trainSamples: '6000', testSamples: '2000', lr: '0.0005', data: 'mnist-train', sensitivitySamples: '500',
};

export const usePrune = create<PruneState>()(() => ({
  inputs: DEFAULT_PRUNE_INPUTS, layers: null, pictureLayer: null, picture: null, pictureError: null, job: null, sensitivity: null, last: null, epochs: [],
}));

export type PruneField = keyof PruneInputs;

const n = (v: string) => Number(v.trim().replace(',', '.'));

/** 'a=0.5, b=0.3' → { a: 0.5, b: 0.3 }; throws with the part it cannot read. Blocks take 1 (removed) or 0 (kept). */
export function parseLayerList(text: string, granularity?: Granularity): Record<string, number> | undefined {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return undefined;
  const out: Record<string, number> = {};
  for (const p of parts) {
    const eq = p.lastIndexOf('=');
    const v = n(p.slice(eq + 1));
    if (granularity === 'block') {
      if (eq <= 0 || (v !== 0 && v !== 1)) throw new Error(`'${p}' is not block=1 (removed) or block=0 (kept): a block goes whole or stays`);
    } else if (eq <= 0 || !(v >= 0 && v < 1)) throw new Error(`'${p}' is not layer=sparsity with a sparsity in [0, 1)`);
    out[p.slice(0, eq).trim()] = v;
  }
  return out;
}

/** Each input's problem in words, or nothing. */
export function pruneProblems(inputs: PruneInputs, opts: { layers: readonly PruneLayer[] | null; trainCount: number | null; testCount: number | null }): Partial<Record<PruneField, string>> {
  const out: Partial<Record<PruneField, string>> = {};
  const whole = (k: PruneField, what: string, min: number, max?: number | null) => {
    const text = String(inputs[k]).trim(), v = n(text);
    if (!text || !Number.isInteger(v) || v < min || (max != null && v > max)) out[k] = `${what} must be a whole number from ${min}${max != null ? ` to ${max.toLocaleString()}` : ' up'}${text ? ` (not '${text}')` : ''}.`;
  };
  const s = n(inputs.sparsity);
  if (inputs.granularity !== '2:4' && !(s >= 0 && s < 1)) out.sparsity = `The sparsity is the fraction of weights to remove: a number in [0, 1), e.g. 0.5 (not '${inputs.sparsity}').`;
  try {
    const per = parseLayerList(inputs.layers, inputs.granularity);
    const blocks = [...new Set((opts.layers ?? []).flatMap((l) => (l.block ? [l.block] : [])))];
    const known = inputs.granularity === 'block' ? blocks : (opts.layers ?? []).map((l) => l.node);
    const unknown = Object.keys(per ?? {}).filter((l) => opts.layers && !known.includes(l));
    if (unknown.length) {
      out.layers = inputs.granularity === 'block'
        ? `No removable block is called ${unknown.map((u) => `'${u}'`).join(', ')}; ${blocks.length ? `the blocks are ${blocks.join(', ')}` : 'this model has none'}.`
        : `No prunable layer is called ${unknown.map((u) => `'${u}'`).join(', ')}; the layers are ${known.join(', ')}.`;
    }
  } catch (e) { out.layers = `${(e as Error).message}.`; }
  whole('finetuneEpochs', 'Fine-tuning epochs', 0, 100);
  const ft = n(inputs.finetuneEpochs);
  if (!out.finetuneEpochs && ft === 0) {
    if (inputs.schedule !== 'oneshot') out.schedule = `The ${inputs.schedule} schedule fine-tunes between its stages: give fine-tuning epochs, or prune one-shot.`;
    if (inputs.distill) out.distill = 'Distillation happens while fine-tuning: give fine-tuning epochs.';
  }
  whole('trainSamples', 'Training samples', 1, opts.trainCount);
  whole('testSamples', 'Test samples', 1, opts.testCount);
  whole('sensitivitySamples', 'Sensitivity samples', 1, opts.testCount);
  if (!(n(inputs.lr) > 0)) out.lr = `The learning rate must be a number > 0 (e.g. 0.0005), not '${inputs.lr}'.`;
  return out;
}

export function currentPruneProblems(inputs: PruneInputs = usePrune.getState().inputs): Partial<Record<PruneField, string>> {
  const s = useStudio.getState();
  const trainCount = inputs.data === 'loaded' ? s.dataset?.count ?? null : MNIST_TRAIN.count;
  return pruneProblems(inputs, { layers: usePrune.getState().layers, trainCount, testCount: s.dataset?.count ?? null });
}

export function specOf(inputs: PruneInputs): PruneSpec {
  let layers: Record<string, number> | undefined;
  try { layers = parseLayerList(inputs.layers, inputs.granularity); } catch { layers = undefined; }
  return { granularity: inputs.granularity, criterion: inputs.criterion, sparsity: inputs.granularity === '2:4' ? 0.5 : n(inputs.sparsity), scope: inputs.scope, layers, seed: 1 };
}

export function setPruneInputs(patch: Partial<PruneInputs>): void {
  usePrune.setState((s) => ({ inputs: { ...s.inputs, ...patch } }));
  void refreshPicture();
}

export function pruneBusy(): boolean { return Boolean(usePrune.getState().job); }

/** The current float model's layers; the picture follows the first (or the chosen) one. */
export async function loadPruneLayers(): Promise<void> {
  const client = studioClient();
  if (!client || !useStudio.getState().model) return;
  try {
    const layers = await client.call('pruneLayers', null);
    const keep = usePrune.getState().pictureLayer;
    usePrune.setState({ layers, pictureLayer: layers.some((l) => l.node === keep) ? keep : layers.find((l) => l.opType === 'Conv' && l.weights > 1000)?.node ?? layers[0]?.node ?? null });
    await refreshPicture();
  } catch (e) {
    usePrune.setState({ layers: [], picture: null, pictureError: e instanceof Error ? e.message : String(e) });
  }
}

export async function choosePictureLayer(layer: string): Promise<void> {
  usePrune.setState({ pictureLayer: layer });
  await refreshPicture();
}

let pictureSeq = 0;
/** Redraws the chosen layer with what the current inputs would remove (nothing is changed). */
export async function refreshPicture(): Promise<void> {
  const client = studioClient();
  const { pictureLayer, inputs } = usePrune.getState();
  if (!client || !pictureLayer) return;
  const problems = currentPruneProblems(inputs);
  if (problems.sparsity || problems.layers) { usePrune.setState({ pictureError: problems.sparsity ?? problems.layers ?? null }); return; }
  const seq = ++pictureSeq;
  try {
    const picture = await client.call('sparsityPicture', { layer: pictureLayer, spec: specOf(inputs) });
    if (seq === pictureSeq) usePrune.setState({ picture, pictureError: null });
  } catch (e) {
    if (seq === pictureSeq) usePrune.setState({ picture: null, pictureError: e instanceof Error ? e.message : String(e) });
  }
}

const setJob = (patch: Partial<PruneJob>) => usePrune.setState((s) => (s.job ? { job: { ...s.job, ...patch } } : {}));

function onProgress(p: PruneProgress): void {
  if (p.phase === 'sensitivity') { setJob({ status: 'running', done: p.done, total: p.total }); return; }
  if (p.kind === 'status') setJob({ total: p.totalSteps });
  else if (p.kind === 'step') setJob({ status: 'running', done: p.step, total: p.totalSteps });
  else usePrune.setState((s) => ({ epochs: [...s.epochs, p.record.testAccuracy] }));
}

/** Prunes the current variant's float model with the card's settings; the result becomes a variant, selected and evaluated. */
export async function startPruning(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || busy(s) || trainBusy() || pruneBusy()) return;
  const inputs = usePrune.getState().inputs;
  const problems = Object.values(currentPruneProblems(inputs));
  if (problems.length) { pushNotice('error', 'Pruning needs valid settings', problems.join('\n')); return; }
  if (!s.model || !s.dataset) { pushNotice('error', 'Pruning needs a model and a test set', 'Load a model and an IDX test set first.'); return; }
  const spec = specOf(inputs);
  const opts: PruneOptions = {
    ...spec, scope: inputs.scope, schedule: inputs.schedule, finetuneEpochs: n(inputs.finetuneEpochs), distill: inputs.distill, data: inputs.data,
    trainSamples: n(inputs.trainSamples), testSamples: n(inputs.testSamples), batch: 64, lr: n(inputs.lr), seed: 1, preprocess: s.preprocess,
  };
  usePrune.setState({ job: { id: 0, kind: 'prune', status: 'preparing', done: 0, total: 0 }, epochs: [] });
  try {
    let made;
    try {
      if ((opts.finetuneEpochs > 0 || opts.criterion === 'taylor') && opts.data === 'mnist-train') { setJob({ status: 'fetching' }); await ensureTrainingData(); }
      const { id, done } = client.start('prune', opts, onProgress);
      setJob({ id, status: 'preparing' });
      made = await done;
    } catch (e) {
      report('Pruning failed', e, 'Pruning was cancelled; the model is unchanged.');
      return;
    } finally {
      void refreshDevice();
    }
    const { pruned, seconds, ...summary } = made;
    upsert({ name: summary.fileName, kind: 'pruned', summary, pruned });
    useStudio.setState({ model: summary, currentVariant: summary.fileName });
    usePrune.setState({ last: { variant: summary.fileName, info: pruned, seconds } });
    const acc = pruned.accuracy.after;
    pushNotice('info', 'Pruned', `${summary.fileName}: ${pruned.after.params.toLocaleString()} parameters (${pruned.before.params.toLocaleString()} before), ` +
      `${(100 * pruned.after.flops / pruned.before.flops).toFixed(1)} % of the FLOPs${acc !== null ? `, ${(100 * acc).toFixed(2)} % on ${opts.testSamples.toLocaleString()} test samples` : ''}, in ${seconds.toFixed(0)} s. Evaluating it now.`);
    setJob({ status: 'evaluating' });
    await evaluateNew();
    await loadPruneLayers();
  } finally {
    usePrune.setState({ job: null });
  }
}

/** Each layer pruned alone at each level, accuracy on the card's sensitivity samples. */
export async function startPruneSensitivity(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || busy(s) || trainBusy() || pruneBusy()) return;
  const inputs = usePrune.getState().inputs;
  const p = currentPruneProblems(inputs).sensitivitySamples;
  if (p) { pushNotice('error', 'Sensitivity needs valid settings', p); return; }
  if (!s.model || !s.dataset) { pushNotice('error', 'Sensitivity needs a model and a test set', 'Load a model and an IDX test set first.'); return; }
  usePrune.setState({ job: { id: 0, kind: 'sensitivity', status: 'preparing', done: 0, total: 0 } });
  try {
    const { id, done } = client.start('pruneSensitivity', {
      granularity: inputs.granularity, criterion: inputs.criterion === 'taylor' ? 'l1' : inputs.criterion, levels: SENSITIVITY_LEVELS,
      samples: n(inputs.sensitivitySamples), preprocess: s.preprocess,
    }, onProgress);
    setJob({ id });
    usePrune.setState({ sensitivity: await done });
  } catch (e) {
    report('Sensitivity failed', e, 'The sensitivity sweep was cancelled; nothing changed.');
  } finally {
    usePrune.setState({ job: null });
    void refreshDevice();
  }
}

/** Per layer, the largest measured sparsity within `budgetPoints` of the baseline: a starting point the user can edit. */
export function layersWithinBudget(r: PruneSensitivityResult, budgetPoints: number): Record<string, number> {
  const floor = r.baseline - budgetPoints / 100;
  return Object.fromEntries(r.curves.flatMap((c) => {
    const ok = c.points.filter((p) => p.accuracy >= floor).map((p) => p.sparsity);
    return ok.length ? [[c.layer, Math.max(...ok)]] : [];
  }));
}

export function cancelPruneJob(): void {
  const job = usePrune.getState().job;
  if (!job || job.status === 'evaluating') return;
  setJob({ status: 'stopping' });
  if (job.id) studioClient()?.cancel(job.id);
}

