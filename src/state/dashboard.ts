/**
 * The dashboard's view state (its own store: it changes as the user sorts and picks, and only the
 * dashboard reads it) and its actions: the measurement terms compared on, the baseline, the
 * variants side by side, the per-layer output errors, test-item pictures, reports and recipes.
 */
import { create } from 'zustand';
import { useStudio, pushNotice, type StudioState } from './store';
import { applyProject } from './actions';
import { refreshDevice, report, studioClient, upsertRecord } from './link';
import { saveFile } from './variants';
import { sameKey, type MeasurementKey, type VariantRecord } from '../recipe/variant';
import { describePreprocess } from '../recipe/vocabulary';
import { readsTrainingSet } from '../recipe/steps';
import { parseRecipe } from '../recipe/recipe';
import { measurementsCsv, projectJson, variantsCsv } from '../report/csv';
import { htmlReport } from '../report/html';
import type { LayerErrors } from '../worker/compare';
import type { RecipeReport } from '../worker/recipe-run';
import { fmtInt } from '../core/format';

export const COLUMNS = ['technique', 'step', 'params', 'flops', 'nonzeroFlops', 'weightBytes', 'fileBytes', 'sparseBytes', 'top1', 'top5', 'delta', 'agreement', 'b1', 'b64', 'created'] as const;
export type Column = typeof COLUMNS[number];
export const COLUMN_TITLES: Record<Column, string> = {
  technique: 'Technique', step: 'Step', params: 'Params', flops: 'FLOPs', nonzeroFlops: 'FLOPs w/o zeros', weightBytes: 'Weights', fileBytes: 'File',
  sparseBytes: 'Sparse', top1: 'Top-1', top5: 'Top-5', delta: 'Δ top-1', agreement: 'Agrees', b1: 'Batch 1', b64: 'Batch 64', created: 'Made',
};
const DEFAULT_COLUMNS: Column[] = ['technique', 'params', 'weightBytes', 'fileBytes', 'top1', 'delta', 'agreement', 'b1', 'b64'];

export interface DashboardState {
  /** The terms every figure is compared on (a measurement key as JSON), null: the baseline's latest. */
  keyText: string | null;
  baselineId: string | null;
  columns: Column[];
  sort: { column: Column | 'name'; descending: boolean };
  filter: string;
  differencesOnly: boolean;
  /** 2–4 variants side by side. */
  compareIds: string[];
  logX: boolean;
  layerErrors: LayerErrors | null;
  /** Test items' pixels by index, fetched for the disagreement grid. */
  items: Record<number, Uint8Array>;
  itemShape: number[] | null;
  recipeReport: RecipeReport | null;
}

export const useDashboard = create<DashboardState>()(() => ({
  keyText: null, baselineId: null, columns: DEFAULT_COLUMNS, sort: { column: 'name', descending: false }, filter: '', differencesOnly: false,
  compareIds: [], logX: true, layerErrors: null, items: {}, itemShape: null, recipeReport: null,
}));

/** Every distinct measurement key in the project, newest first. */
export function measurementKeys(records: readonly VariantRecord[]): MeasurementKey[] {
  const all = records.flatMap((r) => r.measurements).sort((a, b) => b.at - a.at);
  const out: MeasurementKey[] = [];
  for (const m of all) if (!out.some((k) => sameKey(k, m.key))) out.push(m.key);
  return out;
}

export const keyLabel = (k: MeasurementKey) => `${k.dataset} · ${fmtInt(k.samples)} items · ${describePreprocess(k.preprocess)} · ${k.adapter}`;

/** The baseline: the one chosen, else the selected variant's loaded file. */
export function baselineOf(s: Pick<StudioState, 'records' | 'selectedId'>, d: Pick<DashboardState, 'baselineId'>): VariantRecord | null {
  const chosen = s.records.find((r) => r.id === d.baselineId);
  if (chosen) return chosen;
  let r = s.records.find((x) => x.id === s.selectedId);
  for (let i = 0; r?.parentId && i < s.records.length; i++) r = s.records.find((x) => x.id === r!.parentId);
  return r ?? s.records.find((x) => !x.parentId) ?? null;
}

/** The terms compared on: the chosen key, else the baseline's latest measurement's, else the newest in the project. */
export function activeKey(s: Pick<StudioState, 'records' | 'selectedId'>, d: Pick<DashboardState, 'keyText' | 'baselineId'>): MeasurementKey | null {
  const keys = measurementKeys(s.records);
  if (d.keyText) {
    const k = keys.find((x) => JSON.stringify(x) === d.keyText);
    if (k) return k;
  }
  const base = baselineOf(s, d);
  const m = base?.measurements.at(-1);
  return m?.key ?? keys[0] ?? null;
}

export function toggleCompare(id: string): void {
  useDashboard.setState((d) => {
    if (d.compareIds.includes(id)) return { compareIds: d.compareIds.filter((x) => x !== id), layerErrors: null };
    if (d.compareIds.length >= 4) { pushNotice('info', 'Four at a time', 'Side by side takes 2 to 4 variants: untick one first.'); return {}; }
    return { compareIds: [...d.compareIds, id], layerErrors: null };
  });
}

