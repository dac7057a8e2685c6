import { useRef, useState } from 'react';
import { busyReason, recordOf, useStudio } from '../state/store';
import { openFiles } from '../state/actions';
import { fmtShape } from './format';

export function DropZone() {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
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
        onDrop={(e) => { e.preventDefault(); setOver(false); void openFiles([...e.dataTransfer.files]); }}
        onClick={() => input.current?.click()}
        role="button"
        tabIndex={0}
        title={busy ?? undefined}
      >
        <div className="dz-icon">⇪</div>
        <div><strong>Drop an .onnx model</strong> and/or IDX images + labels (.gz too)</div>
        <div className="muted">or click to choose files</div>
        <input ref={input} type="file" multiple hidden data-testid="file-input"
          onChange={(e) => { void openFiles([...(e.target.files ?? [])]); e.target.value = ''; }} />
      </div>
      <label className="check small" title="Off: a dropped model joins the open project (a student file to distil into, say)">
        <input type="checkbox" checked={fresh} data-testid="new-project-per-file" onChange={(e) => useStudio.setState({ newProjectPerFile: e.target.checked })} />
        A dropped model starts a new project (the others stay in the project list)
      </label>
      <dl className="kv loaded">
        <dt>Model</dt>
        <dd data-testid="loaded-model">{opening ? `Opening ${opening}…` : selected ? (selected.source?.fileName ?? selected.name) : '—'}</dd>
        <dt>Dataset</dt>
        <dd data-testid="loaded-dataset">{dataset ? `${dataset.name}: ${dataset.count} × ${fmtShape(dataset.itemShape)}, ${dataset.classes} classes` : '—'}</dd>
      </dl>
      {pending && <p className="muted" data-testid="pending-idx">Got the {pending.kind} file {pending.name}; now drop the {pending.kind === 'images' ? 'labels' : 'images'} file.</p>}
    </div>
  );
}
