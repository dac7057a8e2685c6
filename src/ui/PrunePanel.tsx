import { useEffect, useRef, type CSSProperties } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { busyReason, useStudio } from '../state/store';
import { MNIST_TRAIN } from '../state/train';
import { useFocusCard } from './focus';
import {
  cancelPruneJob, choosePictureLayer, currentPruneProblems, layersWithinBudget, loadPruneLayers, setPruneInputs, startPruneSensitivity, startPruning,
  usePrune, type PruneField, type PruneInputs,
} from '../state/prune';
import { CRITERIA, GRANULARITIES, PRUNE_SCHEDULES, STRUCTURAL } from '../recipe/vocabulary';
import type { SparsityPicture } from '../worker/types';
import { fmtInt, fmtPct } from './format';
import { Visible } from './Visible';
import { BarSvg } from './charts/SvgCharts';

const grid = { display: 'grid', gridTemplateColumns: 'repeat(4, minmax(0, 1fr))', columnGap: 10 } as const;
const GRANULARITY_HELP: Record<string, string> = {
  fine: 'single weights (unstructured: needs a sparse kernel to be faster)',
  vector: 'one row of a k×k kernel (a dense layer: 4 inputs)',
  kernel: 'a whole k×k kernel of one input channel',
  filter: 'whole output channels, by dependency groups: the model really shrinks',
  '2:4': 'keep the 2 largest of every 4 inputs (50 %, the sparse tensor cores\' pattern)',
  block: 'whole blocks: a residual block (x + f(x) becomes x) or a branch of a Concat; the sparsity is the share of the removable blocks',
};
const CRITERION_NAMES: Record<string, string> = { l1: 'L1 magnitude', l2: 'L2 magnitude', random: 'random (the control)', taylor: 'Taylor |w·∂L/∂w|', bn: 'BatchNorm γ (filters, blocks)' };
const COLORS = ['#4f46e5', '#0d9488', '#d97706', '#db2777', '#2563eb', '#16a34a', '#9333ea', '#dc2626'];

/**
 * Prune: granularity, criterion, sparsity (global, per layer, or from the sensitivity chart), schedule
 * and fine-tuning; the chosen layer's sparsity pattern before anything changes; per-layer sparsity
 * bars and the new variant's figures next to its parent after a run.
 */
