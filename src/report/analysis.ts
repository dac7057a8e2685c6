/**
 * Comparisons of variants as plain figures: the Pareto frontier, which items flip between two
 * measurements, confusion and per-class accuracy, and the flat row of figures the dashboard table
 * and the CSV show. Everything here works on the stored records alone, so the page, the CLI and
 * the exported reports compute the same numbers.
 */
import { describeStep } from '../recipe/describe';
import { agreement, latencyAt, latestMeasurement, sameKey, type Measurement, type MeasurementKey, type VariantRecord } from '../recipe/variant';
import type { Technique } from '../recipe/vocabulary';

/**
 * Ids of the points no other point beats: smaller x (cost) is better, larger y (accuracy) is
 * better. A point is dominated when another has x ≤ and y ≥ with at least one strict; equal
 * points therefore do not dominate each other and both stay on the frontier.
 * Points with a non-finite x or y take no part.
 */
export function paretoFrontier(points: { id: string; x: number; y: number }[]): Set<string> {
  const valid = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  // Sorted by x ascending, then y descending: a point is dominated exactly when an earlier point
  // (cheaper or as cheap) already reached a higher y, or the same y at a strictly lower x.
  const sorted = [...valid].sort((a, b) => a.x - b.x || b.y - a.y);
  const out = new Set<string>();
  let bestY = -Infinity;
  let bestX = Infinity; // the smallest x that reached bestY
  for (const p of sorted) {
    const dominated = p.y < bestY || (p.y === bestY && p.x > bestX);
    if (!dominated) out.add(p.id);
    if (p.y > bestY) { bestY = p.y; bestX = p.x; }
  }
  return out;
}

/** Predictions compare only on equal terms; say which terms differ rather than return wrong counts. */
function requireSameKey(a: Measurement, b: Measurement, what: string): void {
  if (!sameKey(a.key, b.key)) {
    const k = (m: Measurement) => `${m.key.dataset} (${m.key.datasetSha256.slice(0, 8)}), ${m.key.samples} items, ${JSON.stringify(m.key.preprocess)}, ${m.key.adapter}`;
    throw new Error(`${what}: the two measurements were taken on different terms (${k(a)} vs ${k(b)}); compare measurements with equal keys`);
  }
  if (a.predictions.length !== b.predictions.length) {
    throw new Error(`${what}: the measurements hold ${a.predictions.length} and ${b.predictions.length} predictions`);
  }
}

function requireLabels(m: Measurement, labels: number[], what: string): void {
  if (labels.length < m.predictions.length) {
    throw new Error(`${what}: ${m.predictions.length} predictions but only ${labels.length} labels (the dataset's labels, first key.samples items, are needed)`);
  }
}

export interface Flips {
  /** Right in the base, wrong in the other. */
  correctToWrong: number[];
  /** Wrong in the base, right in the other. */
  wrongToCorrect: number[];
  /** Wrong in both, with different wrong answers. */
  bothWrongDifferent: number[];
  /** Every item where the two predictions differ (the three above, plus nothing else: a change of answer always falls in one). */
  disagree: number[];
}

/** The item indices on which two measurements on the same terms differ, by kind of change. */
export function flips(base: Measurement, other: Measurement, labels: number[]): Flips {
  requireSameKey(base, other, 'flips');
  requireLabels(base, labels, 'flips');
  const out: Flips = { correctToWrong: [], wrongToCorrect: [], bothWrongDifferent: [], disagree: [] };
  for (let i = 0; i < base.predictions.length; i++) {
    const a = base.predictions[i]!, b = other.predictions[i]!, label = labels[i]!;
    if (a === b) continue;
    out.disagree.push(i);
    if (a === label) out.correctToWrong.push(i);
    else if (b === label) out.wrongToCorrect.push(i);
    else out.bothWrongDifferent.push(i);
  }
  return out;
}

/** Rows are the true class, columns the predicted one; the cells sum to the items measured. */
export function confusionMatrix(m: Measurement, labels: number[], classes: number): number[][] {
  requireLabels(m, labels, 'confusionMatrix');
  const cells = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < m.predictions.length; i++) {
    const t = labels[i]!, p = m.predictions[i]!;
    if (!(t >= 0 && t < classes) || !(p >= 0 && p < classes)) {
      throw new Error(`confusionMatrix: item ${i} has label ${t} and prediction ${p}, outside 0…${classes - 1}`);
    }
    cells[t]![p]!++;
  }
  return cells;
}

/** b − a, cell by cell (matrices of the same size). */
export function confusionDelta(a: number[][], b: number[][]): number[][] {
  if (a.length !== b.length || a.some((row, i) => row.length !== b[i]!.length)) throw new Error('confusionDelta: the matrices differ in size');
  return a.map((row, i) => row.map((v, j) => b[i]![j]! - v));
}

/** The share right within each true class; null for a class with no items among those measured. */
export function perClassAccuracy(m: Measurement, labels: number[], classes: number): (number | null)[] {
  requireLabels(m, labels, 'perClassAccuracy');
  const seen = new Array<number>(classes).fill(0), right = new Array<number>(classes).fill(0);
  for (let i = 0; i < m.predictions.length; i++) {
    const t = labels[i]!;
    if (!(t >= 0 && t < classes)) throw new Error(`perClassAccuracy: item ${i} has label ${t}, outside 0…${classes - 1}`);
    seen[t]!++;
    if (m.predictions[i] === t) right[t]!++;
  }
  return seen.map((n, c) => (n ? right[c]! / n : null));
}

