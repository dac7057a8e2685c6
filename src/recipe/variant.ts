/**
 * One variant record, shared by the worker, the page, the CLI and project files: a stable id, its
 * parent, the step that made it (as written and as resolved), a name, notes and tags for people,
 * figures of the model itself, and measurements kept as history keyed by what they were measured on.
 * Plain data only (no typed arrays, no class instances): it is stored, exported and sent as is.
 */
import type { ImageLoadReport, ImageSpec } from './image-spec';
import type { AuthoredStep, Step } from './steps';
import type { DataRole, Preprocess, Technique } from './vocabulary';
import type { LayerProfile, LatencySummary } from '../core/latency';

/** One weighted layer as the side-by-side table aligns it (by node name). */
export interface LayerInfo {
  name: string;
  op: string;
  /** Output shape of one item's batch as the engine runs it ('N' for a symbolic batch). */
  shape: (number | string)[];
  /** Bits per weight as stored: 32 (float), 8 (int8), 1 (binary). */
  bits: number;
  params: number;
  /** Weights stored as zero. */
  zeros: number;
  bytes: number;
  flops: number;
}

/** Figures of the model itself, measured without data. */
export interface VariantStats {
  params: number;
  /** FLOPs of one item, dense, and without the multiply-adds on zero weights (what sparse kernels compute). */
  flops: number;
  nonzeroFlops: number;
  /** Stored bytes of the Conv/Gemm/MatMul weights (int8 with their scales), the figure ratios are quoted on. */
  weightBytes: number;
  /** Stored bytes of every initializer. */
  sizeBytes: number;
  /** Bytes of the ONNX file as the studio writes it. */
  fileBytes: number;
  /** Weights in the studio's sparse encoding (pruned variants with zeros), else null. */
  sparseBytes: number | null;
  /** The file uses the studio's own binary ops (docs/binary-format.md), which onnxruntime cannot run. */
  studioFormat: boolean;
  /** Outputs of the classifier (null where the output width is symbolic). */
  classes: number | null;
  inputShape: (number | string)[];
  layers: LayerInfo[];
}

/** What a measurement was taken on: two measurements compare only when their keys are equal. */
export interface MeasurementKey {
  dataset: string;
  datasetSha256: string;
  preprocess: Preprocess;
  /** The first `samples` items of the dataset. */
  samples: number;
  /** The adapter, as the device card names it ('software' ones say so). */
  adapter: string;
}

/** One latency measurement at one batch size (the engine's figures, less its run budget). */
export type LatencyFigure = LatencySummary;

export interface Measurement {
  key: MeasurementKey;
  /** When it was taken (ms since the epoch). */
  at: number;
  top1: number;
  /** Top-5 accuracy where the model has more than five classes. */
  top5: number | null;
  correct: number;
  /** The predicted class of each of the `samples` items, in order: flips, agreement and confusion are computed from these. */
  predictions: number[];
  latency: LatencyFigure[];
  /** Batch sizes not measured, and why. */
  latencySkipped: { batch: number; reason: string }[];
  evalMs: number;
  /** How the model was fed, in words. */
  batching: string | null;
  /** Where the time of one run goes, per layer, at the smallest batch timed (absent: not profiled, or no timestamp queries). */
  layers?: LayerProfile;
}

/** A dataset a project holds: the labels stay with the record so predictions can be scored anywhere. */
export interface DatasetRecord {
  sha256: string;
  name: string;
  count: number;
  itemShape: number[];
  classes: number;
  labelCounts: number[];
  labels: number[];
  /** The file names it came from. */
  files: string[];
  /** Image datasets: the spec their images were decoded with (its mean/std are the preprocessing jobs use). */
  spec?: ImageSpec;
  /** Class names in label order, where the source gave them (folder names, a class list). */
  classNames?: string[];
  /** Image datasets: what was skipped or ignored while reading them. */
  loadReport?: ImageLoadReport;
}

