/** Run a recipe (pasted, or a file) on the selected variant's loaded file, and read its report: every step, what it made, its goals. */
import { useRef, useState } from 'react';
import { busyReason, useStudio } from '../../state/store';
import { runRecipeText, useDashboard } from '../../state/dashboard';
import { fmtPct } from '../format';

const EXAMPLE = `{
  "format": "compression-studio/recipe",
  "schemaVersion": 1,
  "steps": [
    { "kind": "int8", "samples": 256 },
    { "kind": "evaluate", "samples": 1000, "latency": false }
  ]
}`;

export function RecipeRunner() {
  const [text, setText] = useState(EXAMPLE);
  const busy = useStudio((s) => busyReason(s));
  const report = useDashboard((d) => d.recipeReport);
  const records = useStudio((s) => s.records);
  const file = useRef<HTMLInputElement>(null);
  return (
    <div className="card recipe-runner" data-testid="recipe-runner">
      <h3>Run a recipe <span className="muted">· the same file <span className="mono">npm run cli -- run</span> takes</span></h3>
      <p className="muted small hint">
        A recipe is a list of steps as data (int8, binary, mixed, prune, train, distill, evaluate, export) that starts from the loaded file.
        Every variant offers its own (⋯ → Copy recipe); run it here or with the CLI to rebuild the same bytes. Goals in a step are checked at the end.
      </p>
      <textarea value={text} rows={8} spellCheck={false} data-testid="recipe-text" onChange={(e) => setText(e.target.value)} />
      <div className="row">
        <button className="primary" data-testid="recipe-run" disabled={Boolean(busy)} title={busy ?? undefined} onClick={() => void runRecipeText(text)}>Run recipe</button>
        <button data-testid="recipe-file" onClick={() => file.current?.click()}>Open a recipe file…</button>
        <input ref={file} type="file" hidden accept=".json,application/json"
          onChange={(e) => { const f = e.target.files?.[0]; if (f) void f.text().then(setText); e.target.value = ''; }} />
      </div>
      {report && (
        <div className="recipe-report" data-testid="recipe-report" data-goals={String(report.goalsMet)}>
          <b className="small">{report.recipe ?? 'Recipe'}: {report.steps.length} steps in {report.seconds.toFixed(0)} s</b>
          <ol className="small">
            {report.steps.map((s) => (
              <li key={s.index} data-testid="recipe-step" data-kind={s.kind} data-top1={s.measurement?.top1 ?? ''} data-samples={s.measurement?.key.samples ?? ''}>
                {s.description}
                {s.name && <> → <span className="mono">{records.find((r) => r.id === s.variantId)?.name ?? s.name}</span></>}
                {s.measurement && <> · {fmtPct(s.measurement.top1)}</>}
                {s.goals.map((g) => <div key={g.goal} className={g.met === false ? 'bad' : g.met ? 'good' : 'muted'}>goal {g.goal} ≤ {g.limit}: {g.met === null ? 'not measured' : g.met ? 'met' : 'missed'}{g.value !== null ? ` (${+g.value.toFixed(3)})` : ''}</div>)}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
