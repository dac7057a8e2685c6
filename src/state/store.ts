/**
 * The studio's one store, in slices per concern: the device, the open project (its variant records,
 * as the worker pushes them, and its datasets), the selected variant, the one running job, the
 * Evaluate and Quantize cards' settings, and notices. Plain serialisable data only; the GPU lives in
 * the worker behind the client (state/link.ts). Cards with fast-changing state (Train, Prune,
 * Dashboard) keep their own stores beside this one.
 */
import type { ImageSpec } from '../recipe/image-spec';
import { create } from 'zustand';
import type { DatasetRecord, VariantRecord } from '../recipe/variant';
import type { DataRole, Preprocess } from '../recipe/vocabulary';
import { MNIST_PREPROCESS } from '../recipe/vocabulary';
import type { DeviceSummary, Int8Recipe, ModelSummary, PrecisionLayer, SensitivityResult, WeightHistogram } from '../worker/types';
import type { JobView } from '../worker/jobs';
import type { ProjectInfo } from '../worker/project-sink';
import type { InterruptedJob, StorageSummary } from '../worker/project-db';

export interface Notice { id: number; level: 'error' | 'warning' | 'info'; title: string; message: string }

/** What Quantize makes: every layer int8, binary (XNOR), or each layer as the per-layer table says. */
export type Scheme = 'int8' | 'binary' | 'mixed';

/** The binary options the UI edits. */
export interface BinaryOptions { keepFirstLast: boolean; activationScale: boolean }

/** The Mixed precision card's inputs, kept as typed so a bad value is shown, not lost. */
export interface MixedInputs {
  /** Evaluation samples for sensitivity and the search, from the start of the dataset. */
  samples: string;
  /** Also measure each layer binarized. */
  binary: boolean;
  /** Accuracy-drop budget in points. */
  budget: string;
}

export interface WeightsView {
  layer: string;
  /** The variant the histogram was computed against (the selected one). */
  variant: string;
  histogram: WeightHistogram | null;
  error: string | null;
}

export type View = 'workbench' | 'dashboard' | 'storage';
/** A card the page can scroll to (duplicate-and-edit opens the step's form there). */
export type CardName = 'quantize' | 'mixed' | 'prune' | 'train';

export interface StudioState {
  webgpu: 'checking' | 'ready' | 'missing' | 'failed';
  device: DeviceSummary | null;
  view: View;
  project: ProjectInfo | null;
  projects: ProjectInfo[];
  /** Every variant of the open project, in the order they were made. */
  records: VariantRecord[];
  datasets: Partial<Record<DataRole, DatasetRecord>>;
  /** The variant the workbench works on (its layers, its results; the steps start from it). */
  selectedId: string | null;
  /** The selected variant as the model view shows it. */
  summary: ModelSummary | null;
  /** Jobs a reload or a crash cut off, listed with Restart. */
  interrupted: InterruptedJob[];
  /** A file being opened (before the worker's job starts). */
  opening: string | null;
  /** An IDX file waiting for its other half. */
  pendingIdx: { kind: 'images' | 'labels'; name: string } | null;
  /** The one job running in the worker (the page's one busy state). */
  job: JobView | null;
  /** Page-side work before a worker job (fetching the training set), in words. */
  preparing: string | null;
  preprocess: Preprocess;
  /** The presets tried on the test images (Evaluate → Try presets), best first. */
  presetTrial: { preset: string; spec: ImageSpec; accuracy: number; samples: number }[] | null;
  /** Which set dropped image data becomes: the test set (evaluation, calibration) or the training set (training, fine-tuning). */
  dropRole: 'test' | 'train';
  /** How long the last image data took to load, in ms (shown beside the dataset). */
  imageImportMs: number | null;
  limit: number | null;
  /** The int8 recipe; its `layers` hold the per-layer table's choices (used by the mixed scheme). */
  recipe: Int8Recipe;
  scheme: Scheme;
  binaryRecipe: BinaryOptions;
  precisionLayers: PrecisionLayer[] | null;
  mixedInputs: MixedInputs;
  sensitivity: SensitivityResult | null;
  weights: WeightsView | null;
  notices: Notice[];
  /** Downloads write a symbolic batch dim instead of the loaded file's own input signature. */
  exportDynamicBatch: boolean;
  /** New model files start a new project (off: they join the open one). */
  newProjectPerFile: boolean;
  /** The card duplicate-and-edit opened, to scroll to and highlight. */
  focusCard: CardName | null;
  storage: StorageSummary | null;
}

