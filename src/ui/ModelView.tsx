import { useDeferredValue } from 'react';
import { recordOf, useStudio } from '../state/store';
import type { VariantRecord } from '../recipe/variant';
import { fmtInt, fmtBytes, fmtCount, fmtShape } from './format';
import { BarSvg } from './charts/SvgCharts';

export function ModelView() {
  // A new selection's layers render in a transition (a big model's table is long).
  const model = useDeferredValue(useStudio((s) => s.summary));
  const keptFloat = keptFloatReasons(useStudio((s) => recordOf(s, s.selectedId)));
  if (!model) {
    return <div className="card"><h3>Model</h3><p className="muted">No model loaded yet.</p></div>;
  }
  const heavy = model.layers.filter((l) => l.flops > 0);
  return (
    <div className="card" data-testid="model-view">
      <h3>{model.fileName} <span className="muted">· opset {model.opset}{model.producer ? ` · ${model.producer}` : ''}</span></h3>
      <div className="metrics small">
        <div className="metric"><div className="label">Parameters</div><div className="value">{fmtCount(model.params)}</div></div>
        <div className="metric"><div className="label">Size</div><div className="value" data-testid="model-size">{fmtBytes(model.sizeBytes)}</div>
          <div className="sub">{Object.entries(model.bytesByDtype).map(([d, b]) => `${d} ${fmtBytes(b)}`).join(' · ')}</div></div>
        <div className="metric"><div className="label">FLOPs / sample</div><div className="value">{fmtCount(model.flops)}</div></div>
        <div className="metric"><div className="label">Layers</div><div className="value">{model.layers.length}</div><div className="sub">{model.dispatches} kernel launches after fusion</div></div>
      </div>
      <div className="io">
        {model.inputs.map((i) => <span key={i.name} className="chip on">in {i.name} {fmtShape(i.shape)} {i.dtype}</span>)}
        {model.outputs.map((o) => <span key={o.name} className="chip">out {o.name} {fmtShape(o.shape)} {o.dtype}</span>)}
      </div>
      {model.batching && (
        <p className={`batching small ${model.batching.mode === 'fixed' ? 'warn' : 'muted'}`} data-testid="batching" data-mode={model.batching.mode}>
          <b>Batch:</b> {model.batching.note}
        </p>
      )}
      {heavy.length > 0 && (
        <div className="chart" data-testid="flops-chart">
          <BarSvg categories={heavy.map((l) => shortName(l.name))} series={[{ name: 'FLOPs per sample', colour: '#0d9488', values: heavy.map((l) => l.flops) }]}
            height={170} yWidth={56} yTick={fmtCount} slantLabels title={(layer, _s, v) => `${layer}: ${fmtCount(v)} FLOPs per sample`} />
        </div>
      )}
      <table className="layers" data-testid="layer-table">
        <thead><tr><th>#</th><th>Layer</th><th>Op</th><th>Output shape</th><th className="num">Params</th><th className="num">FLOPs</th><th className="num">Bytes</th></tr></thead>
        <tbody>
          {model.layers.map((l, i) => (
            <tr key={l.name}>
              <td className="muted">{i + 1}</td><td className="mono">{l.name}</td>
              <td><span className="op" title={l.opType}>{opLabel(l.opType)}</span>{l.fusedInto && <span className="fused" title={`computed inside ${l.fusedInto}'s kernel`}>fused</span>}
                {keptFloat.has(l.name) && <span className="kept-float" data-testid="kept-float" title={`kept float32: ${keptFloat.get(l.name)}`}>float32</span>}</td>
              <td className="mono">{fmtShape(l.shape)}</td><td className="num">{l.params ? fmtInt(l.params) : ''}</td>
              <td className="num">{l.flops ? fmtCount(l.flops) : ''}</td><td className="num">{l.bytes ? fmtBytes(l.bytes) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The layers an int8 or binary variant left float32, with the reason its plan gave (int8's skipped, binarizing's kept). */
function keptFloatReasons(r: VariantRecord | undefined): Map<string, string> {
  if (r?.technique !== 'int8' && r?.technique !== 'binary') return new Map();
  const list = r.technique === 'int8' ? r.details.skipped : r.details.kept;
  return new Map((Array.isArray(list) ? list as { node: string; reason: string }[] : []).map((k) => [k.node, k.reason]));
}

/** The last two path segments of exporter names like '/features/features.0/Conv'. */
function shortName(name: string): string {
  const parts = name.split('/').filter(Boolean);
  return parts.slice(-2).join('/') || name;
}

/** The engine's internal lowered ops, named as a user thinks of them. */
function opLabel(op: string): string {
  if (op === 'StudioFakeQuant') return 'Quantize·Dequantize';
  const m = /^Studio(Int8|Xnor)(\w+)$/.exec(op) ?? /^Xnor(\w+)$/.exec(op);
  if (!m) return op;
  return m.length === 3 ? `${m[2]} · ${m[1] === 'Int8' ? 'int8' : 'binary'}` : `${m[1]} · binary`;
}