export function PrunePanel() {
  const inputs = usePrune((s) => s.inputs);
  const layers = usePrune((s) => s.layers);
  const job = usePrune((s) => s.job);
  const last = usePrune((s) => s.last);
  const sensitivity = usePrune((s) => s.sensitivity);
  const pictureLayer = usePrune((s) => s.pictureLayer);
  const picture = usePrune((s) => s.picture);
  const pictureGranularity = usePrune((s) => s.pictureGranularity);
  const pictureError = usePrune((s) => s.pictureError);
  const epochs = usePrune((s) => s.epochs);
  const current = useStudio((s) => s.selectedId);
  const currentName = useStudio((s) => s.records.find((r) => r.id === s.selectedId)?.name ?? null);
  const reason = useStudio((s) => busyReason(s));
  const otherJob = Boolean(reason) && !job;
  const dataset = useStudio((s) => s.datasets.test);
  const trainSet = useStudio((s) => s.datasets.train);
  const ready = useStudio((s) => Boolean(s.selectedId && s.datasets.test && s.webgpu === 'ready'));
  const focus = useFocusCard('prune');
  const problems = currentPruneProblems(inputs);
  useEffect(() => { if (ready) void loadPruneLayers(); }, [ready, current]);
  if (!ready) return null;
  const locked = Boolean(job) || otherJob;
  const set = (k: PruneField) => (e: { target: { value: string } }) => setPruneInputs({ [k]: e.target.value } as Partial<PruneInputs>);
  const text = (k: PruneField, label: string, extra: { disabled?: boolean; title?: string; style?: CSSProperties } = {}) => (
    <label className="field" title={extra.title} style={extra.style}>{label}
      <input type="text" inputMode="decimal" value={String(inputs[k])} data-testid={`prune-${k}`} disabled={locked || extra.disabled}
        aria-invalid={Boolean(problems[k])} onChange={set(k)} />
    </label>
  );
  const finetune = Number(inputs.finetuneEpochs) > 0;
  return (
    <div className={focus.className} ref={focus.ref} data-testid="prune-card">
      <h3>Prune <span className="muted">· remove weights, kernels, whole filters or whole blocks, then fine-tune</span></h3>
      <p className="muted small hint">
        Pruning removes the weights that matter least. Fine-grained, vector and kernel pruning leave zeros in dense tensors (smaller only in a sparse
        encoding, faster only on sparse kernels); filter and block pruning really shrink the model. With gradual pruning and fine-tuning, 50 % of the
        weights cost about nothing and 87.5 % a few tenths of a point (Zhu &amp; Gupta); filters cost more per FLOP removed.
      </p>
      <div style={grid}>
        <label className="field" title={GRANULARITY_HELP[inputs.granularity]}>Granularity
          <select value={inputs.granularity} data-testid="prune-granularity" disabled={locked} onChange={(e) => setPruneInputs({ granularity: e.target.value as PruneInputs['granularity'] })}>
            {GRANULARITIES.map((g) => <option key={g} value={g}>{g}</option>)}
          </select>
        </label>
        <label className="field">Criterion
          <select value={inputs.criterion} data-testid="prune-criterion" disabled={locked} onChange={(e) => setPruneInputs({ criterion: e.target.value as PruneInputs['criterion'] })}>
            {CRITERIA.map((c) => <option key={c} value={c} disabled={(c === 'bn' && !STRUCTURAL.includes(inputs.granularity)) || (c === 'taylor' && inputs.granularity === 'block')}>{CRITERION_NAMES[c]}</option>)}
          </select>
        </label>
        {text('sparsity', 'Sparsity', { disabled: inputs.granularity === '2:4', title: 'fraction of each layer\'s weights (filter: channels; block: the removable blocks) removed' })}
        <label className="field" title="every layer at its sparsity, or one magnitude threshold over all layers">Scope
          <select value={inputs.scope} data-testid="prune-scope" disabled={locked || STRUCTURAL.includes(inputs.granularity) || inputs.granularity === '2:4'} onChange={(e) => setPruneInputs({ scope: e.target.value as PruneInputs['scope'] })}>
            <option value="layer">per layer</option>
            <option value="global">global threshold</option>
          </select>
        </label>
        {text('layers', 'Per-layer sparsity (layer=S, …)', { style: { gridColumn: 'span 4' }, title: 'overrides the sparsity for the named layers; set from the sensitivity chart below' })}
        <label className="field" title="one-shot; equal steps; or Zhu & Gupta's cubic ramp, fine-tuning between">Schedule
          <select value={inputs.schedule} data-testid="prune-schedule" disabled={locked} onChange={(e) => setPruneInputs({ schedule: e.target.value as PruneInputs['schedule'] })}>
            {PRUNE_SCHEDULES.map((p) => <option key={p} value={p}>{p === 'gradual' ? 'gradual (Zhu & Gupta)' : p}</option>)}
          </select>
        </label>
        {text('finetuneEpochs', 'Fine-tuning epochs', { title: '0 prunes only; masked weights stay zero while fine-tuning' })}
        {text('lr', 'Learning rate', { disabled: !finetune })}
        <label className="check" style={{ alignSelf: 'center', marginTop: 14 }} title="fine-tune on the unpruned model's softened outputs (T 4, α 0.9)">
          <input type="checkbox" checked={inputs.distill} data-testid="prune-distill" disabled={locked || !finetune} onChange={(e) => setPruneInputs({ distill: e.target.checked })} />
          Distil from the unpruned model
        </label>
        <label className="field">Training data
          <select value={inputs.data} data-testid="prune-data" disabled={locked || !finetune} onChange={(e) => setPruneInputs({ data: e.target.value as PruneInputs['data'] })}>
            <option value="mnist-train">{trainSet?.spec ? `the training set (${trainSet.name})` : MNIST_TRAIN.name}</option>
            <option value="loaded" disabled={!dataset}>the loaded dataset</option>
          </select>
        </label>
        {text('trainSamples', 'Training samples', { disabled: !finetune })}
        {text('testSamples', 'Test samples', { title: 'items of the loaded dataset the accuracy before and after is measured on' })}
      </div>
      <p className="muted small" style={{ marginTop: 0 }}>{GRANULARITY_HELP[inputs.granularity]}. Prunes <span className="mono">{currentName}</span>{' '}(its float model).</p>
      {Object.entries(problems).map(([k, msg]) => <p key={k} className="field-error small" data-testid="prune-problem" data-field={k}>{msg}</p>)}
      <div className="row" style={{ marginTop: 4, gap: 8 }}>
         <button className="primary" style={{ flex: '0 0 auto', width: 'auto', padding: '8px 28px' }} data-testid="prune-run" disabled={locked || Object.keys(problems).length > 0} onClick={() => void startPruning()}>Prune</button>
        <button data-testid="prune-sensitivity-run" disabled={locked || Boolean(problems.sensitivitySamples)} onClick={() => void startPruneSensitivity()}
          title="each layer pruned alone at 25, 50, 75 and 90 %, no fine-tuning">Measure sensitivity</button>
        {text('sensitivitySamples', 'Sensitivity samples', { style: { margin: 0, width: 130 } })}
        {job && <button data-testid="prune-cancel" disabled={job.status === 'stopping' || job.status === 'evaluating'} onClick={cancelPruneJob}>Cancel</button>}
        {job && (
          <span className="muted small" data-testid="prune-status">
            {job.kind === 'sensitivity' ? 'Sensitivity' : 'Pruning'}: {job.status}{job.total ? ` · ${job.done}/${job.total}${job.kind === 'prune' ? ' fine-tuning steps' : ' points'}` : ''}
            {epochs.length ? ` · epoch test accuracy ${epochs.map((a) => fmtPct(a)).join(', ')}` : ''}
          </span>
        )}
      </div>
      <div className="row" style={{ alignItems: 'flex-start', gap: 16, marginTop: 10, flexWrap: 'wrap' }}>
        <div style={{ flex: '1 1 300px', minWidth: 0 }}>
          <label className="field" style={{ maxWidth: 260 }}>Sparsity pattern of
            <select value={pictureLayer ?? ''} data-testid="prune-picture-layer" onChange={(e) => void choosePictureLayer(e.target.value)}>
              {(layers ?? []).map((l) => <option key={l.node} value={l.node}>{l.node} ({l.opType}, {fmtInt(l.weights)} weights)</option>)}
            </select>
          </label>
          {pictureError ? <p className="field-error small" data-testid="prune-picture-error">{pictureError}</p>
            : picture ? <PatternPicture picture={picture} granularity={pictureGranularity ?? inputs.granularity} /> : <p className="muted small">…</p>}
        </div>
        {layers && <FilterGroups />}
        {layers && <Blocks />}
      </div>
      {sensitivity && <SensitivityChart />}
      {last && <LastRun />}
    </div>
  );
}