/** Where a step's data came from and with what preprocessing, so the step can be replayed exactly. */
export interface StepContext {
  preprocess: Preprocess;
  /** The datasets it read, by role. */
  data: Partial<Record<DataRole, { name: string; sha256: string; count: number }>>;
  /** The teacher's id (distillation), where there was one. */
  teacherId?: string | null;
  /** Image data: the spec its images were decoded with. */
  imageSpec?: ImageSpec;
  adapter: string;
  seconds: number;
}

export interface VariantRecord {
  /** Hash of the model bytes and the step that made it: two runs with different settings never share one. */
  id: string;
  projectId: string;
  /** null for a file loaded into the project. */
  parentId: string | null;
  name: string;
  notes: string;
  tags: string[];
  technique: Technique;
  /** null for a loaded file; the step as written (`authored`) and with every default filled in (`resolved`). */
  step: { authored: AuthoredStep; resolved: Step; context: StepContext } | null;
  /** The file a root variant was loaded from. */
  source: { fileName: string } | null;
  createdAt: number;
  /**
   * sha256 of the file as the studio writes it for download (a loaded file: its own bytes), the
   * figure a page run and a CLI run of the same recipe are compared on.
   */
  modelSha256: string;
  /** sha256 of the stored model (the form the engine runs; a loaded file: its own bytes), the key of its blob. */
  blobSha256: string;
  /** Built with its own (dynamic-batch) signature rather than the loaded file's: students and what is made from them. */
  ownSignature: boolean;
  stats: VariantStats;
  /** What the job reported (layers quantized or kept and why, pruning figures, training outcome…), plain data. */
  details: Record<string, unknown>;
  measurements: Measurement[];
}

export function sameKey(a: MeasurementKey, b: MeasurementKey): boolean {
  return a.datasetSha256 === b.datasetSha256 && a.samples === b.samples && a.adapter === b.adapter && JSON.stringify(a.preprocess) === JSON.stringify(b.preprocess);
}

/** The newest measurement with this key, or the newest of all when no key is given. */
export function latestMeasurement(r: Pick<VariantRecord, 'measurements'>, key?: MeasurementKey): Measurement | null {
  for (let i = r.measurements.length - 1; i >= 0; i--) {
    const m = r.measurements[i]!;
    if (!key || sameKey(m.key, key)) return m;
  }
  return null;
}

export function latencyAt(m: Measurement | null, batch: number): LatencyFigure | null {
  return m?.latency.find((l) => l.batch === batch) ?? null;
}

/** The share of items on which two measurements with equal keys predict the same class (null when they do not compare). */
export function agreement(a: Measurement | null, b: Measurement | null): number | null {
  if (!a || !b || !sameKey(a.key, b.key) || a.predictions.length !== b.predictions.length || !a.predictions.length) return null;
  let same = 0;
  for (let i = 0; i < a.predictions.length; i++) if (a.predictions[i] === b.predictions[i]) same++;
  return same / a.predictions.length;
}

/** The chain from a root to the variant, oldest first. */
export function lineageOf(records: readonly VariantRecord[], id: string): VariantRecord[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const chain: VariantRecord[] = [];
  for (let r = byId.get(id); r; r = r.parentId ? byId.get(r.parentId) : undefined) {
    chain.unshift(r);
    if (chain.length > records.length) break; // a cycle would be a bug; never loop forever
  }
  return chain;
}

/** Every variant made from `id`, directly or not. */
export function descendantsOf(records: readonly VariantRecord[], id: string): VariantRecord[] {
  const out: VariantRecord[] = [];
  const frontier = [id];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const r of records) if (r.parentId === p && !out.includes(r)) { out.push(r); frontier.push(r.id); }
  }
  return out;
}

/** The root a variant comes from (the loaded file). */
export function rootOf(records: readonly VariantRecord[], id: string): VariantRecord | null {
  return lineageOf(records, id)[0] ?? null;
}