/** Measures each aligned layer's output error of the compared variants against the baseline, on one batch of test items. */
export async function measureLayerErrors(ids: string[], baselineId: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const r = await client.call('layerErrors', { ids: [...new Set([baselineId, ...ids])], baselineId, preprocess: useStudio.getState().preprocess });
    useDashboard.setState({ layerErrors: r });
  } catch (e) {
    report('Could not compare the layers', e);
  } finally {
    void refreshDevice();
  }
}

/** Fetches the pictures of test items not fetched yet. */
export async function loadItems(indices: number[]): Promise<void> {
  const client = studioClient();
  const have = useDashboard.getState().items;
  const missing = indices.filter((i) => !have[i]);
  if (!client || !missing.length) return;
  try {
    const { itemShape, pixels } = await client.call('testItems', { indices: missing });
    useDashboard.setState((d) => ({ itemShape, items: { ...d.items, ...Object.fromEntries(missing.map((i, k) => [i, pixels[k]!])) } }));
  } catch (e) {
    report('Could not show the test items', e);
  }
}

const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
const projectName = () => (useStudio.getState().project?.name ?? 'project').replace(/[^a-z0-9._-]+/gi, '-');

export function downloadMeasurementsCsv(): void {
  saveFile(measurementsCsv(useStudio.getState().records), `${projectName()}-measurements-${stamp()}.csv`, 'text/csv');
}

export function downloadVariantsCsv(key: MeasurementKey | null): void {
  saveFile(variantsCsv(useStudio.getState().records, key ?? undefined), `${projectName()}-variants-${stamp()}.csv`, 'text/csv');
}

export function downloadJson(): void {
  const s = useStudio.getState();
  if (!s.project) return;
  saveFile(projectJson(s.project, s.records, s.datasets), `${projectName()}-${stamp()}.json`, 'application/json');
}

/** One self-contained HTML file (tables, and charts as inline SVG) that opens offline. */
export function downloadHtmlReport(baselineId: string | null): void {
  const s = useStudio.getState();
  if (!s.project) return;
  const html = htmlReport({ project: s.project, records: s.records, datasets: s.datasets, generatedAt: new Date(), baselineId: baselineId ?? undefined });
  saveFile(html, `${projectName()}-report-${stamp()}.html`, 'text/html');
}

/** The project as one file (records, recipes, model and dataset bytes) another browser can import. */
export async function exportProjectFile(): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const bytes = await client.call('exportProject', null);
    saveFile(bytes, `${projectName()}.studio.zip`, 'application/zip');
  } catch (e) {
    report('Could not export the project', e);
  }
}

/** Imports a project file as a new project beside the others, and opens it. */
export async function importProjectFile(file: File): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const state = await client.call('importProject', { bytes, fileName: file.name }, [bytes.buffer]);
    await applyProject(state);
    pushNotice('info', 'Project imported', `${state.project.name}: ${state.records.length} variants, with their measurements.`);
  } catch (e) {
    report(`Could not import ${file.name}`, e);
  }
}

/** Runs a recipe (its JSON text) on the selected variant's loaded file; export steps' files are offered as downloads. */
export async function runRecipeText(text: string): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  let rootId: string | null = null;
  for (let r = s.records.find((x) => x.id === s.selectedId), i = 0; r && i <= s.records.length; r = s.records.find((x) => x.id === r!.parentId), i++) rootId = r.id;
  rootId ??= s.records.find((r) => !r.parentId)?.id ?? null;
  if (!client || !rootId) return;
  let steps: ReturnType<typeof parseRecipe>['steps'];
  try {
    steps = parseRecipe(text).steps; // a bad recipe is refused here, in the same words as the CLI
  } catch (e) {
    report('The recipe cannot run', e);
    return;
  }
  if (steps.some(readsTrainingSet) && !s.datasets.train) {
    const { ensureTrainingData } = await import('./train');
    try { await ensureTrainingData(); } catch (e) { report('Could not fetch the training set', e); return; }
  }
  try {
    const result = await client.call('runRecipe', { recipe: text, rootId });
    for (const step of result.steps) if (step.file) saveFile(step.file.bytes as BlobPart, step.file.name);
    useDashboard.setState({ recipeReport: { ...result, steps: result.steps.map((x) => ({ ...x, file: x.file ? { ...x.file, bytes: new Uint8Array(0) } : null })) } });
    const last = result.steps.findLast((x) => x.variantId && x.kind !== 'evaluate' && x.kind !== 'export');
    if (last?.variantId) {
      const r = useStudio.getState().records.find((x) => x.id === last.variantId);
      if (r) upsertRecord(r);
    }
    pushNotice('info', 'Recipe finished', `${result.steps.length} steps in ${result.seconds.toFixed(0)} s${result.goalsMet === false ? '; some goals were missed (see the report below the charts)' : result.goalsMet ? '; every goal met' : ''}.`);
  } catch (e) {
    report('The recipe stopped', e, 'The recipe was cancelled; the variants its finished steps made are kept.');
  } finally {
    void refreshDevice();
  }
}