/** other − base per class (null where the class has no items). */
export function perClassDelta(base: Measurement, other: Measurement, labels: number[], classes: number): (number | null)[] {
  requireSameKey(base, other, 'perClassDelta');
  const a = perClassAccuracy(base, labels, classes), b = perClassAccuracy(other, labels, classes);
  return a.map((v, c) => (v === null || b[c] === null ? null : b[c]! - v));
}

/** The figures of one variant, flat: a table row and a CSV row. Missing figures are null. */
export interface MetricsRow {
  id: string;
  name: string;
  technique: Technique;
  parentId: string | null;
  params: number;
  flops: number;
  nonzeroFlops: number;
  weightBytes: number;
  fileBytes: number;
  sparseBytes: number | null;
  top1: number | null;
  top5: number | null;
  b1MedianMs: number | null;
  b1P5Ms: number | null;
  b1P95Ms: number | null;
  b1Runs: number | null;
  b64MedianMs: number | null;
  b64P5Ms: number | null;
  b64P95Ms: number | null;
  b64Runs: number | null;
  /** 'MNIST test, 1000 items, <adapter>', or null when there is no such measurement. */
  measuredOn: string | null;
  /** ISO time the variant was made. */
  created: string;
  /** The step in one sentence, or 'loaded file'. */
  step: string;
}

export function describeKey(key: MeasurementKey): string {
  return `${key.dataset}, ${key.samples} items, ${key.adapter}`;
}

/**
 * The step in one sentence, or 'loaded file'. A record from an older file may hold a step this
 * build describes differently or not at all: name its kind rather than fail the whole report.
 */
export function stepText(r: VariantRecord): string {
  if (!r.step) return 'loaded file';
  try {
    return describeStep(r.step.resolved);
  } catch {
    return `${String((r.step.resolved as { kind?: unknown }).kind ?? 'unknown')} step`;
  }
}

/** A record's figures, with the measurement on `key` if given (none on it: null figures), else its latest. */
export function metricsRow(r: VariantRecord, key?: MeasurementKey): MetricsRow {
  const m = latestMeasurement(r, key);
  const b1 = latencyAt(m, 1), b64 = latencyAt(m, 64);
  return {
    id: r.id, name: r.name, technique: r.technique, parentId: r.parentId,
    params: r.stats.params, flops: r.stats.flops, nonzeroFlops: r.stats.nonzeroFlops,
    weightBytes: r.stats.weightBytes, fileBytes: r.stats.fileBytes, sparseBytes: r.stats.sparseBytes,
    top1: m?.top1 ?? null, top5: m?.top5 ?? null,
    b1MedianMs: b1?.medianMs ?? null, b1P5Ms: b1?.p5Ms ?? null, b1P95Ms: b1?.p95Ms ?? null, b1Runs: b1?.runs ?? null,
    b64MedianMs: b64?.medianMs ?? null, b64P5Ms: b64?.p5Ms ?? null, b64P95Ms: b64?.p95Ms ?? null, b64Runs: b64?.runs ?? null,
    measuredOn: m ? describeKey(m.key) : null,
    created: new Date(r.createdAt).toISOString(),
    step: stepText(r),
  };
}

/** The figures of a row that are numbers (or missing). */
export type NumericMetric = 'params' | 'flops' | 'nonzeroFlops' | 'weightBytes' | 'fileBytes' | 'sparseBytes' | 'top1' | 'top5'
  | 'b1MedianMs' | 'b1P5Ms' | 'b1P95Ms' | 'b1Runs' | 'b64MedianMs' | 'b64P5Ms' | 'b64P95Ms' | 'b64Runs';

export interface MetricDelta {
  base: number | null;
  other: number | null;
  /** other − base (for accuracies, a difference of shares: ×100 for points). */
  difference: number | null;
  /** base / other for costs (how many times smaller or faster the other is); null for accuracies and counts of runs, or a zero divisor. */
  ratio: number | null;
}

/** Costs where "base / other" reads as "n× smaller / faster"; accuracies and run counts have no such reading. */
const RATIO_FIELDS = new Set<NumericMetric>(['params', 'flops', 'nonzeroFlops', 'weightBytes', 'fileBytes', 'sparseBytes',
  'b1MedianMs', 'b1P5Ms', 'b1P95Ms', 'b64MedianMs', 'b64P5Ms', 'b64P95Ms']);
export const NUMERIC_METRICS: readonly NumericMetric[] = ['params', 'flops', 'nonzeroFlops', 'weightBytes', 'fileBytes', 'sparseBytes',
  'top1', 'top5', 'b1MedianMs', 'b1P5Ms', 'b1P95Ms', 'b1Runs', 'b64MedianMs', 'b64P5Ms', 'b64P95Ms', 'b64Runs'];

/** Side by side: each numeric figure of both rows, their difference and (for costs) their ratio. */
export function deltas(base: MetricsRow, other: MetricsRow): Record<NumericMetric, MetricDelta> {
  const out = {} as Record<NumericMetric, MetricDelta>;
  for (const f of NUMERIC_METRICS) {
    const a = base[f], b = other[f];
    const both = a !== null && b !== null;
    out[f] = {
      base: a, other: b,
      difference: both ? b - a : null,
      ratio: both && RATIO_FIELDS.has(f) && b !== 0 ? a / b : null,
    };
  }
  return out;
}

/** Share of equal predictions of two variants on `key`; null when either is missing or not measured on it. */
export function agreementWith(records: readonly VariantRecord[], id: string, withId: string, key: MeasurementKey): number | null {
  const a = records.find((r) => r.id === id), b = records.find((r) => r.id === withId);
  if (!a || !b) return null;
  return agreement(latestMeasurement(a, key), latestMeasurement(b, key));
}
