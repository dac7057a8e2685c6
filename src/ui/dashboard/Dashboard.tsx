/**
 * The comparison dashboard: which variant is smallest at an acceptable accuracy, which is fastest
 * here, and how two to four of them differ, down to single layers and single test items. Every
 * figure is compared on one set of terms (dataset, items, preprocessing, adapter) chosen at the top.
 */
import { useDeferredValue, useRef } from 'react';
import { useStudio } from '../../state/store';
import {
  activeKey, baselineOf, downloadHtmlReport, downloadJson, downloadMeasurementsCsv, downloadVariantsCsv, exportProjectFile, importProjectFile,
  keyLabel, measurementKeys, useDashboard,
} from '../../state/dashboard';
import { VariantsTable } from './VariantsTable';
import { TradeoffCharts } from './TradeoffCharts';
import { ComparePanel } from './ComparePanel';
import { FamilyTree } from './FamilyTree';
import { RecipeRunner } from './RecipeRunner';

export default function Dashboard() {
  // New records (a job finishing) redraw the tables and charts in a transition, between frames.
  const records = useDeferredValue(useStudio((s) => s.records));
  const selectedId = useStudio((s) => s.selectedId);
  const d = useDashboard();
  const importer = useRef<HTMLInputElement>(null);
  const keys = measurementKeys(records);
  const key = activeKey({ records, selectedId }, d);
  const baseline = baselineOf({ records, selectedId }, d);
  if (!records.length) return <main className="dashboard"><div className="card"><p className="muted">Load a model to compare its variants here.</p></div></main>;
  return (
    <main className="dashboard" data-testid="dashboard">
      <div className="card dash-head">
        <div className="row wrap">
          <label className="field">Compared on
            <select data-testid="dash-key" value={key ? JSON.stringify(key) : ''} onChange={(e) => useDashboard.setState({ keyText: e.target.value || null })}>
              {!keys.length && <option value="">no measurement yet: evaluate a variant</option>}
              {keys.map((k) => <option key={JSON.stringify(k)} value={JSON.stringify(k)}>{keyLabel(k)}</option>)}
            </select>
          </label>
          <label className="field narrow">Baseline
            <select data-testid="dash-baseline" value={baseline?.id ?? ''} onChange={(e) => useDashboard.setState({ baselineId: e.target.value, layerErrors: null })}>
              {records.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
            </select>
          </label>
        </div>
        <div className="toolbar exports">
          <span className="muted small">Export:</span>
          <button className="small-btn" data-testid="export-csv" onClick={downloadMeasurementsCsv} title="every measurement of every variant, one row each">Measurements CSV</button>
          <button className="small-btn" data-testid="export-variants-csv" onClick={() => downloadVariantsCsv(key)} title="one row per variant, on the terms compared">Variants CSV</button>
          <button className="small-btn" data-testid="export-json" onClick={downloadJson}>JSON</button>
          <button className="small-btn" data-testid="export-html" onClick={() => downloadHtmlReport(baseline?.id ?? null)} title="one self-contained HTML file with the tables and charts; opens offline">HTML report</button>
          <span className="divider" />
          <button className="small-btn" data-testid="export-project" onClick={() => void exportProjectFile()} title="records, recipes, model and dataset bytes in one file another browser imports">Project file</button>
          <button className="small-btn" data-testid="import-project" onClick={() => importer.current?.click()}>Import project…</button>
          <input ref={importer} type="file" hidden data-testid="import-project-input" accept=".zip,application/zip"
            onChange={(e) => { const f = e.target.files?.[0]; if (f) void importProjectFile(f); e.target.value = ''; }} />
        </div>
        <p className="muted small hint" data-testid="frontier-help">
          <b>Reading the frontier.</b> Each point is a variant; up is more accurate, left is smaller or faster. A variant is on the Pareto frontier
          (the line) when no other is both at least as accurate and at least as small (or fast); the dimmed ones are beaten on both by some variant on the
          line, so they are never the right pick on these two figures. Pick along the line: the leftmost point whose accuracy you can accept.
          Latency bars span the 5th to 95th percentile of the repeated runs; on a software adapter latency says nothing about a GPU.
        </p>
      </div>
      <VariantsTable records={records} keyOn={key} baseline={baseline} />
      <TradeoffCharts records={records} keyOn={key} />
      <ComparePanel records={records} keyOn={key} baseline={baseline} />
      <div className="dash-row">
        <FamilyTree records={records} keyOn={key} />
        <RecipeRunner />
      </div>
    </main>
  );
}
