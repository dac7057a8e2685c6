/**
 * The project as one HTML file that opens anywhere, offline, years later: inline style, inline SVG
 * charts, no scripts and no external addresses. Every variant is shown on one set of terms (the
 * baseline's latest measurement key), because accuracies and latencies taken on different data,
 * preprocessing or adapters do not compare; a variant not measured on those terms says so.
 */
import { latencyAt, latestMeasurement, sameKey, type DatasetRecord, type Measurement, type MeasurementKey, type VariantRecord } from '../recipe/variant';
import { describePreprocess } from '../recipe/vocabulary';
import { agreementWith, metricsRow, paretoFrontier } from './analysis';
import { escapeHtml as esc, fmtBytes, fmtBytesDecimal, fmtCount, fmtMs, fmtMsTick, fmtPct, fmtPoints, fmtTime } from './format';
import { colourOf, scatterSvg, type ScatterPoint } from './svg-chart';

export interface HtmlReportInput {
  project: { name: string };
  records: VariantRecord[];
  datasets: Record<string, DatasetRecord | undefined>;
  generatedAt: Date;
  /** The variant the others are compared with; default the first loaded file (parentId null). */
  baselineId?: string;
}

export const NOT_MEASURED = 'not measured on these terms';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2330;margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h3{font-size:14px;margin:18px 0 6px}
.muted{color:#6b7185}.terms{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f7f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.absent{color:#9a3412;font-style:italic}tr.baseline td{background:#f5f3ff}
.swatch{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:5px}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #e5e7eb;border-radius:4px}
ul.family{padding-left:18px}ul.family li{margin:3px 0}.tag{background:#eef2ff;border-radius:3px;padding:0 4px;margin-left:4px;font-size:11px}
.notes{white-space:pre-wrap;color:#4b5163;margin:2px 0 6px}
@media print{.charts svg{break-inside:avoid}}
`;

/** The variant the others are measured against: the one asked for, else the first root, else the first. */
export function pickBaseline(records: readonly VariantRecord[], baselineId?: string): VariantRecord | null {
  return (baselineId ? records.find((r) => r.id === baselineId) : undefined) ?? records.find((r) => r.parentId === null) ?? records[0] ?? null;
}

function termsHtml(key: MeasurementKey | null, baseline: VariantRecord | null, datasets: HtmlReportInput['datasets']): string {
  if (!baseline) return '<p class="muted">The project holds no variants.</p>';
  if (!key) return `<p class="muted">The baseline, ${esc(baseline.name)}, has not been measured, so no variant's accuracy or latency is shown.</p>`;
  const d = datasets[key.datasetSha256];
  const rows: [string, string][] = [
    ['Baseline', esc(baseline.name)],
    ['Dataset', `${esc(d?.name ?? key.dataset)} <span class="muted">(sha256 ${esc(key.datasetSha256.slice(0, 12))}…${d ? `, ${d.count} items, ${d.classes} classes` : ''})</span>`],
    ['Preprocessing', esc(describePreprocess(key.preprocess))],
    ['Items measured', `the first ${key.samples}`],
    ['Adapter', esc(key.adapter)],
  ];
  return `<div class="terms">${rows.map(([k, v]) => `<span class="muted">${k}</span><span>${v}</span>`).join('')}</div>`;
}

const num = (text: string) => `<td class="num">${text}</td>`;
const latencyCell = (m: Measurement | null, batch: number) => {
  const l = latencyAt(m, batch);
  return num(l ? `${fmtMs(l.medianMs)} <span class="muted">p95 ${fmtMs(l.p95Ms)}</span>` : '–');
};
const tagsHtml = (r: VariantRecord) => r.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join('');
const techniqueHtml = (r: VariantRecord) => `<span class="swatch" style="background:${colourOf(r.technique)}"></span>${esc(r.technique)}`;

function variantsTable(input: HtmlReportInput, baseline: VariantRecord | null, key: MeasurementKey | null): string {
  const baseTop1 = baseline && key ? latestMeasurement(baseline, key)?.top1 ?? null : null;
  const head = ['Name', 'Technique', 'Step', 'Params', 'Weight bytes', 'File bytes', 'Top-1', 'Top-5', 'Δ top-1 vs baseline', 'Latency b1 (median)', 'Latency b64 (median)', 'Agreement with baseline'];
  const rows = input.records.map((r) => {
    const row = metricsRow(r);
    const m = key ? latestMeasurement(r, key) : null;
    const cells = [
      `<td>${esc(r.name)}${tagsHtml(r)}</td>`, `<td>${techniqueHtml(r)}</td>`, `<td>${esc(row.step)}</td>`,
      num(fmtCount(row.params)), num(fmtBytes(row.weightBytes)), num(fmtBytes(row.fileBytes)),
    ];
    if (!m) cells.push(`<td class="absent" colspan="6">${NOT_MEASURED}</td>`);
    else {
      const agree = baseline && key && baseline.id !== r.id ? agreementWith(input.records, r.id, baseline.id, key) : null;
      cells.push(num(fmtPct(m.top1)), num(fmtPct(m.top5)),
        num(baseline?.id === r.id ? 'baseline' : fmtPoints(baseTop1 === null ? null : m.top1 - baseTop1)),
        latencyCell(m, 1), latencyCell(m, 64), num(baseline?.id === r.id ? '–' : fmtPct(agree)));
    }
    return `<tr${baseline?.id === r.id ? ' class="baseline"' : ''}>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Roots (and variants whose parent left the project) with their children beneath, each with its step. */
function familyHtml(records: readonly VariantRecord[]): string {
  const ids = new Set(records.map((r) => r.id));
  const seen = new Set<string>();
  const item = (r: VariantRecord): string => {
    seen.add(r.id); // guards against a cycle in broken data
    const kids = records.filter((c) => c.parentId === r.id && !seen.has(c.id));
    const step = r.step ? metricsRow(r).step : r.source ? `loaded file ${r.source.fileName}` : 'loaded file';
    return `<li><strong>${esc(r.name)}</strong> <span class="muted">(${esc(r.technique)}) — ${esc(step)}</span>${kids.length ? `<ul class="family">${kids.map(item).join('')}</ul>` : ''}</li>`;
  };
  const roots = records.filter((r) => r.parentId === null || !ids.has(r.parentId));
  const html = roots.map(item).join('');
  // Anything left is in a cycle with no root; list it rather than lose it.
  const rest = records.filter((r) => !seen.has(r.id)).map(item).join('');
  return `<ul class="family">${html}${rest}</ul>`;
}

type CostAxis = { title: string; xTitle: string; x: (r: VariantRecord, m: Measurement) => { x: number | null; low?: number | null; high?: number | null }; format: (v: number) => string; tick?: (v: number) => string };

const COST_AXES: CostAxis[] = [
  { title: 'Accuracy vs weight bytes', xTitle: 'weight bytes', x: (r) => ({ x: r.stats.weightBytes }), format: fmtBytes, tick: fmtBytesDecimal },
  { title: 'Accuracy vs file bytes', xTitle: 'file bytes', x: (r) => ({ x: r.stats.fileBytes }), format: fmtBytes, tick: fmtBytesDecimal },
  ...[1, 64].map((batch): CostAxis => ({
    title: `Accuracy vs latency, batch ${batch}`, xTitle: `latency batch ${batch} (median, p5–p95)`, format: fmtMs, tick: fmtMsTick,
    x: (_r, m) => { const l = latencyAt(m, batch); return { x: l?.medianMs ?? null, low: l?.p5Ms, high: l?.p95Ms }; },
  })),
];

function chartsHtml(records: readonly VariantRecord[], key: MeasurementKey | null): string {
  return COST_AXES.map((axis) => {
    const raw = records.map((r) => {
      const m = key ? latestMeasurement(r, key) : null;
      const c = m ? axis.x(r, m) : { x: null };
      return { r, x: c.x, y: m?.top1 ?? null, low: c.low ?? null, high: c.high ?? null };
    });
    // The frontier among the points the log-scale chart can place.
    const frontier = paretoFrontier(raw.filter((p) => p.x !== null && p.x > 0 && p.y !== null).map((p) => ({ id: p.r.id, x: p.x!, y: p.y! })));
    const points: ScatterPoint[] = raw.map((p) => ({
      id: p.r.id, label: p.r.name, x: p.x, y: p.y, technique: p.r.technique, xLow: p.low, xHigh: p.high, frontier: frontier.has(p.r.id),
    }));
    return scatterSvg({ points, width: 560, height: 360, title: axis.title, xTitle: axis.xTitle, yTitle: 'top-1 accuracy', logX: true, formatX: axis.format, formatTick: axis.tick, standalone: false });
  }).join('\n');
}

function historyHtml(records: readonly VariantRecord[], key: MeasurementKey | null, datasets: HtmlReportInput['datasets']): string {
  return records.map((r) => {
    const notes = r.notes.trim() ? `<p class="notes">${esc(r.notes)}</p>` : '';
    if (!r.measurements.length) return `<h3>${esc(r.name)}</h3>${notes}<p class="muted">No measurements.</p>`;
    const rows = [...r.measurements].sort((a, b) => b.at - a.at).map((m) => {
      const dataset = datasets[m.key.datasetSha256]?.name ?? m.key.dataset;
      const terms = `${esc(dataset)}, ${esc(describePreprocess(m.key.preprocess))}, ${m.key.samples} items, ${esc(m.key.adapter)}`;
      return `<tr><td>${esc(fmtTime(m.at))}</td><td>${terms}${key && sameKey(m.key, key) ? ' <span class="tag">these terms</span>' : ''}</td>` +
        `${num(fmtPct(m.top1))}${num(fmtPct(m.top5))}${latencyCell(m, 1)}${latencyCell(m, 64)}</tr>`;
    });
    return `<h3>${esc(r.name)}</h3>${notes}<table><thead><tr><th>When (UTC)</th><th>Terms</th><th>Top-1</th><th>Top-5</th><th>Latency b1</th><th>Latency b64</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }).join('\n');
}

/** The whole report as one HTML document string. */
export function htmlReport(input: HtmlReportInput): string {
  const baseline = pickBaseline(input.records, input.baselineId);
  const key = baseline ? latestMeasurement(baseline)?.key ?? null : null;
  const title = `${input.project.name} — compression report`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="muted">Generated ${esc(input.generatedAt.toISOString())} · ${input.records.length} variant${input.records.length === 1 ? '' : 's'}</p>
<h2>Measured on</h2>
${termsHtml(key, baseline, input.datasets)}
<h2>Variants</h2>
${variantsTable(input, baseline, key)}
<h2>Family</h2>
${familyHtml(input.records)}
<h2>Accuracy against cost</h2>
<p class="muted">Each chart shows the variants measured on the terms above. The line joins the Pareto frontier (no other variant is both cheaper and more accurate); dimmed points are dominated.</p>
<div class="charts">
${chartsHtml(input.records, key)}
</div>
<h2>Measurement history</h2>
${historyHtml(input.records, key, input.datasets)}
</body>
</html>
`;
}
