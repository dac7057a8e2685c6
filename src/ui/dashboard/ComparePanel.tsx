/**
 * Two to four variants side by side against the baseline: their figures with deltas, their layers
 * aligned by name (op, shape, bits, sparsity, size, and the output error on one batch), and their
 * predictions on the same test items: flips, a grid of the items where they disagree with each
 * variant's answer, confusion matrices and their difference, per-class accuracy deltas.
 */
import type { ImageSpec } from '../../recipe/image-spec';
import { useEffect, useRef } from 'react';
import { busyReason, useStudio } from '../../state/store';
import { loadItems, measureLayerErrors, useDashboard } from '../../state/dashboard';
import { agreement, latestMeasurement, type Measurement, type MeasurementKey, type VariantRecord } from '../../recipe/variant';
import { confusionDelta, confusionMatrix, deltas, flips, metricsRow, perClassAccuracy, type NumericMetric } from '../../report/analysis';
import { TECHNIQUE_COLOURS } from '../../report/svg-chart';
import { fmtInt, fmtBytes, fmtCount, fmtMs, fmtPct } from '../format';

const METRICS: [NumericMetric, string, (v: number) => string, 'smaller' | 'larger'][] = [
  ['params', 'Parameters', fmtCount, 'smaller'], ['flops', 'FLOPs / item', fmtCount, 'smaller'], ['nonzeroFlops', 'FLOPs without zeros', fmtCount, 'smaller'],
  ['weightBytes', 'Weight bytes', fmtBytes, 'smaller'], ['fileBytes', 'File bytes', fmtBytes, 'smaller'], ['top1', 'Top-1', fmtPct, 'larger'], ['top5', 'Top-5', fmtPct, 'larger'],
  ['b1MedianMs', 'Latency, batch 1', fmtMs, 'smaller'], ['b64MedianMs', 'Latency, batch 64', fmtMs, 'smaller'],
];

export function ComparePanel({ records, keyOn, baseline }: { records: readonly VariantRecord[]; keyOn: MeasurementKey | null; baseline: VariantRecord | null }) {
  const ids = useDashboard((d) => d.compareIds);
  const chosen = ids.map((id) => records.find((r) => r.id === id)).filter((r): r is VariantRecord => Boolean(r));
  if (!baseline) return null;
  const others = chosen.filter((r) => r.id !== baseline.id);
  if (chosen.length < 2 && others.length < 1) {
    return (
      <div className="card" data-testid="compare-empty">
        <h3>Side by side</h3>
        <p className="muted">Tick 2 to 4 variants in the table (⇆) to compare them with the baseline, <span className="mono">{baseline.name}</span>: figures, layers and predictions.</p>
      </div>
    );
  }
  return (
    <div className="card" data-testid="compare">
      <h3>Side by side <span className="muted">· against {baseline.name}</span></h3>
      <MetricsTable baseline={baseline} others={others} keyOn={keyOn} />
      <LayerTable baseline={baseline} others={others} />
      <Predictions baseline={baseline} others={others} keyOn={keyOn} />
    </div>
  );
}

