/** Every variant on the compared terms: baseline pinned, chosen columns, sort, filter, differences only, pick for side by side. */
import { useStudio } from '../../state/store';
import { select } from '../../state/link';
import { COLUMN_TITLES, COLUMNS, toggleCompare, useDashboard, type Column } from '../../state/dashboard';
import { agreement, latencyAt, latestMeasurement, type MeasurementKey, type VariantRecord } from '../../recipe/variant';
import { stepText } from '../../report/analysis';
import { fmtClock, fmtBytes, fmtCount, fmtMs, fmtPct } from '../format';

type Cell = { sort: number | string | null; text: string; title?: string };

function cells(r: VariantRecord, key: MeasurementKey | null, baseline: VariantRecord | null): Record<Column, Cell> {
  const m = key ? latestMeasurement(r, key) : null;
  const b = key && baseline ? latestMeasurement(baseline, key) : null;
  const b1 = latencyAt(m, 1), b64 = latencyAt(m, 64);
  const delta = m && b && r.id !== baseline?.id ? 100 * (m.top1 - b.top1) : null;
  const agree = r.id !== baseline?.id ? agreement(m, b) : null;
  const lat = (l: typeof b1) => ({ sort: l?.medianMs ?? null, text: fmtMs(l?.medianMs), title: l ? `p5–p95 ${fmtMs(l.p5Ms)}–${fmtMs(l.p95Ms)}, ${l.runs} runs` : 'not measured on these terms' });
  return {
    technique: { sort: r.technique, text: r.technique },
    step: { sort: stepText(r), text: stepText(r) },
    params: { sort: r.stats.params, text: fmtCount(r.stats.params) },
    flops: { sort: r.stats.flops, text: fmtCount(r.stats.flops) },
    nonzeroFlops: { sort: r.stats.nonzeroFlops, text: fmtCount(r.stats.nonzeroFlops) },
    weightBytes: { sort: r.stats.weightBytes, text: fmtBytes(r.stats.weightBytes) },
    fileBytes: { sort: r.stats.fileBytes, text: fmtBytes(r.stats.fileBytes) },
    sparseBytes: { sort: r.stats.sparseBytes, text: r.stats.sparseBytes === null ? '–' : fmtBytes(r.stats.sparseBytes) },
    top1: { sort: m?.top1 ?? null, text: m ? fmtPct(m.top1) : '–', title: m ? undefined : 'not measured on these terms' },
    top5: { sort: m?.top5 ?? null, text: m?.top5 != null ? fmtPct(m.top5) : '–' },
    delta: { sort: delta, text: delta === null ? '–' : `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)} pts` },
    agreement: { sort: agree, text: agree === null ? '–' : fmtPct(agree), title: 'share of test items on which it predicts what the baseline predicts' },
    b1: lat(b1), b64: lat(b64),
    created: { sort: r.createdAt, text: fmtClock(r.createdAt) },
  };
}

export function VariantsTable({ records, keyOn, baseline }: { records: readonly VariantRecord[]; keyOn: MeasurementKey | null; baseline: VariantRecord | null }) {
  const selectedId = useStudio((s) => s.selectedId);
  const { columns, sort, filter, differencesOnly, compareIds } = useDashboard();
  const q = filter.trim().toLowerCase();
  const all = records.map((r) => ({ r, c: cells(r, keyOn, baseline) }));
  // The baseline stays pinned whatever the filter: the rows are read against it.
  const base = all.find((x) => x.r.id === baseline?.id);
  const rows = all.filter(({ r, c }) => !q || [r.name, r.technique, c.step.text, ...r.tags, r.notes].some((t) => t.toLowerCase().includes(q)));
  const others = rows.filter((x) => x.r.id !== baseline?.id).sort((a, b) => {
    const va = sort.column === 'name' ? a.r.name : a.c[sort.column].sort, vb = sort.column === 'name' ? b.r.name : b.c[sort.column].sort;
    if (va === vb) return 0;
    if (va === null) return 1;
    if (vb === null) return -1;
    return (va < vb ? -1 : 1) * (sort.descending ? -1 : 1);
  });
  // Differences only: the columns whose values are not all the same.
  const listed = [...(base ? [base] : []), ...others];
  const shown = differencesOnly ? columns.filter((col) => new Set(listed.map((x) => x.c[col].text)).size > 1) : columns;
  const header = (col: Column | 'name', title: string) => (
    <th key={col} className={col === 'name' || col === 'technique' || col === 'step' ? '' : 'num'}>
      <button className="sort" data-testid={`sort-${col}`} onClick={() => useDashboard.setState({ sort: { column: col, descending: sort.column === col ? !sort.descending : col !== 'name' && col !== 'technique' && col !== 'step' } })}>
        {title}{sort.column === col ? (sort.descending ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );
  return (
    <div className="card" data-testid="dash-table-card">
      <div className="toolbar">
        <h3 style={{ margin: 0 }}>Variants <span className="muted">· {records.length} in this project</span></h3>
        <span className="spacer" />
        <input className="filter" placeholder="filter: name, technique, step, tag" value={filter} data-testid="dash-filter" onChange={(e) => useDashboard.setState({ filter: e.target.value })} />
        <label className="check small"><input type="checkbox" checked={differencesOnly} data-testid="dash-diff-only" onChange={(e) => useDashboard.setState({ differencesOnly: e.target.checked })} /> differences only</label>
        <details className="more columns">
          <summary className="small-btn" data-testid="dash-columns">Columns</summary>
          <div className="menu">
            {COLUMNS.map((c) => (
              <label key={c} className="check small">
                <input type="checkbox" checked={columns.includes(c)} data-testid={`col-${c}`}
                  onChange={(e) => useDashboard.setState({ columns: e.target.checked ? COLUMNS.filter((x) => x === c || columns.includes(x)) : columns.filter((x) => x !== c) })} />
                {COLUMN_TITLES[c]}
              </label>
            ))}
          </div>
        </details>
      </div>
      <div className="scroll-x">
        <table className="layers dash-table" data-testid="dash-table">
          <thead>
            <tr>
              <th title="pick 2 to 4 for side by side">⇆</th>
              {header('name', 'Variant')}
              {shown.map((c) => header(c, COLUMN_TITLES[c]))}
            </tr>
          </thead>
          <tbody>
            {listed.map(({ r, c }) => (
              <tr key={r.id} data-testid="dash-row" data-id={r.id} data-name={r.name} data-kind={r.technique}
                className={`${r.id === baseline?.id ? 'pinned' : ''} ${r.id === selectedId ? 'current' : ''}`}>
                <td><input type="checkbox" checked={compareIds.includes(r.id)} data-testid="dash-compare" aria-label={`compare ${r.name}`} onChange={() => toggleCompare(r.id)} /></td>
                <td>
                  <button className="link mono" onClick={() => void select(r.id)} title={`select ${r.name} (id ${r.id})`}>{r.name}</button>
                  {r.id === baseline?.id && <span className="fused">baseline</span>}
                  {r.tags.map((t) => <span key={t} className="chip">{t}</span>)}
                </td>
                {shown.map((col) => (
                  <td key={col} className={col === 'technique' || col === 'step' ? (col === 'technique' ? `kind-cell kind-${r.technique}` : 'step-cell') : 'num'} data-col={col} title={c[col].title}>{c[col].text}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
