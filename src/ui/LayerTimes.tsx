import { useState } from 'react';
import { layersVersus, timeByOpType, type LayerProfile } from '../core/latency';
import { fmtMs } from './format';

const SHOWN = 12;

/**
 * Where one run's time goes: the share of each op type, then the slowest layers, each beside the
 * same layer of `base` (the variant it was made from, measured on the same data and adapter) so a
 * quantized or pruned variant shows which layers got faster and which did not.
 */
export function LayerTimes({ profile, base, baseName }: { profile: LayerProfile; base: LayerProfile | null; baseName: string | null }) {
  const [all, setAll] = useState(false);
  const total = Math.max(profile.totalMs, 1e-9);
  const ops = timeByOpType(profile);
  const rows = layersVersus(profile, base);
  const shown = all ? rows : rows.slice(0, SHOWN);
  const widest = rows[0]?.ms ?? 1;
  return (
    <details className="layer-times" data-testid="layer-times">
      <summary>
        Where the time goes · batch {profile.batch}, {fmtMs(profile.totalMs)} of GPU time over {profile.layers.length} steps
        {base && baseName && <> · beside <span className="mono">{baseName}</span></>}
      </summary>
      <div className="op-shares" data-testid="op-shares" title="GPU time per op type, each step timed in its own pass">
        {ops.map((o, i) => (
          <span key={o.opType} className={`share s${i % 6}`} style={{ width: `${(100 * o.ms) / total}%` }}
            title={`${o.opType}: ${fmtMs(o.ms)} (${((100 * o.ms) / total).toFixed(1)} %) over ${o.layers} step(s)`} />
        ))}
      </div>
      <div className="muted small op-legend">
        {ops.slice(0, 6).map((o, i) => (
          <span key={o.opType} data-testid="op-share"><i className={`share s${i % 6}`} />{o.opType} {((100 * o.ms) / total).toFixed(1)} %</span>
        ))}
      </div>
      <table className="layers layer-table" data-testid="layer-times-table">
        <thead>
          <tr><th>Layer</th><th>Op</th><th className="num">GPU time</th><th>Share</th>{base && <th className="num">{baseName ?? 'parent'}</th>}{base && <th className="num">Speed-up</th>}</tr>
        </thead>
        <tbody>
          {shown.map((l) => (
            <tr key={l.name} data-testid="layer-time" data-layer={l.name} data-ms={l.ms.toFixed(3)}>
              <td className="mono" title={l.fused?.length ? `with ${l.fused.join(', ')} fused in` : undefined}>{l.name}{l.fused?.length ? ` (+${l.fused.length})` : ''}</td>
              <td><span className="op">{l.opType}</span></td>
              <td className="num">{fmtMs(l.ms)}</td>
              <td><div className="share-bar"><div style={{ width: `${(100 * l.ms) / widest}%` }} /></div> <span className="muted small">{((100 * l.ms) / total).toFixed(1)} %</span></td>
              {base && <td className="num muted">{l.baseMs === null ? '–' : fmtMs(l.baseMs)}</td>}
              {base && <td className="num" data-testid="layer-speedup">{l.baseMs === null || l.ms <= 0 ? '–' : <span className={l.baseMs / l.ms < 1 ? 'bad' : ''}>{(l.baseMs / l.ms).toFixed(2)}×</span>}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > SHOWN && (
        <button className="small-btn" data-testid="layer-times-all" onClick={() => setAll(!all)}>{all ? `Show the ${SHOWN} slowest` : `Show all ${rows.length} steps`}</button>
      )}
      <p className="muted small">Each step (a layer with what was fused into it) runs in its own timestamped pass, once, after the timed runs; the sum leaves out what passes themselves cost.</p>
    </details>
  );
}