/** The layer's weights, darker for larger |w|; removed weights red. */
function PatternPicture({ picture, granularity }: { picture: SparsityPicture; granularity: PruneInputs['granularity'] }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { rows, cols } = picture;
  // Whole pixels per weight, at most 520 wide and 400 tall.
  const scale = Math.max(1, Math.min(Math.floor(520 / cols), Math.floor(400 / rows), 8));
  useEffect(() => {
    const c = ref.current;
    const g = c?.getContext('2d');
    if (!c || !g) return;
    const img = g.createImageData(cols, rows);
    for (let i = 0; i < rows * cols; i++) {
      const kept = picture.kept[i] === 1, m = picture.magnitude[i]!;
      const [r, gg, b] = kept ? [255 - 200 * Math.sqrt(m), 255 - 200 * Math.sqrt(m), 255 - 120 * Math.sqrt(m)] : [239, 68, 68];
      img.data.set([r, gg, b, 255], i * 4);
    }
    g.putImageData(img, 0, 0);
  }, [picture, rows, cols]);
  return (
    <div data-testid="prune-picture" data-zeros={picture.zeros} data-granularity={granularity}>
      <canvas ref={ref} width={cols} height={rows} style={{ width: cols * scale, height: rows * scale, maxWidth: '100%', imageRendering: 'pixelated', border: '1px solid var(--line)' }} />
      <div className="muted small">{picture.layout}: <b>{fmtPct(picture.zeros / (rows * cols))}</b> removed (red); kept weights darker for larger |w|.
        {granularity === 'filter' && ' Red rows are this layer\'s own filters; red columns are input channels that go with the previous layer\'s pruned filters.'}
        {granularity === 'block' && ' All red: the layer\'s block goes whole.'}</div>
    </div>
  );
}

