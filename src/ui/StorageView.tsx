/**
 * What this browser keeps: every project (its variants, the bytes its models and datasets take),
 * the site's storage use against its quota, whether the browser promised to keep it; open, rename,
 * delete projects, and export or import a project as one file.
 */
import { useEffect, useRef, useState } from 'react';
import { useStudio } from '../state/store';
import { deleteProject, openProject, refreshStorage, renameProject } from '../state/actions';
import { exportProjectFile, importProjectFile } from '../state/dashboard';
import { fmtBytes } from './format';

export default function StorageView() {
  const storage = useStudio((s) => s.storage);
  const project = useStudio((s) => s.project);
  const importer = useRef<HTMLInputElement>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [name, setName] = useState('');
  useEffect(() => { void refreshStorage(); }, [project?.id]);
  return (
    <main className="storage" data-testid="storage-view">
      <div className="card">
        <h3>Storage <span className="muted">· kept in this browser only; nothing leaves your machine</span></h3>
        {storage ? (
          <dl className="kv wide" data-testid="storage-usage">
            <dt>Used</dt><dd>{storage.usage !== null ? fmtBytes(storage.usage) : 'unknown'}{storage.quota !== null ? ` of ${fmtBytes(storage.quota)} (${((100 * (storage.usage ?? 0)) / storage.quota).toFixed(1)} %)` : ''}</dd>
            <dt>Models, data</dt><dd>{fmtBytes(storage.blobBytes)} (a file shared by projects counts once)</dd>
            <dt>Kept</dt><dd data-testid="storage-persisted">{storage.persisted ? 'persistent: the browser will not clear it to make room' : 'best effort: the browser may clear it when the disk fills (it declined to promise more)'}</dd>
          </dl>
        ) : <p className="muted">Reading the figures…</p>}
        <div className="row" style={{ marginTop: 10 }}>
          <button data-testid="storage-export" onClick={() => void exportProjectFile()}>Export the open project…</button>
          <button data-testid="storage-import" onClick={() => importer.current?.click()}>Import a project…</button>
          <input ref={importer} type="file" hidden accept=".zip,application/zip" onChange={(e) => { const f = e.target.files?.[0]; if (f) void importProjectFile(f).then(refreshStorage); e.target.value = ''; }} />
        </div>
      </div>
      <div className="card">
        <h3>Projects</h3>
        <table className="layers" data-testid="storage-projects">
          <thead><tr><th>Project</th><th className="num">Variants</th><th className="num">Stored</th><th /></tr></thead>
          <tbody>
            {(storage?.projects ?? []).map((p) => (
              <tr key={p.id} data-testid="storage-project" data-id={p.id} className={p.id === project?.id ? 'current' : ''}>
                <td>
                  {renaming === p.id ? (
                    <form onSubmit={(e) => { e.preventDefault(); void renameProject(p.id, name).then(() => { setRenaming(null); void refreshStorage(); }); }}>
                      <input value={name} autoFocus onChange={(e) => setName(e.target.value)} /> <button className="small-btn" type="submit">Save</button>
                    </form>
                  ) : <>{p.name}{p.id === project?.id && <span className="fused">open</span>}</>}
                </td>
                <td className="num">{p.variants}</td>
                <td className="num">{fmtBytes(p.bytes)}</td>
                <td className="actions">
                  <button className="small-btn" disabled={p.id === project?.id} onClick={() => void openProject(p.id)}>Open</button>
                  <button className="small-btn" onClick={() => { setRenaming(p.id); setName(p.name); }}>Rename</button>
                  <button className="small-btn" data-testid="storage-delete" onClick={() => {
                    if (window.confirm(`Delete the project '${p.name}' and its ${p.variants} variants from this browser? Export it first to keep a copy.`)) void deleteProject(p.id);
                  }}>Delete…</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">To delete single variants, use ⋯ → Delete in the Workbench's Variants table; a variant goes with those made from it.</p>
      </div>
    </main>
  );
}