function MetricsTable({ baseline, others, keyOn }: { baseline: VariantRecord; others: VariantRecord[]; keyOn: MeasurementKey | null }) {
  const base = metricsRow(baseline, keyOn ?? undefined);
  const rows = others.map((r) => ({ r, d: deltas(base, metricsRow(r, keyOn ?? undefined)) }));
  return (
    <table className="layers compare-metrics" data-testid="compare-metrics">
      <thead><tr><th>Figure</th><th className="num">{baseline.name}</th>{others.map((r) => <th key={r.id} className="num mono">{r.name}</th>)}</tr></thead>
      <tbody>
        {METRICS.map(([k, label, fmt, better]) => (
          <tr key={k}>
            <td>{label}</td>
            <td className="num">{base[k] === null ? '–' : fmt(base[k]!)}</td>
            {rows.map(({ r, d }) => {
              const m = d[k];
              const good = m.difference === null ? null : better === 'smaller' ? m.difference < 0 : m.difference > 0;
              return (
                <td key={r.id} className="num" data-testid={`compare-${k}`}>
                  {m.other === null ? '–' : fmt(m.other)}
                  {m.difference !== null && m.difference !== 0 && (
                    <div className={`small ${good ? 'good' : 'bad'}`}>
                      {k === 'top1' || k === 'top5' ? `${m.difference > 0 ? '+' : '−'}${Math.abs(100 * m.difference).toFixed(2)} pts` : m.ratio !== null ? `${m.ratio >= 1 ? `${m.ratio.toFixed(2)}× smaller` : `${(1 / m.ratio).toFixed(2)}× larger`}`.replace(/smaller|larger/, (w) => (k.endsWith('Ms') ? (w === 'smaller' ? 'faster' : 'slower') : w)) : ''}
                    </div>
                  )}
                </td>
              );
            })}
          </tr>
        ))}
        <tr>
          <td title="share of test items on which it predicts what the baseline predicts">Agreement with the baseline</td>
          <td className="num">—</td>
          {others.map((r) => {
            const a = keyOn ? agreement(latestMeasurement(r, keyOn), latestMeasurement(baseline, keyOn)) : null;
            return <td key={r.id} className="num" data-testid="compare-agreement">{a === null ? '–' : fmtPct(a)}</td>;
          })}
        </tr>
      </tbody>
    </table>
  );
}

