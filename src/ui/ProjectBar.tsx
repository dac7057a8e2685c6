import { useStudio, type View } from '../state/store';
import { openProject, setView } from '../state/actions';

const VIEWS: [View, string][] = [['workbench', 'Workbench'], ['dashboard', 'Dashboard'], ['storage', 'Storage']];

/** The open project (switch to another one) and the three views. */
export function ProjectBar() {
  const project = useStudio((s) => s.project);
  const projects = useStudio((s) => s.projects);
  const view = useStudio((s) => s.view);
  const count = useStudio((s) => s.records.length);
  return (
    <nav className="projectbar">
      <label className="project-pick" title="Each loaded file starts a project; every variant, measurement and recipe is kept with it in this browser">
        <span className="muted">Project</span>
        <select data-testid="project-select" value={project?.id ?? ''} onChange={(e) => void openProject(e.target.value)}>
          {!project && <option value="">—</option>}
          {projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
        <span className="muted small" data-testid="variant-count">{count} variant{count === 1 ? '' : 's'}</span>
      </label>
      <div className="tabs" role="tablist">
        {VIEWS.map(([v, label]) => (
          <button key={v} role="tab" aria-selected={view === v} className={view === v ? 'tab on' : 'tab'} data-testid={`view-${v}`} onClick={() => setView(v)}>{label}</button>
        ))}
      </div>
    </nav>
  );
}
