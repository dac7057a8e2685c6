import { useRef, useState } from 'react';
import { useStudio } from '../state/store';
import { openFiles } from '../state/actions';
import { fmtShape } from './format';

export function DropZone() {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const model = useStudio((s) => s.model);
  const loading = useStudio((s) => s.modelLoading);
  const dataset = useStudio((s) => s.dataset);
  const pending = useStudio((s) => s.pendingIdx);
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
      >
        <div className="dz-icon">⇪</div>
        <div><strong>Drop an .onnx model</strong> and/or IDX images + labels (.gz too)</div>
        <div className="muted">or click to choose files</div>
        <input ref={input} type="file" multiple hidden data-testid="file-input"
          onChange={(e) => { void openFiles([...(e.target.files ?? [])]); e.target.value = ''; }} />
      </div>
      <dl className="kv loaded">
        <dt>Model</dt>
        <dd data-testid="loaded-model">{loading ? `Loading ${loading}…` : model ? model.fileName : '—'}</dd>
        <dt>Dataset</dt>
        <dd data-testid="loaded-dataset">{dataset ? `${dataset.name}: ${dataset.count} × ${fmtShape(dataset.itemShape)}, ${dataset.classes} classes` : '—'}</dd>
      </dl>
      {pending && <p className="muted" data-testid="pending-idx">Got the {pending.kind} file {pending.name}; now drop the {pending.kind === 'images' ? 'labels' : 'images'} file.</p>}
    </div>
  );
}