function LayerTable({ baseline, others }: { baseline: VariantRecord; others: VariantRecord[] }) {
  const errors = useDashboard((d) => d.layerErrors);
  const busy = useStudio((s) => busyReason(s));
  const all = [baseline, ...others];
  const names = [...new Set(all.flatMap((r) => r.stats.layers.map((l) => l.name)))];
  const measured = errors?.baselineId === baseline.id ? errors : null;
  return (
    <div className="compare-section">
      <div className="toolbar">
        <b className="small">Layers, aligned by name</b>
        <span className="spacer" />
        <button className="small-btn" data-testid="measure-layer-errors" disabled={Boolean(busy)} title={busy ?? 'run every variant on one batch of test items and compare each layer\'s output with the baseline\'s'}
          onClick={() => void measureLayerErrors(others.map((r) => r.id), baseline.id)}>Measure output error (one batch)</button>
      </div>
      <div className="scroll-x">
        <table className="layers compare-layers" data-testid="compare-layers">
          <thead>
            <tr><th>Layer</th>{all.map((r) => <th key={r.id} colSpan={3} className="mono">{r.name}</th>)}</tr>
            <tr><th />{all.map((r) => [<th key={`${r.id}a`}>op · shape</th>, <th key={`${r.id}b`} className="num">bits · zeros · bytes</th>, <th key={`${r.id}c`} className="num">output error</th>])}</tr>
          </thead>
          <tbody>
            {names.map((n) => (
              <tr key={n} data-testid="compare-layer" data-layer={n}>
                <td className="mono">{n}</td>
                {all.map((r) => {
                  const l = r.stats.layers.find((x) => x.name === n);
                  const e = measured?.errors[r.id]?.find((x) => x.layer === n);
                  if (!l) return [<td key={`${r.id}a`} colSpan={3} className="muted small">not in this variant (removed)</td>];
                  return [
                    <td key={`${r.id}a`} className="small">{l.op} · [{l.shape.join(',')}]</td>,
                    <td key={`${r.id}b`} className="num small">{l.bits} · {l.params ? `${(100 * l.zeros / l.params).toFixed(0)} %` : '–'} · {fmtBytes(l.bytes)}</td>,
                    <td key={`${r.id}c`} className="num small" data-testid="layer-error" title={e?.note ?? (e?.maxAbs != null ? `max |Δ| ${e.maxAbs.toPrecision(3)}` : undefined)}>
                      {r.id === baseline.id ? '—' : !e ? '–' : e.relative === null ? <span className="muted">{e.note}</span> : `${(100 * e.relative).toFixed(2)} %`}
                    </td>,
                  ];
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {measured && <p className="muted small">Output error: ‖y − y<sub>baseline</sub>‖ / ‖y<sub>baseline</sub>‖ over {measured.items} test items, each layer read after its activation (int8 layers as their kernels write them, dequantized).</p>}
    </div>
  );
}

/** A test item as the model sees it: grey, or colour in either layout (BGR shown as RGB). */
function ItemPicture({ pixels, shape, spec }: { pixels: Uint8Array; shape: number[]; spec?: ImageSpec }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const nhwc = spec?.layout === 'NHWC' || (shape.length === 3 && shape[2] === 3 && shape[0] !== 3);
  const [c, h, w] = shape.length === 3 ? (nhwc ? [shape[2]!, shape[0]!, shape[1]!] : shape) : [1, shape[0]!, shape[1] ?? 1];
  const bgr = spec?.channel_order === 'BGR';
  useEffect(() => {
    const g = ref.current?.getContext('2d');
    if (!g) return;
    const img = g.createImageData(w!, h!);
    const plane = h! * w!;
    for (let i = 0; i < plane; i++) {
      const at = (k: number) => pixels[nhwc ? 3 * i + k : k * plane + i]!;
      const rgb = c === 3 ? (bgr ? [at(2), at(1), at(0)] : [at(0), at(1), at(2)]) : [pixels[i]!, pixels[i]!, pixels[i]!];
      img.data.set([...rgb, 255], 4 * i);
    }
    g.putImageData(img, 0, 0);
  }, [pixels, c, h, w, nhwc, bgr]);
  return <canvas ref={ref} width={w} height={h} className="item-pic" />;
}

function Predictions({ baseline, others, keyOn }: { baseline: VariantRecord; others: VariantRecord[]; keyOn: MeasurementKey | null }) {
  const dataset = useStudio((s) => s.datasets.test);
  const items = useDashboard((d) => d.items);
  const shape = useDashboard((d) => d.itemShape);
  const base = keyOn ? latestMeasurement(baseline, keyOn) : null;
  const measured = others.map((r) => ({ r, m: keyOn ? latestMeasurement(r, keyOn) : null })).filter((x): x is { r: VariantRecord; m: Measurement } => Boolean(x.m));
  const labels = dataset && keyOn && dataset.sha256 === keyOn.datasetSha256 ? dataset.labels : null;
  const grid = base && labels ? [...new Set(measured.flatMap(({ m }) => flips(base, m, labels).disagree))].sort((a, b) => a - b).slice(0, 40) : [];
  useEffect(() => { if (grid.length) void loadItems(grid); }, [grid.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!base || !labels || !measured.length) {
    return <p className="muted small" data-testid="compare-predictions-missing">Predictions compare when the baseline and the others are measured on the same terms, with that test set loaded: evaluate them with the same settings.</p>;
  }
  const classes = Math.max(dataset!.classes, baseline.stats.classes ?? 0);
  const names = dataset!.classNames;
  const nameOf = (c: number) => names?.[c] ?? String(c);
  const baseConf = confusionMatrix(base, labels, classes);
  return (
    <div className="compare-section" data-testid="compare-predictions">
      <b className="small">Predictions on the same {fmtInt(base.key.samples)} test items</b>
      <table className="layers" data-testid="flips">
        <thead><tr><th>Variant</th><th className="num">correct → wrong</th><th className="num">wrong → correct</th><th className="num">disagree</th><th className="num">net</th></tr></thead>
        <tbody>
          {measured.map(({ r, m }) => {
            const f = flips(base, m, labels);
            return (
              <tr key={r.id} data-testid="flip-row" data-id={r.id} data-c2w={f.correctToWrong.length} data-w2c={f.wrongToCorrect.length}>
                <td className="mono">{r.name}</td>
                <td className="num bad">{f.correctToWrong.length}</td><td className="num good">{f.wrongToCorrect.length}</td>
                <td className="num">{f.disagree.length}</td><td className="num">{f.wrongToCorrect.length - f.correctToWrong.length}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {grid.length > 0 && (
        <>
          <p className="muted small">The first {grid.length} items where a variant answers otherwise than the baseline (label, then each answer; red: wrong).</p>
          <div className="item-grid" data-testid="disagreement-grid">
            {grid.map((i) => (
              <div key={i} className="item" data-testid="disagreement-item" data-index={i}>
                {items[i] && shape ? <ItemPicture pixels={items[i]!} shape={shape} spec={dataset!.spec} /> : <div className="item-pic placeholder" />}
                <div className="small">#{i} · label <b>{nameOf(labels[i]!)}</b></div>
                {[{ r: baseline, m: base }, ...measured].map(({ r, m }) => (
                  <div key={r.id} className={`small answer ${m.predictions[i] === labels[i] ? 'good' : 'bad'}`} title={r.name}>
                    <span className="swatch" style={{ background: TECHNIQUE_COLOURS[r.technique] }} />{nameOf(m.predictions[i]!)}
                  </div>
                ))}
              </div>
            ))}
          </div>
        </>
      )}
      <div className="confusions" data-testid="confusions">
        <Confusion title={`${baseline.name} (baseline)`} m={baseConf} names={names} />
        {measured.map(({ r, m }) => {
          const c = confusionMatrix(m, labels, classes);
          return (
            <div key={r.id} className="confusion-pair">
              <Confusion title={r.name} m={c} names={names} />
              <Confusion title={`Δ ${r.name} − baseline`} m={confusionDelta(baseConf, c)} diverging names={names} />
            </div>
          );
        })}
      </div>
      <PerClass baseline={baseline} base={base} measured={measured} labels={labels} classes={classes} names={names} />
    </div>
  );
}

function Confusion({ title, m, diverging, names }: { title: string; m: number[][]; diverging?: boolean; names?: string[] }) {
  const max = Math.max(1, ...m.flat().map(Math.abs));
  return (
    <div className="confusion" data-testid={diverging ? 'confusion-delta' : 'confusion'}>
      <div className="small mono ellipsis" title={title}>{diverging && m.every((row) => row.every((v) => v === 0)) ? 'no change · ' : ''}{title}</div>
      <table>
        <tbody>
          {m.map((row, t) => (
            <tr key={t}>
              {row.map((v, p) => {
                const a = Math.abs(v) / max;
                const bg = diverging ? (v > 0 ? `rgba(220,38,38,${a})` : v < 0 ? `rgba(13,148,136,${a})` : 'transparent') : `rgba(79,70,229,${t === p ? a : Math.min(1, 3 * a)})`;
                // On the diagonal of a difference, more is better: flip the colours there.
                const diag = diverging && t === p ? (v > 0 ? `rgba(13,148,136,${a})` : v < 0 ? `rgba(220,38,38,${a})` : 'transparent') : bg;
                return <td key={p} style={{ background: diag }} title={`true ${names?.[t] ?? t}, predicted ${names?.[p] ?? p}: ${v}`}>{v !== 0 ? v : ''}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PerClass({ baseline, base, measured, labels, classes, names }: { baseline: VariantRecord; base: Measurement; measured: { r: VariantRecord; m: Measurement }[]; labels: number[]; classes: number; names?: string[] }) {
  const b = perClassAccuracy(base, labels, classes);
  return (
    <table className="layers per-class" data-testid="per-class">
      <thead><tr><th>Class</th><th className="num">{baseline.name}</th>{measured.map(({ r }) => <th key={r.id} className="num mono">Δ {r.name}</th>)}</tr></thead>
      <tbody>
        {b.map((acc, c) => (
          <tr key={c}>
            <td>{names?.[c] !== undefined ? `${c} ${names[c]}` : c}</td>
            <td className="num">{acc === null ? '–' : fmtPct(acc)}</td>
            {measured.map(({ r, m }) => {
              const o = perClassAccuracy(m, labels, classes)[c];
              const d = acc === null || o === null || o === undefined ? null : 100 * (o - acc);
              return <td key={r.id} className={`num ${d !== null && d < 0 ? 'bad' : d !== null && d > 0 ? 'good' : ''}`}>{d === null ? '–' : `${d > 0 ? '+' : d < 0 ? '−' : ''}${Math.abs(d).toFixed(2)}`}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
