import { useRef, useState } from 'react';
import { busyReason, recordOf, useStudio } from '../state/store';
import { openFiles, reloadImagesWith } from '../state/actions';
import { droppedFiles } from '../state/dropped';
import { describeSpec, PRESET_NAMES } from '../recipe/image-spec';
import { fmtShape } from './format';

export function DropZone() {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const importMs = useStudio((s) => s.imageImportMs);
  const dropRole = useStudio((s) => s.dropRole);
  const train = useStudio((s) => s.datasets.train);
  const selected = useStudio((s) => recordOf(s, s.selectedId));
  const opening = useStudio((s) => s.opening);
  const dataset = useStudio((s) => s.datasets.test);
  const pending = useStudio((s) => s.pendingIdx);
  const fresh = useStudio((s) => s.newProjectPerFile);
  const busy = useStudio((s) => busyReason(s));
  return (
    <div className="card">
      <div
        className={`dropzone ${over ? 'over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => { e.preventDefault(); setOver(false); void droppedFiles(e.dataTransfer).then(openFiles); }}
        onClick={() => input.current?.click()}
        role="button"
        tabIndex={0}
        title={busy ?? undefined}
      >
        <div className="dz-icon">⇪</div>
        <div><strong>Drop an .onnx model</strong> and/or its data: a folder of class folders, a .zip of one, a CSV manifest with its images, CIFAR batches, .npy/.npz, or IDX images + labels</div>
        <div className="muted">or click to choose files (<button type="button" className="link" data-testid="choose-folder" onClick={(e) => { e.stopPropagation(); folder.current?.click(); }}>a folder</button>)</div>
        <input ref={input} type="file" multiple hidden data-testid="file-input"
          onChange={(e) => { void openFiles([...(e.target.files ?? [])]); e.target.value = ''; }} />
        <input ref={folder} type="file" hidden data-testid="folder-input" {...{ webkitdirectory: '' }}
          onChange={(e) => { void openFiles([...(e.target.files ?? [])]); e.target.value = ''; }} />
      </div>
      <label className="field inline small">Dropped images are the
        <select value={dropRole} data-testid="drop-role" onChange={(e) => useStudio.setState({ dropRole: e.target.value as 'test' | 'train' })}>
          <option value="test">test set (evaluation, calibration)</option>
          <option value="train">training set (training, fine-tuning)</option>
        </select>
      </label>
      <label className="check small" title="Off: a dropped model joins the open project (a student file to distil into, say)">
        <input type="checkbox" checked={fresh} data-testid="new-project-per-file" onChange={(e) => useStudio.setState({ newProjectPerFile: e.target.checked })} />
        A dropped model starts a new project (the others stay in the project list)
      </label>
      <dl className="kv loaded">
        <dt>Model</dt>
        <dd data-testid="loaded-model">{opening ? `Opening ${opening}…` : selected ? (selected.source?.fileName ?? selected.name) : '—'}</dd>
        <dt>Dataset</dt>
        <dd data-testid="loaded-dataset">{dataset ? `${dataset.name}: ${dataset.count} × ${fmtShape(dataset.itemShape)}, ${dataset.classes} classes` : '—'}
          {dataset?.spec && importMs !== null && <span className="muted small" data-testid="import-time"> · read in {(importMs / 1000).toFixed(1)} s</span>}</dd>
        {train?.spec && <>
          <dt>Training</dt>
          <dd data-testid="loaded-train">{`${train.name}: ${train.count} × ${fmtShape(train.itemShape)}, ${train.classes} classes`}</dd>
        </>}
        {dataset?.spec && <>
          <dt>Images</dt>
          <dd data-testid="image-spec">{describeSpec(dataset.spec)} <span className="muted small">({dataset.spec.origin})</span>
            <label className="field inline">Read again as
              <select value="" data-testid="preset" disabled={Boolean(busy)} onChange={(e) => e.target.value && void reloadImagesWith({ preset: e.target.value })}>
                <option value="">preset…</option>
                {PRESET_NAMES.map((p) => <option key={p} value={p}>{p}</option>)}
              </select>
            </label>
          </dd>
        </>}
        {dataset?.classNames && <>
          <dt>Classes</dt>
          <dd data-testid="class-names" className="small">{dataset.classNames.map((c, i) => `${i} ${c}`).slice(0, 12).join(' · ')}{dataset.classNames.length > 12 ? ` · … (${dataset.classNames.length})` : ''}
            <span className="muted"> (output index and class; a classes.txt dropped with the images sets the order)</span></dd>
        </>}
      </dl>
      {pending && <p className="muted" data-testid="pending-idx">Got the {pending.kind} file {pending.name}; now drop the {pending.kind === 'images' ? 'labels' : 'images'} file.</p>}
    </div>
  );
}
