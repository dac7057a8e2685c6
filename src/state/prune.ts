/**
 * The Prune card's state and actions: its inputs (kept as typed, so a bad value is shown, not lost),
 * the layers of the current float model, the sparsity picture of a chosen layer, the running job
 * (a pruning run with its fine-tuning, or a sensitivity sweep), the sweep's curves and the last run.
 */
import { create } from 'zustand';
import { busyReason, useStudio, pushNotice } from './store';
import { applyStep, cancelJob, mayStart, report, refreshDevice, studioClient } from './link';
import { ensureTrainingData, MNIST_TRAIN, type TrainData } from './train';
import { formProblems, typed } from './form-problems';
import { formatLayerList, parseLayerList } from '../recipe/layer-list';
import type { Criterion, Granularity, PruneSchedule } from '../recipe/vocabulary';
import type { PruneStep } from '../recipe/steps';
import type { PruneSpec } from '../compress/prune';
import type { PrunedInfo, PruneLayer, PruneProgress, PruneSensitivityResult, SparsityPicture } from '../worker/types';
import { fmtInt } from '../core/format';

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
  /** The granularity the picture was drawn with (the inputs may have moved on while the next one is made). */
  pictureGranularity: PruneInputs['granularity'] | null;
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
  inputs: DEFAULT_PRUNE_INPUTS, layers: null, pictureLayer: null, picture: null, pictureGranularity: null, pictureError: null, job: null, sensitivity: null, last: null, epochs: [],
}));

export type PruneField = keyof PruneInputs;

const n = typed;

export { parseLayerList };

const PRUNE_FIELDS: Partial<Record<string, PruneField>> = {
  sparsity: 'sparsity', layers: 'layers', schedule: 'schedule', distill: 'distill', finetuneEpochs: 'finetuneEpochs', trainSamples: 'trainSamples',
  testSamples: 'testSamples', lr: 'lr', scope: 'scope', criterion: 'criterion',
};
const PRUNE_LABELS: Record<PruneField, string> = {
  granularity: 'The granularity', criterion: 'The criterion', sparsity: 'The sparsity', scope: 'The scope', layers: 'The per-layer list', schedule: 'The schedule',
  finetuneEpochs: 'Fine-tuning epochs', distill: 'Distillation', trainSamples: 'Training samples', testSamples: 'Test samples', lr: 'The learning rate',
  data: 'The data', sensitivitySamples: 'Sensitivity samples',
};

/** The prune step the card's inputs describe (numbers as typed: a bad one stays visible to the schema). */
export function pruneStepOf(inputs: PruneInputs): Record<string, unknown> {
  let layers: Record<string, number> | undefined;
  try { layers = parseLayerList(inputs.layers, inputs.granularity); } catch { layers = undefined; }
  return {
    kind: 'prune', granularity: inputs.granularity, criterion: inputs.criterion, ...(inputs.granularity === '2:4' ? {} : { sparsity: n(inputs.sparsity) }),
    ...(layers ? { layers } : {}), scope: inputs.scope, schedule: inputs.schedule, finetuneEpochs: n(inputs.finetuneEpochs), distill: inputs.distill,
    trainSamples: n(inputs.trainSamples), testSamples: n(inputs.testSamples), lr: n(inputs.lr), data: inputs.data === 'loaded' ? 'test' : 'train', seed: 1,
  };
}

/** Each input's problem in words, or nothing: the schema's, and the card's own (layer names this model has, counts the data can give). */
export function pruneProblems(inputs: PruneInputs, opts: { layers: readonly PruneLayer[] | null; trainCount: number | null; testCount: number | null }): Partial<Record<PruneField, string>> {
  // Untouched fields hold the defaults, valid by construction (a test checks them): no schema built while the page loads.
  const out: Partial<Record<PruneField, string>> = inputs === DEFAULT_PRUNE_INPUTS ? {} : formProblems(pruneStepOf(inputs), PRUNE_FIELDS, PRUNE_LABELS);
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
  const most = (k: 'trainSamples' | 'testSamples' | 'sensitivitySamples', max: number | null) => {
    const v = n(inputs[k]);
    if (!out[k] && (!Number.isInteger(v) || v < 1)) out[k] = `${PRUNE_LABELS[k]} must be a whole number from 1 up (not '${inputs[k]}').`;
    else if (!out[k] && max !== null && v > max) out[k] = `${PRUNE_LABELS[k]} must be at most ${fmtInt(max)}, the items the set holds.`;
  };
  most('trainSamples', opts.trainCount);
  most('testSamples', opts.testCount);
  most('sensitivitySamples', opts.testCount);
  return out;
}

export function currentPruneProblems(inputs: PruneInputs = usePrune.getState().inputs): Partial<Record<PruneField, string>> {
  const s = useStudio.getState();
  const trainCount = inputs.data === 'loaded' ? s.datasets.test?.count ?? null : MNIST_TRAIN.count;
  return pruneProblems(inputs, { layers: usePrune.getState().layers, trainCount, testCount: s.datasets.test?.count ?? null });
}

export function specOf(inputs: PruneInputs): PruneSpec {
  let layers: Record<string, number> | undefined;
  try { layers = parseLayerList(inputs.layers, inputs.granularity); } catch { layers = undefined; }
  return { granularity: inputs.granularity, criterion: inputs.criterion, sparsity: inputs.granularity === '2:4' ? 0.5 : n(inputs.sparsity), scope: inputs.scope, layers, seed: 1 };
}

