/**
 * Small, plausible variant records for the report's tests: a loaded root, an int8 child and a
 * pruned child, measured on one shared key with 20 predictions whose flips are known by hand
 * (see FAMILY_PREDICTIONS). Plain data, as the worker stores it.
 */
import { parseStep, type AuthoredStep } from '../recipe/steps';
import type { DatasetRecord, LatencyFigure, Measurement, MeasurementKey, VariantRecord, VariantStats } from '../recipe/variant';
import { MNIST_PREPROCESS, type Technique } from '../recipe/vocabulary';

export const T0 = Date.UTC(2025, 0, 15, 9, 0, 0);
const SHA = (c: string) => c.repeat(64);

/** Five classes, the last (4) never appearing: per-class figures must say null for it. */
export const CLASSES = 5;
export const LABELS: number[] = Array.from({ length: 20 }, (_, i) => i % 4);

/**
 * root: right except items 3 and 7 (18/20).
 * int8: item 3 fixed (wrong → right), item 5 broken (right → wrong), item 7 wrong another way (18/20).
 * pruned: the root's errors plus items 0, 4 and 8 predicted 1 (15/20).
 */
export const FAMILY_PREDICTIONS = {
  root: LABELS.map((l, i) => (i === 3 ? 0 : i === 7 ? 1 : l)),
  int8: LABELS.map((l, i) => (i === 5 ? 2 : i === 7 ? 2 : l)),
  pruned: LABELS.map((l, i) => (i === 3 ? 0 : i === 7 ? 1 : i === 0 || i === 4 || i === 8 ? 1 : l)),
};

export const DATASET: DatasetRecord = {
  sha256: SHA('d'), name: 'MNIST test', count: 20, itemShape: [1, 28, 28], classes: CLASSES,
  labelCounts: [5, 5, 5, 5, 0], labels: LABELS, files: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

export const KEY: MeasurementKey = { dataset: 'MNIST test', datasetSha256: DATASET.sha256, preprocess: MNIST_PREPROCESS, samples: 20, adapter: 'NVIDIA (webgpu)' };
/** The same data on another adapter: does not compare with KEY. */
export const OTHER_KEY: MeasurementKey = { ...KEY, adapter: 'SwiftShader (software)' };

export function latency(batch: number, medianMs: number): LatencyFigure {
  return {
    batch, runs: 20, requestedRuns: 20, medianMs, p5Ms: medianMs * 0.9, p95Ms: medianMs * 1.25,
    minMs: medianMs * 0.85, maxMs: medianMs * 1.5, gpuMedianMs: null, timing: 'wall-clock',
  };
}

/** A measurement whose top-1 and count right follow from the predictions and LABELS. */
export function measurement(o: { key?: MeasurementKey; at?: number; predictions: number[]; b1?: number; b64?: number; top5?: number | null }): Measurement {
  const correct = o.predictions.filter((p, i) => p === LABELS[i]).length;
  return {
    key: o.key ?? KEY, at: o.at ?? T0, top1: correct / o.predictions.length, top5: o.top5 === undefined ? 1 : o.top5, correct,
    predictions: o.predictions,
    latency: [...(o.b1 === undefined ? [] : [latency(1, o.b1)]), ...(o.b64 === undefined ? [] : [latency(64, o.b64)])],
    latencySkipped: [], evalMs: 40, batching: 'batch 64',
  };
}

export function stats(o: Partial<VariantStats> = {}): VariantStats {
  return {
    params: 25_000, flops: 400_000, nonzeroFlops: 400_000, weightBytes: 100_000, sizeBytes: 100_200, fileBytes: 110_000,
    sparseBytes: null, studioFormat: false, classes: CLASSES, inputShape: [1, 1, 28, 28], layers: [], ...o,
  };
}

/** A record; give `step` (as written) for a made variant, leave it out for a loaded file. */
export function record(o: {
  id: string; name?: string; parentId?: string | null; technique?: Technique; step?: AuthoredStep;
  stats?: Partial<VariantStats>; measurements?: Measurement[]; notes?: string; tags?: string[]; createdAt?: number;
}): VariantRecord {
  const step = o.step
    ? { authored: o.step, resolved: parseStep(o.step), context: { preprocess: MNIST_PREPROCESS, data: {}, adapter: KEY.adapter, seconds: 3 } }
    : null;
  return {
    id: o.id, projectId: 'p1', parentId: o.parentId ?? null, name: o.name ?? o.id, notes: o.notes ?? '', tags: o.tags ?? [],
    technique: o.technique ?? 'original', step, source: step ? null : { fileName: `${o.id}.onnx` }, createdAt: o.createdAt ?? T0,
    modelSha256: SHA('a'), blobSha256: SHA('b'), ownSignature: false, stats: stats(o.stats), details: {},
    measurements: o.measurements ?? [],
  };
}

/**
 * root (two measurements: an older one on OTHER_KEY, the latest on KEY), int8 and pruned children
 * measured on KEY. Costs: int8 is 4× smaller and faster; pruned is as big as the root but sparse.
 */
export function family(): { root: VariantRecord; int8: VariantRecord; pruned: VariantRecord; records: VariantRecord[] } {
  const root = record({
    id: 'root', name: 'lenet-mnist', createdAt: T0, notes: 'the bundled LeNet',
    measurements: [
      measurement({ key: OTHER_KEY, at: T0 + 1_000, predictions: FAMILY_PREDICTIONS.root, b1: 9, b64: 90 }),
      measurement({ at: T0 + 2_000, predictions: FAMILY_PREDICTIONS.root, b1: 2, b64: 20 }),
    ],
  });
  const int8 = record({
    id: 'int8', name: 'lenet-mnist-int8', parentId: 'root', technique: 'int8', step: { kind: 'int8' }, createdAt: T0 + 3_000,
    stats: { weightBytes: 25_500, sizeBytes: 25_700, fileBytes: 30_000 },
    measurements: [measurement({ at: T0 + 4_000, predictions: FAMILY_PREDICTIONS.int8, b1: 1.5, b64: 12 })],
  });
  const pruned = record({
    id: 'pruned', name: 'lenet-mnist-pruned', parentId: 'root', technique: 'pruned', step: { kind: 'prune', sparsity: 0.5 }, createdAt: T0 + 5_000,
    stats: { nonzeroFlops: 200_000, sparseBytes: 60_000 }, tags: ['sparse'],
    measurements: [measurement({ at: T0 + 6_000, predictions: FAMILY_PREDICTIONS.pruned, b1: 2.1, b64: 19 })],
  });
  return { root, int8, pruned, records: [root, int8, pruned] };
}