/** Filter pruning's groups: channels, and which must stay whole with the reason. */
function FilterGroups() {
  const layers = usePrune((s) => s.layers) ?? [];
  const granularity = usePrune((s) => s.inputs.granularity);
  if (granularity !== 'filter') return null;
  return (
    <table className="small" data-testid="prune-groups" style={{ flex: '1 1 260px' }}>
      <thead><tr><th>Layer</th><th>Channels</th><th>Filter pruning</th></tr></thead>
      <tbody>
        {layers.map((l) => (
          <tr key={l.node}><td className="mono">{l.node}</td><td>{l.channels ?? '–'}</td><td className={l.pinned ? 'muted' : ''}>{l.pinned ? `kept whole: ${l.pinned}` : 'can shrink'}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

/** Block pruning: the layers of each removable block (named in the per-layer list by its Add, or by Concat:input). */
function Blocks() {
  const layers = usePrune((s) => s.layers) ?? [];
  const granularity = usePrune((s) => s.inputs.granularity);
  if (granularity !== 'block') return null;
  const blocks = [...new Set(layers.flatMap((l) => (l.block ? [l.block] : [])))];
  return (
    <table className="small" data-testid="prune-blocks" style={{ flex: '1 1 260px' }}>
      <thead><tr><th>Block (its Add, or Concat:input)</th><th>Layers</th></tr></thead>
      <tbody>
        {blocks.map((b) => <tr key={b}><td className="mono">{b}</td><td className="mono">{layers.filter((l) => l.block === b).map((l) => l.node).join(', ')}</td></tr>)}
        {!blocks.length && <tr><td colSpan={2} className="muted">No removable block: the model has no x + f(x) with an identity shortcut and no Concat branch that only it reads.</td></tr>}
      </tbody>
    </table>
  );
}

function SensitivityChart() {
  const r = usePrune((s) => s.sensitivity)!;
  const levels = [...new Set(r.curves.flatMap((c) => c.points.map((p) => p.sparsity)))].sort((a, b) => a - b);
  const data = [{ sparsity: 0, ...Object.fromEntries(r.curves.map((c) => [c.layer, 100 * r.baseline])) },
    ...levels.map((s) => ({ sparsity: s, ...Object.fromEntries(r.curves.map((c) => [c.layer, (c.points.find((p) => p.sparsity === s)?.accuracy ?? NaN) * 100])) }))];
  const budget = 1;
  const chosen = layersWithinBudget(r, budget);
  return (
    <div data-testid="prune-sensitivity" style={{ marginTop: 12 }}>
      <div className="muted small">Sensitivity of <span className="mono">{r.variant}</span> ({r.granularity}, {r.criterion}, {r.samples} test items): accuracy with {r.granularity === 'block' ? 'one block removed' : 'one layer pruned'} alone</div>
      <Visible height={220}><ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="sparsity" type="number" domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(100 * v)} %`} />
          <YAxis domain={['auto', 100]} unit=" %" width={52} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(2)} %`} labelFormatter={(v) => `sparsity ${Math.round(100 * Number(v))} %`} />
          <Legend />
          <ReferenceLine y={100 * r.baseline - budget} stroke="#9ca3af" strokeDasharray="4 4" label={{ value: `−${budget} pt`, position: 'insideBottomLeft', fontSize: 11 }} />
          {r.curves.map((c, i) => <Line key={c.layer} dataKey={c.layer} stroke={COLORS[i % COLORS.length]} dot isAnimationActive={false} />)}
        </LineChart>
      </ResponsiveContainer></Visible>
      <div className="row small" style={{ gap: 8, alignItems: 'center' }}>
        <span className="muted">Within 1 point per layer: <span className="mono">{Object.entries(chosen).map(([l, s]) => `${l}=${s}`).join(', ') || 'none'}</span></span>
        <button className="small-btn" data-testid="prune-use-sensitivity" disabled={!Object.keys(chosen).length}
          onClick={() => setPruneInputs({ layers: Object.entries(chosen).map(([l, s]) => `${l}=${s}`).join(','), granularity: r.granularity })}>Use these per-layer sparsities</button>
      </div>
    </div>
  );
}

function LastRun() {
  const last = usePrune((s) => s.last)!;
  const { info } = last;
  // Filter pruning leaves no zeros (the tensors shrink), so its bars show the share of each layer's filters removed.
  const filterShare = new Map(info.filters.flatMap((f) => f.producers.map((p) => [p, 100 * (1 - f.after / f.before)] as const)));
  const filters = info.granularity === 'filter', blocks = info.granularity === 'block';
  // Block pruning: one bar per block, full when it went.
  const bars = blocks ? info.blocks.map((b) => ({ layer: b.join, sparsity: b.removed ? 100 : 0 }))
    : info.layers.map((l) => ({ layer: l.node, sparsity: filters ? filterShare.get(l.node) ?? 0 : (100 * l.zeros) / l.weights }));
  const row = (what: string, a: string, b: string) => <tr><td>{what}</td><td>{a}</td><td>{b}</td></tr>;
  return (
    <div data-testid="prune-last" style={{ marginTop: 12 }}>
      <div className="muted small">Last run: <span className="mono">{last.variant}</span> in {last.seconds.toFixed(0)} s</div>
      <div className="row" style={{ gap: 16, alignItems: 'flex-start', flexWrap: 'wrap' }}>
        <table className="small" style={{ flex: '0 0 auto' }}>
          <thead><tr><th /><th>parent</th><th>pruned</th></tr></thead>
          <tbody>
            {row('accuracy', info.accuracy.before === null ? '–' : fmtPct(info.accuracy.before), info.accuracy.after === null ? '–' : fmtPct(info.accuracy.after))}
            {row('parameters', fmtInt(info.before.params), fmtInt(info.after.params))}
            {row('FLOPs / item', fmtInt(info.before.flops), `${fmtInt(info.after.flops)}${info.nonzeroFlops < info.after.flops ? ` · ${fmtInt(info.nonzeroFlops)} without the zeros` : ''}`)}
            {row('stored bytes', fmtInt(info.before.bytes), info.sparseBytes ? `${fmtInt(info.after.bytes)} dense · ${fmtInt(info.sparseBytes.sparse)} weights sparse` : fmtInt(info.after.bytes))}
          </tbody>
        </table>
        <div style={{ flex: '1 1 260px', minWidth: 0 }} data-testid="prune-bars">
          <BarSvg categories={bars.map((x) => x.layer)} series={[{ name: 'removed', colour: '#16a34a', values: bars.map((x) => x.sparsity) }]} height={150} max={100} yTick={(v) => `${v} %`}
            title={(layer, _s, v) => `${layer}: ${v.toFixed(1)} % ${filters ? 'of filters removed' : blocks ? 'of the block removed' : 'zeros'}`} />
          <div className="muted small">{filters ? 'Filters removed per layer' : blocks ? `Blocks removed: ${info.blocks.filter((b) => b.removed).map((b) => `${b.join} (${b.layers.join(', ')})`).join('; ')}` : 'Zeros per layer, counted on the weights'}{info.filters.length ? `; filters: ${info.filters.map((f) => `${f.producers.join('+')} ${f.before}→${f.after}`).join(', ')}` : ''}</div>
        </div>
      </div>
    </div>
  );
}
