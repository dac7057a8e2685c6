import { useState } from 'react';
import { busyReason, useStudio } from '../state/store';
import { evaluateVariant, select } from '../state/actions';
import { copyRecipe, deleteVariants, deletionOf, downloadRecipe, downloadVariant, editStep, updateVariant } from '../state/variants';
import { latencyAt, latestMeasurement, lineageOf, sameKey, type VariantRecord } from '../recipe/variant';
import { fmtInt, fmtBytes, fmtMs, fmtPct } from './format';
import { describe } from './variant-info';

/** The project's variants, the selected one marked: select, evaluate, rename, edit and run again, download, recipe, delete. */
export function VariantsCard() {
  const records = useStudio((s) => s.records);
  const selected = useStudio((s) => s.selectedId);
  const busy = useStudio((s) => busyReason(s));
  const dynamicBatch = useStudio((s) => s.exportDynamicBatch);
  if (!records.length) return null;
  const root = records.find((r) => r.id === selected) ? rootOf(records, selected!) : records.find((r) => !r.parentId)!;
  const batching = root.details.batching as { mode: string; note: string; fileBatch: number | null } | undefined;
  const canFree = batching?.mode === 'rebatched';
  return (
    <div className="card" data-testid="variants-card">
      <h3>Variants <span className="muted">· the loaded file and what was made from it; the Dashboard compares them</span></h3>
      <table className="layers variants" data-testid="variants-table">
        <thead>
          <tr>
            <th>Variant</th><th className="num">Weights</th><th className="num">Accuracy</th><th className="num">Δ accuracy</th>
            <th className="num">Batch 1</th><th className="num">Batch 64</th><th />
          </tr>
        </thead>
        <tbody>
          {records.map((r) => <VariantRow key={r.id} r={r} root={rootOf(records, r.id)} records={records} current={r.id === selected} busy={busy} />)}
        </tbody>
      </table>
      {records.length === 1 && <p className="muted small">Quantize, prune, train or distil (the cards below and on the left) to add a variant here.</p>}
      {batching && batching.mode !== 'dynamic' && (
        <label className="small" data-testid="export-dynamic-batch" title={canFree ? undefined : `This model ${batching.note}`}>
          <input type="checkbox" checked={dynamicBatch && canFree} disabled={!canFree}
            onChange={(e) => useStudio.setState({ exportDynamicBatch: e.target.checked })} />{' '}
          Downloads get a dynamic batch dim (the file fixes {batching.fileBatch ?? 'its batch'}; {canFree ? 'unchecked, downloads keep the file\'s own input signature' : 'it cannot be re-batched'})
        </label>
      )}
    </div>
  );
}

function rootOf(records: VariantRecord[], id: string): VariantRecord {
  let r = records.find((x) => x.id === id)!;
  for (let i = 0; r.parentId && i < records.length; i++) r = records.find((x) => x.id === r.parentId) ?? r;
  return r;
}

