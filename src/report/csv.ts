/**
 * The project's figures as files other tools read: CSV (RFC 4180: a header row, fields with a
 * comma, quote or line break quoted, quotes doubled) and one pretty JSON of everything. Names and
 * notes are written as the user typed them; quoting, not rewriting, keeps them intact.
 */
import { latencyAt, type DatasetRecord, type Measurement, type MeasurementKey, type VariantRecord } from '../recipe/variant';
import { describePreprocess } from '../recipe/vocabulary';
import { metricsRow, stepText, type MetricsRow } from './analysis';

type Cell = string | number | boolean | null | undefined;

/** One field: empty for a missing value, quoted when it holds a comma, a quote or a line break. */
export function csvField(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows under a header, "\n" line ends, a final line end (as most writers do). */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

const METRICS_COLUMNS: readonly (keyof MetricsRow)[] = [
  'id', 'name', 'technique', 'parentId', 'params', 'flops', 'nonzeroFlops', 'weightBytes', 'fileBytes', 'sparseBytes',
  'top1', 'top5', 'b1MedianMs', 'b1P5Ms', 'b1P95Ms', 'b1Runs', 'b64MedianMs', 'b64P5Ms', 'b64P95Ms', 'b64Runs',
  'measuredOn', 'created', 'step',
];

/** One row per variant: the dashboard's figures on `key` (or each variant's latest measurement), with notes and tags. */
export function variantsCsv(records: readonly VariantRecord[], key?: MeasurementKey): string {
  const rows = records.map((r) => {
    const row = metricsRow(r, key);
    return [...METRICS_COLUMNS.map((c) => row[c]), r.notes, r.tags.join('; ')];
  });
  return toCsv([...METRICS_COLUMNS, 'notes', 'tags'], rows);
}

const VARIANT_COLUMNS = ['id', 'name', 'technique', 'parentId', 'params', 'flops', 'nonzeroFlops', 'weightBytes', 'fileBytes', 'sparseBytes', 'created', 'step', 'notes', 'tags'] as const;
const MEASUREMENT_COLUMNS = [
  'measuredAt', 'dataset', 'datasetSha256', 'preprocess', 'samples', 'adapter', 'top1', 'top5', 'correct',
  'b1MedianMs', 'b1P5Ms', 'b1P95Ms', 'b1Runs', 'b64MedianMs', 'b64P5Ms', 'b64P95Ms', 'b64Runs', 'evalMs', 'batching',
] as const;

function variantCells(r: VariantRecord): Cell[] {
  const s = r.stats;
  return [r.id, r.name, r.technique, r.parentId, s.params, s.flops, s.nonzeroFlops, s.weightBytes, s.fileBytes, s.sparseBytes,
    new Date(r.createdAt).toISOString(), stepText(r), r.notes, r.tags.join('; ')];
}

function measurementCells(m: Measurement): Cell[] {
  const b1 = latencyAt(m, 1), b64 = latencyAt(m, 64);
  return [new Date(m.at).toISOString(), m.key.dataset, m.key.datasetSha256, describePreprocess(m.key.preprocess), m.key.samples, m.key.adapter,
    m.top1, m.top5, m.correct,
    b1?.medianMs, b1?.p5Ms, b1?.p95Ms, b1?.runs, b64?.medianMs, b64?.p5Ms, b64?.p95Ms, b64?.runs, m.evalMs, m.batching];
}

/**
 * One row per variant and measurement, the whole history (a re-measurement on other terms or a
 * later run is a row of its own). A variant never measured still gets one row, its measurement
 * columns empty, so no variant goes missing from the file.
 */
export function measurementsCsv(records: readonly VariantRecord[]): string {
  const rows: Cell[][] = [];
  for (const r of records) {
    const v = variantCells(r);
    if (!r.measurements.length) rows.push([...v, ...MEASUREMENT_COLUMNS.map(() => null)]);
    for (const m of r.measurements) rows.push([...v, ...measurementCells(m)]);
  }
  return toCsv([...VARIANT_COLUMNS, ...MEASUREMENT_COLUMNS], rows);
}

export const REPORT_JSON_FORMAT = 'compression-studio/report';

/**
 * Everything as one readable JSON: the project, every record with its whole history and
 * predictions, and the datasets' records with their labels (so predictions can be scored again
 * without the studio). Datasets not loaded (undefined) are left out.
 */
export function projectJson(
  project: { id: string; name: string; createdAt: number; updatedAt: number },
  records: readonly VariantRecord[],
  datasets: Record<string, DatasetRecord | undefined>,
): string {
  const present: Record<string, DatasetRecord> = {};
  for (const [sha, d] of Object.entries(datasets)) if (d) present[sha] = d;
  return JSON.stringify({ format: REPORT_JSON_FORMAT, version: 1, project, records, datasets: present }, null, 2);
}