/** Fills the card from a prune step (duplicate-and-edit). */
export function fillPruneForm(step: PruneStep): void {
  usePrune.setState((s) => ({
    inputs: {
      ...s.inputs, granularity: step.granularity, criterion: step.criterion, sparsity: String(step.sparsity), scope: step.scope,
      layers: formatLayerList(step.layers), schedule: step.schedule, finetuneEpochs: String(step.finetuneEpochs), distill: step.distill,
      trainSamples: String(step.trainSamples ?? 60_000), testSamples: String(step.testSamples ?? 10_000), lr: String(step.lr), data: step.data === 'test' ? 'loaded' : 'mnist-train',
    },
  }));
  void loadPruneLayers();
}

export function setPruneInputs(patch: Partial<PruneInputs>): void {
  usePrune.setState((s) => ({ inputs: { ...s.inputs, ...patch } }));
  void refreshPicture();
}

export function pruneBusy(): boolean { return Boolean(usePrune.getState().job); }

/** The variant the card prunes: the selected one (its float model). */
const selected = () => useStudio.getState().selectedId;

/** The selected variant's float model's layers; the picture follows the first (or the chosen) one. */
export async function loadPruneLayers(): Promise<void> {
  const client = studioClient();
  const id = selected();
  if (!client || !id) return;
  try {
    const layers = await client.call('pruneLayers', { id });
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
  const id = selected();
  if (!client || !pictureLayer || !id) return;
  const problems = currentPruneProblems(inputs);
  if (problems.sparsity || problems.layers) { usePrune.setState({ pictureError: problems.sparsity ?? problems.layers ?? null }); return; }
  const seq = ++pictureSeq;
  try {
    const picture = await client.call('sparsityPicture', { id, layer: pictureLayer, spec: specOf(inputs) });
    if (seq === pictureSeq) usePrune.setState({ picture, pictureGranularity: inputs.granularity, pictureError: null });
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

/** Prunes the selected variant's float model with the card's settings; the result becomes a variant, selected and evaluated. */
export async function startPruning(): Promise<void> {
  const s = useStudio.getState();
  const reason = busyReason(s);
  if (reason) { pushNotice('error', 'Cannot prune now', reason); return; }
  const inputs = usePrune.getState().inputs;
  const problems = Object.values(currentPruneProblems(inputs));
  if (problems.length) { pushNotice('error', 'Pruning needs valid settings', problems.join('\n')); return; }
  if (!s.selectedId || !s.datasets.test) { pushNotice('error', 'Pruning needs a model and a test set', 'Load a model and an IDX test set first.'); return; }
  const step = pruneStepOf(inputs);
  usePrune.setState({ job: { id: 0, kind: 'prune', status: 'preparing', done: 0, total: 0 }, epochs: [] });
  try {
    if ((n(inputs.finetuneEpochs) > 0 || inputs.criterion === 'taylor') && inputs.data === 'mnist-train') {
      setJob({ status: 'fetching' });
      try { await ensureTrainingData(); } catch (e) { report('Could not fetch the training set', e); return; }
    }
    setJob({ status: 'preparing' });
    const made = await applyStep(step, s.selectedId, 'pruning', onProgress, 'Pruning was cancelled; the model is unchanged.');
    if (!made) return;
    const pruned = made.details.pruned as PrunedInfo;
    usePrune.setState({ last: { variant: made.name, info: pruned, seconds: made.step?.context.seconds ?? 0 } });
    const acc = pruned.accuracy.after;
    pushNotice('info', 'Pruned', `${made.name}: ${fmtInt(pruned.after.params)} parameters (${fmtInt(pruned.before.params)} before), ` +
      `${(100 * pruned.after.flops / pruned.before.flops).toFixed(1)} % of the FLOPs${acc !== null ? `, ${(100 * acc).toFixed(2)} % on ${fmtInt(Number(inputs.testSamples))} test samples` : ''}.`);
    await loadPruneLayers();
  } finally {
    usePrune.setState({ job: null });
  }
}

/** Each layer pruned alone at each level, accuracy on the card's sensitivity samples. */
export async function startPruneSensitivity(): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!s.selectedId || !mayStart('a sensitivity sweep')) return;
  const inputs = usePrune.getState().inputs;
  const p = currentPruneProblems(inputs).sensitivitySamples;
  if (p) { pushNotice('error', 'Sensitivity needs valid settings', p); return; }
  if (!s.datasets.test) { pushNotice('error', 'Sensitivity needs a test set', 'Load an IDX test set first.'); return; }
  usePrune.setState({ job: { id: 0, kind: 'sensitivity', status: 'preparing', done: 0, total: 0 } });
  try {
    const { done } = client!.start('pruneSensitivity', {
      id: s.selectedId, opts: {
        granularity: inputs.granularity, criterion: inputs.criterion === 'taylor' ? 'l1' : inputs.criterion, levels: SENSITIVITY_LEVELS,
        samples: n(inputs.sensitivitySamples), preprocess: s.preprocess,
      },
    }, onProgress);
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
    const ok = c.points.filter((q) => q.accuracy >= floor).map((q) => q.sparsity);
    return ok.length ? [[c.layer, Math.max(...ok)]] : [];
  }));
}

export function cancelPruneJob(): void {
  if (!usePrune.getState().job) return;
  setJob({ status: 'stopping' });
  cancelJob();
}