/** The int8 recipe as the quantizer takes it; defaults with their reasons live in recipe/steps.ts. */
const INT8_DEFAULTS: Int8Recipe = {
  perChannel: true, symmetricWeights: true, symmetricActivations: false, activations: 'static', calibration: 'minmax',
  percentile: 99.99, samples: 256, layers: {}, defaultPrecision: 'int8',
};

export const initialState: StudioState = {
  webgpu: 'checking', device: null, view: 'workbench',
  project: null, projects: [], records: [], datasets: {}, selectedId: null, summary: null, interrupted: [],
  opening: null, pendingIdx: null, job: null, preparing: null,
  // MNIST's usual normalisation, which the bundled models were trained with.
  preprocess: MNIST_PREPROCESS, presetTrial: null, imageImportMs: null, dropRole: 'test',
  limit: null,
  recipe: INT8_DEFAULTS,
  scheme: 'int8',
  // XNOR-Net's practice: the first and last layers hold few weights and cost the most accuracy.
  binaryRecipe: { keepFirstLast: true, activationScale: false },
  precisionLayers: null,
  mixedInputs: { samples: '1000', binary: true, budget: '0.5' },
  sensitivity: null,
  weights: null,
  notices: [],
  // Exports keep the file's own signature unless asked: the user's other tools expect what they exported.
  exportDynamicBatch: false,
  newProjectPerFile: true,
  focusCard: null,
  storage: null,
};

export const useStudio = create<StudioState>()(() => initialState);

let noticeId = 1;
export function pushNotice(level: Notice['level'], title: string, message: string): void {
  useStudio.setState((s) => ({ notices: [...s.notices.slice(-4), { id: noticeId++, level, title, message }] }));
}

export function dismissNotice(id: number): void {
  useStudio.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}

/** Why a new job cannot start now (the running one, or page-side preparation), or null. */
export function busyReason(s: Pick<StudioState, 'job' | 'preparing' | 'opening'> = useStudio.getState()): string | null {
  // No progress figures here: the text stays the same while the job runs, so what shows it renders once.
  if (s.job) return `${s.job.label} is running: wait for it, or cancel it in the bar at the top.`;
  if (s.preparing) return `${s.preparing}: wait a moment.`;
  if (s.opening) return `Opening ${s.opening}: wait a moment.`;
  return null;
}

export function recordOf(s: Pick<StudioState, 'records'>, id: string | null | undefined): VariantRecord | undefined {
  return id ? s.records.find((r) => r.id === id) : undefined;
}

/** The loaded file the selected variant comes from (else the project's first). */
export function rootRecord(s: Pick<StudioState, 'records' | 'selectedId'>): VariantRecord | undefined {
  let r = recordOf(s, s.selectedId);
  for (let i = 0; r?.parentId && i < s.records.length; i++) r = recordOf(s, r.parentId);
  return r ?? s.records.find((x) => !x.parentId);
}

/** The float variant int8 and binary start from when `id` is selected: itself when float, else its nearest float ancestor. */
export function floatSource(s: Pick<StudioState, 'records'>, id: string | null): VariantRecord | undefined {
  for (let r = recordOf(s, id), i = 0; r && i <= s.records.length; r = recordOf(s, r.parentId), i++) {
    if (r.technique === 'original' || r.technique === 'student' || r.technique === 'pruned') return r;
  }
  return s.records.find((x) => !x.parentId);
}
