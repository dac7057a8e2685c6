/** The family as a tree: each loaded file, the steps made from it, and what each step made. Click to select. */
import { useStudio } from '../../state/store';
import { select } from '../../state/link';
import { latestMeasurement, type MeasurementKey, type VariantRecord } from '../../recipe/variant';
import { stepText } from '../../report/analysis';
import { TECHNIQUE_COLOURS } from '../../report/svg-chart';
import { fmtBytes, fmtPct } from '../format';

function Node({ r, records, keyOn, selected }: { r: VariantRecord; records: readonly VariantRecord[]; keyOn: MeasurementKey | null; selected: string | null }) {
  const children = records.filter((c) => c.parentId === r.id);
  const m = keyOn ? latestMeasurement(r, keyOn) : null;
  return (
    <li data-testid="tree-node" data-id={r.id} data-depth-children={children.length}>
      {r.step && <div className="tree-step small muted">{stepText(r)}</div>}
      <button className={`tree-variant ${r.id === selected ? 'current' : ''}`} onClick={() => void select(r.id)}>
        <span className="swatch" style={{ background: TECHNIQUE_COLOURS[r.technique] }} />
        <span className="mono">{r.name}</span>
        <span className="muted small"> · {fmtBytes(r.stats.weightBytes)}{m ? ` · ${fmtPct(m.top1)}` : ''}</span>
      </button>
      {children.length > 0 && <ul>{children.map((c) => <Node key={c.id} r={c} records={records} keyOn={keyOn} selected={selected} />)}</ul>}
    </li>
  );
}

export function FamilyTree({ records, keyOn }: { records: readonly VariantRecord[]; keyOn: MeasurementKey | null }) {
  const selected = useStudio((s) => s.selectedId);
  const ids = new Set(records.map((r) => r.id));
  // A variant whose parent was deleted would have no place in the tree: show it as a root.
  const roots = records.filter((r) => !r.parentId || !ids.has(r.parentId));
  return (
    <div className="card family" data-testid="family-tree">
      <h3>Family <span className="muted">· file → steps → variants</span></h3>
      <ul className="tree">{roots.map((r) => <Node key={r.id} r={r} records={records} keyOn={keyOn} selected={selected} />)}</ul>
    </div>
  );
}