function VariantRow({ r, root, records, current, busy }: { r: VariantRecord; root: VariantRecord; records: VariantRecord[]; current: boolean; busy: string | null }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(r.name);
  const [annotating, setAnnotating] = useState(false);
  const m = latestMeasurement(r);
  const base = m ? latestMeasurement(root, m.key) : null;
  const isRoot = r.id === root.id;
  const delta = !isRoot && m && base && sameKey(m.key, base.key) ? 100 * (m.top1 - base.top1) : null;
  const ratio = root.stats.weightBytes / r.stats.weightBytes;
  const parent = records.find((x) => x.id === r.parentId);
  const steps = lineageOf(records, r.id).length - 1;
  const skipped64 = m?.latencySkipped.find((s) => s.batch === 64);
  const remove = () => {
    const ids = deletionOf(r.id);
    const names = ids.map((id) => records.find((x) => x.id === id)?.name).join(', ');
    if (window.confirm(ids.length > 1 ? `Delete ${r.name} and the ${ids.length - 1} variant(s) made from it (${names})?` : `Delete ${r.name}?`)) void deleteVariants(ids);
  };
  return (
    <>
      <tr data-testid="variant-row" data-variant={r.name} data-id={r.id} data-kind={r.technique} className={current ? 'current' : ''}>
        <td>
          {editing ? (
            <form className="rename" onSubmit={(e) => { e.preventDefault(); void updateVariant(r.id, { name }).then((ok) => ok && setEditing(false)); }}>
              <input value={name} autoFocus data-testid="v-name-input" onChange={(e) => setName(e.target.value)} />
              <button type="submit" className="small-btn">Save</button>
              <button type="button" className="small-btn" onClick={() => { setEditing(false); setName(r.name); }}>×</button>
            </form>
          ) : (
            <div className="mono vname" title={`${r.name} · id ${r.id}`} onDoubleClick={() => setEditing(true)}>{r.name}</div>
          )}
          <span className={`op kind-${r.technique}`}>{describe(r)}</span>
          {current && <span className="fused">selected</span>}
          {r.tags.map((t) => <span key={t} className="chip" data-testid="v-tag">{t}</span>)}
          {r.notes && <div className="muted small v-notes" data-testid="v-notes" title={r.notes}>{r.notes}</div>}
          {parent && (
            <div className="muted small" data-testid="v-lineage" data-steps={steps}>
              from <span className="mono">{parent.name}</span>{steps > 1 ? ` · ${steps} steps from the file` : ''}
            </div>
          )}
        </td>
        <td className="num" title={`layer weights (with int8 scales and zero points); file ${fmtBytes(r.stats.fileBytes)}`}>
          <div data-testid="v-weights">{fmtBytes(r.stats.weightBytes)}</div>
          <div className="muted small" data-testid="v-ratio" data-ratio={ratio.toFixed(3)}>{isRoot ? 'baseline' : `${ratio.toFixed(2)}× smaller`}</div>
        </td>
        <td className="num" data-testid="v-accuracy" data-accuracy={m ? (100 * m.top1).toFixed(4) : ''}>
          <div>{m ? fmtPct(m.top1) : '–'}</div>
          {m && <div className="muted small">{fmtInt(m.key.samples)} samples</div>}
        </td>
        <td className="num" data-testid="v-delta" title={!isRoot && m && !base ? 'the loaded file has no result on the same items, preprocessing and adapter' : undefined}>
          {isRoot ? <span className="muted">—</span> : delta === null ? <span className="muted">–</span>
            : <span className={delta < -1 ? 'bad' : ''}>{`${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)} pts`}</span>}
        </td>
        <td className="num" data-testid="v-b1">{fmtMs(latencyAt(m, 1)?.medianMs)}</td>
        <td className="num" data-testid="v-b64" title={skipped64 ? `the model ${skipped64.reason}` : latencyAt(m, 64)?.scaledFrom ? `run at batch ${latencyAt(m, 64)!.scaledFrom} and scaled to 64 to fit the time budget` : undefined}>{skipped64 ? 'n/a' : `${latencyAt(m, 64)?.scaledFrom ? '≈ ' : ''}${fmtMs(latencyAt(m, 64)?.medianMs)}`}</td>
        <td className="actions">
          <button data-testid="v-select" disabled={current} onClick={() => void select(r.id)}>{current ? 'Selected' : 'Select'}</button>
          <button data-testid="v-evaluate" disabled={Boolean(busy)} title={busy ?? 'Evaluate with the Evaluate card\'s settings, without selecting it'} onClick={() => void evaluateVariant(r.id)}>Evaluate</button>
          <button data-testid="v-download" data-format={r.stats.studioFormat ? 'studio' : 'onnx'}
            title={r.stats.studioFormat ? `Download ${r.name} in the studio's binary ONNX format: onnxruntime cannot run it; the studio re-imports it` : `Download ${r.name}`}
            onClick={() => void downloadVariant(r.id)}>⤓ .onnx{r.stats.studioFormat ? ' (studio)' : ''}</button>
          <details className="more">
            <summary data-testid="v-more">⋯</summary>
            {/* A chosen item closes the menu, which would otherwise cover the form it opens. */}
            <div className="menu" onClick={(e) => { if ((e.target as HTMLElement).closest('button')) (e.currentTarget.parentElement as HTMLDetailsElement).open = false; }}>
              <button data-testid="v-rename" onClick={() => setEditing(true)}>Rename</button>
              <button data-testid="v-annotate" onClick={() => setAnnotating(true)}>Notes and tags…</button>
              {r.step && <button data-testid="v-edit" disabled={Boolean(busy)} onClick={() => void editStep(r.id)}>Duplicate and edit…</button>}
              {r.step && <button data-testid="v-recipe-copy" onClick={() => void copyRecipe(r.id)}>Copy recipe</button>}
              {r.step && <button data-testid="v-recipe-download" onClick={() => void downloadRecipe(r.id)}>Download recipe</button>}
              <button data-testid="v-delete" disabled={Boolean(busy)} onClick={remove}>Delete…</button>
            </div>
          </details>
        </td>
      </tr>
      {annotating && <Annotate r={r} done={() => setAnnotating(false)} />}
      {r.stats.studioFormat && (
        <tr className="note format" data-testid="v-format-note">
          <td colSpan={7}>
            Studio binary format (<span className="mono">ai.compression-studio</span> XnorConv/XnorGemm, docs/binary-format.md):
            onnxruntime cannot run the downloaded file; drop it back on the studio to re-import it.
          </td>
        </tr>
      )}
    </>
  );
}

/** A variant's notes and tags (comma-separated), kept in its record and searched by the dashboard's filter. */
function Annotate({ r, done }: { r: VariantRecord; done: () => void }) {
  const [notes, setNotes] = useState(r.notes);
  const [tags, setTags] = useState(r.tags.join(', '));
  const save = async () => { if (await updateVariant(r.id, { notes, tags: tags.split(',') })) done(); };
  return (
    <tr className="note annotate" data-testid="v-annotate-form">
      <td colSpan={7}>
        <form className="row" onSubmit={(e) => { e.preventDefault(); void save(); }}>
          <label className="field" style={{ flex: 2 }}>Notes<textarea rows={2} value={notes} data-testid="v-notes-input" onChange={(e) => setNotes(e.target.value)} /></label>
          <label className="field" style={{ flex: 1 }}>Tags (comma-separated)<input value={tags} data-testid="v-tags-input" onChange={(e) => setTags(e.target.value)} /></label>
          <button type="submit" className="small-btn" data-testid="v-annotate-save">Save</button>
          <button type="button" className="small-btn" onClick={done}>Cancel</button>
        </form>
      </td>
    </tr>
  );
}
