import type { CSSProperties } from 'react';
import { busyReason, useStudio } from '../state/store';
import { useFocusCard } from './focus';
import {
  cancelTraining, currentProblems, eta, MNIST_TRAIN, pauseTraining, resumeTraining, setTrainInputs, startTraining, STUDENT_PRESETS, COLOUR_STUDENT_PRESETS,
  fittedCounts, proposedStudent, sampleCounts, teacherName, useTrain, type Field, type TrainInputs, type TrainJob, type TrainMode, type TrainRun,
} from '../state/train';
import { TrainCharts } from './TrainCharts';
import { loadDefaultTeacher } from '../state/actions';
import { DEFAULT_TEACHER } from '../state/defaults';
import { fmtPct } from './format';

/** The counts a proposal lowers, in words: ', 500 training and 500 test samples'. */
function countsNote(c: Partial<TrainInputs>): string {
  const counts = [c.trainSamples, c.testSamples].filter((n): n is string => Boolean(n));
  const parts = [c.trainSamples && `${c.trainSamples} training`, c.testSamples && `${c.testSamples} test`].filter(Boolean);
  return parts.length ? `, ${parts.join(' and ')} sample${counts.every((n) => n === '1') ? '' : 's'}` : '';
}

const grid = { display: 'grid', gridTemplateColumns: 'repeat(4, minmax(0, 1fr))', columnGap: 10 } as const;
const span2 = { gridColumn: 'span 2' } as const;
// As .field select, for a select that sits in a row beside its radio button.
const selectStyle = { flex: 1, minWidth: 0, font: 'inherit', color: 'var(--ink)', padding: '6px 8px', border: '1px solid var(--line)', borderRadius: 6, background: '#fff' } as const;

/**
 * Train & distil: a built-in student trained on the MNIST training set (or the loaded data), from
 * the teacher's softened outputs or from the labels alone, with live curves; the result is a variant.
 */
export function TrainPanel() {
  const inputs = useTrain((s) => s.inputs);
  const job = useTrain((s) => s.job);
  const run = useTrain((s) => s.run);
  const reason = useStudio((s) => busyReason(s));
  const otherJob = Boolean(reason) && !job;
  const variants = useStudio((s) => s.records);
  const dataset = useStudio((s) => s.datasets.test);
  const trainSet = useStudio((s) => s.datasets.train);
  const presets = (dataset?.spec?.input_size[0] ?? 1) === 3 ? COLOUR_STUDENT_PRESETS : STUDENT_PRESETS;
  const ready = useStudio((s) => Boolean(s.selectedId && s.datasets.test && s.webgpu === 'ready'));
  const focus = useFocusCard('train');
  // Reads the store's variants (teacher classes) and dataset (counts), which this card subscribes to above.
  const problems = currentProblems(inputs);
  const teacher = teacherName(inputs);
  const teacherRecord = variants.find((r) => r.name === teacher);
  const proposal = proposedStudent(inputs, teacherRecord ? { name: teacherRecord.name, classes: teacherRecord.stats.classes, inputShape: teacherRecord.stats.inputShape } : null);
  // A teacher that is not an MNIST model learns from the dropped data, unless a training set of its own was loaded.
  const proposedData: Partial<TrainInputs> = proposal && inputs.data === 'mnist-train' && !trainSet?.spec && dataset?.spec ? { data: 'loaded' } : {};
  // Taking it also lowers the sample counts to what that data holds (one dropped photo: one sample).
  const proposedInputs = proposal ? { ...inputs, student: proposal.student, ...proposedData } : inputs;
  const proposedCounts = proposal ? fittedCounts(proposedInputs, sampleCounts(proposedInputs)) : {};
  if (!variants.length) return null;
  const locked = Boolean(job) || otherJob;
  const other: TrainMode = inputs.mode === 'distil' ? 'hard' : 'distil';
  const set = (k: Field) => (e: { target: { value: string } }) => setTrainInputs({ [k]: e.target.value } as Partial<TrainInputs>);
  const text = (k: Field, label: string, extra: { style?: CSSProperties; disabled?: boolean; title?: string } = {}) => (
    <label className="field" style={extra.style} title={extra.title}>{label}
      <input type="text" inputMode="decimal" value={String(inputs[k])} data-testid={`train-${k}`} disabled={locked || extra.disabled}
        aria-invalid={Boolean(problems[k])} onChange={set(k)} />
    </label>
  );
  return (
    <div className={focus.className} ref={focus.ref} data-testid="train-card">
      <h3>Train &amp; distil <span className="muted">· a small student from the teacher's soft targets, or from the labels alone</span></h3>
      <p className="muted small hint">
        Knowledge distillation (Hinton 2015): a small student learns from a large teacher's temperature-softened outputs, which carry more than the labels
        (which wrong classes look alike). Expect a student distilled this way to make fewer test errors than the same student trained on labels alone;
        binary and int8 students are the teacher trained quantisation-aware, which recovers most of what post-training quantization loses.
      </p>
      <div style={grid}>
        <div style={span2}>
          <label className="field">Student
            <input type="text" list="train-presets" value={inputs.student} data-testid="train-student" disabled={locked}
              aria-invalid={Boolean(problems.student)} onChange={set('student')} spellCheck={false} />
            <datalist id="train-presets">
              {presets.map((p) => <option key={p} value={p} />)}
              {variants.filter((v) => v.technique !== 'mixed').map((v) => <option key={v.id} value={v.name}>variant: train it further</option>)}
            </datalist>
          </label>
          {proposal && !locked && (
            <p className="small" data-testid="train-proposal">
              {proposal.why}.{' '}
              <button className="small-btn" data-testid="train-use-proposal" onClick={() => setTrainInputs({ student: proposal.student, ...proposedData, ...proposedCounts })}>
                Use {proposal.student}, the teacher at half width{proposedData.data ? ', on the loaded data' : ''}{countsNote(proposedCounts)}
              </button>
            </p>
          )}
          <div className="toolbar" style={{ marginTop: -4, flexWrap: 'wrap' }}>
            <span className="muted small">Presets:</span>
            {presets.map((p) => (
              <button key={p} className="small-btn mono" data-testid="train-preset" disabled={locked} aria-pressed={inputs.student === p}
                onClick={() => setTrainInputs({ student: p })}>{p}</button>
            ))}
          </div>
        </div>
        <div style={{ ...span2, marginBottom: 8 }} role="radiogroup" aria-label="Targets">
          <div className="muted" style={{ fontSize: 12, marginBottom: 3 }}>Targets</div>
          <div className="row" style={{ alignItems: 'center', marginBottom: 6 }}>
            <label className="check" style={{ margin: 0, whiteSpace: 'nowrap' }}>
              <input type="radio" name="train-mode" checked={inputs.mode === 'distil'} data-testid="train-mode-distil" disabled={locked}
                onChange={() => setTrainInputs({ mode: 'distil' })} />
              Distil from
            </label>
            <select value={teacher ?? ''} data-testid="train-teacher" aria-label="teacher" disabled={locked || inputs.mode !== 'distil'} style={selectStyle}
              onChange={(e) => setTrainInputs({ teacher: e.target.value })}>
              {variants.map((v) => <option key={v.id} value={v.name}>{v.name}</option>)}
            </select>
          </div>
          {!variants.some((v) => v.source?.fileName === DEFAULT_TEACHER.name) && (
            <div className="muted small" style={{ marginBottom: 6 }}>
              <button className="small-btn" data-testid="train-load-teacher" disabled={locked} onClick={() => void loadDefaultTeacher()}
                title="Opens it as a new project; this project and its variants stay in the project list">
                Load the studio's default teacher
              </button>{' '}
              {DEFAULT_TEACHER.name}: a CNN trained by the studio itself (<span className="mono">npm run train:demo</span>)
            </div>
          )}
          <label className="check" style={{ margin: 0 }}>
            <input type="radio" name="train-mode" checked={inputs.mode === 'hard'} data-testid="train-mode-hard" disabled={locked}
              onChange={() => setTrainInputs({ mode: 'hard' })} />
            Hard labels only (no teacher): to see what distillation buys
          </label>
        </div>
        {text('temperature', 'Temperature T', { disabled: inputs.mode !== 'distil', title: 'softens both softmaxes; the KL term is scaled by T² to keep its gradients comparable' })}
        {text('alpha', 'α (teacher share)', { disabled: inputs.mode !== 'distil', title: 'weight of the soft-target term; 1 − α goes to the hard labels' })}
        {text('epochs', 'Epochs')}
        {text('batch', 'Batch')}
        {text('lr', 'Learning rate')}
        <label className="field">Optimizer
          <select value={inputs.optimizer} data-testid="train-optimizer" disabled={locked} onChange={(e) => setTrainInputs({ optimizer: e.target.value as TrainInputs['optimizer'] })}>
            <option value="adamw">AdamW</option>
            <option value="sgd">SGD, momentum 0.9</option>
          </select>
        </label>
        <label className="field" title="constant, cosine, or step:EVERY:GAMMA; add +warmup:N for a linear warm-up">LR schedule
          <input type="text" list="train-schedules" value={inputs.schedule} data-testid="train-schedule" disabled={locked}
            aria-invalid={Boolean(problems.schedule)} onChange={set('schedule')} spellCheck={false} />
          <datalist id="train-schedules">{['constant', 'cosine', 'cosine+warmup:20', 'step:100:0.5'].map((p) => <option key={p} value={p} />)}</datalist>
        </label>
        {text('seed', 'Seed')}
        <label className="field">Training data
          <select value={inputs.data} data-testid="train-data" disabled={locked} onChange={(e) => setTrainInputs({ data: e.target.value as TrainInputs['data'] })}>
            <option value="mnist-train">{trainSet?.spec ? `the training set (${trainSet.name})` : MNIST_TRAIN.name}</option>
            <option value="loaded" disabled={!dataset}>the loaded dataset{dataset ? ` (${dataset.name})` : ''}</option>
          </select>
        </label>
        {text('trainSamples', 'Training samples', { title: 'the first N items of the training data' })}
        {text('testSamples', 'Test samples', { title: 'items of the loaded dataset scored after each epoch' })}
      </div>
      {inputs.data === 'loaded' && <p className="field-error small" data-testid="train-same-data">Training on the loaded dataset: the test accuracy after each epoch is then measured on items the student has seen.</p>}
      {Object.entries(problems).map(([k, msg]) => <p key={k} className="field-error small" data-testid="train-problem" data-field={k}>{msg}</p>)}
      <div className="row" style={{ marginTop: 4 }}>
        <button className="primary" data-testid="train-start" disabled={!ready || locked} title={reason ?? undefined} onClick={() => void startTraining()}>
          {inputs.mode === 'distil' ? `Distil from ${teacher ?? 'the model'}` : 'Train on hard labels'}
        </button>
        <button data-testid="train-compare" disabled={!ready || locked}
          title={other === 'hard' ? 'The same student and settings without the teacher, to see what distillation bought' : 'The same student and settings, distilled from the teacher'}
          onClick={() => void startTraining(other)}>
          {other === 'hard' ? 'Same student, hard labels only' : 'Same student, distilled'}
        </button>
        {job?.status === 'paused' || job?.status === 'pausing'
          ? <button data-testid="train-resume" onClick={() => void resumeTraining()}>Resume</button>
          : <button data-testid="train-pause" disabled={!job || job.status !== 'running'} onClick={() => void pauseTraining()}>Pause</button>}
        <button data-testid="train-cancel" disabled={!job || job.status === 'evaluating' || job.status === 'stopping'} onClick={cancelTraining}>Cancel</button>
      </div>
      {job && <TrainProgressBar job={job} />}
      {run ? <RunView run={run} />
        : <p className="muted small" style={{ marginBottom: 0 }}>Loss, accuracy, agreement with the teacher and the learning rate are charted here while a student trains; the finished student joins the Variants table.</p>}
      <RunsTable />
    </div>
  );
}

const secs = (s: number) => (s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

function TrainProgressBar({ job }: { job: TrainJob }) {
  const pct = job.totalSteps ? Math.round((100 * job.step) / job.totalSteps) : 0;
  const left = eta(job);
  const where = `step ${job.step} / ${job.totalSteps}`;
  const text = {
    fetching: `Fetching the ${MNIST_TRAIN.name} (about 10 MB, once per page)…`,
    loading: 'Unpacking the training set in the worker…',
    preparing: 'Compiling the training kernels and uploading the training items…',
    running: `Training: ${where} · ${secs(job.elapsedMs / 1000)}${left !== null ? ` · about ${secs(left)} left` : ''}`,
    pausing: `Pausing after the current step (${where})…`,
    paused: `Paused at ${where}: Resume to go on, Cancel to keep the weights so far`,
    stopping: `Stopping at ${where}…`,
    evaluating: 'Evaluating the student with the Evaluate card\'s settings…',
  }[job.status];
  return (
    <div className="progress" data-testid="train-progress" data-status={job.status} data-step={job.step}>
      <div className="bar"><div style={{ width: `${job.status === 'evaluating' ? 100 : pct}%`, background: job.status === 'paused' ? 'var(--warn)' : undefined }} /></div>
      <span>{text}</span>
    </div>
  );
}

/** 0.1234 → '0.123'; a diverging 1.6e34 → '1.64e+34'. */
const fmtLoss = (x: number) => (Math.abs(x) < 1e4 ? x.toFixed(3) : x.toExponential(2));

function RunView({ run }: { run: TrainRun }) {
  const last = run.steps.at(-1);
  return (
    <div style={{ marginTop: 12 }} data-testid="train-run" data-outcome={run.outcome}>
      <div className="muted small" style={{ marginBottom: 6 }}>
        <b style={{ color: 'var(--ink)' }}>{run.label}</b>
        {(run.outcome === 'cancelled' || run.outcome === 'diverged' || run.outcome === 'failed') && <span className="bad"> · {run.outcome}{last ? ` at step ${last.step} of ${run.totalSteps}` : ''}</span>}
        {last && <> · loss {fmtLoss(last.loss)} · batch accuracy {fmtPct(last.accuracy)}{last.agreement !== null ? ` · agreement ${fmtPct(last.agreement)}` : ''}</>}
        {run.testAccuracy !== null && <> · test {fmtPct(run.testAccuracy)} after epoch {run.epochs.length}</>}
      </div>
      <TrainCharts run={run} />
    </div>
  );
}

/** Finished runs side by side; for a student trained both ways, what distillation bought. */
function RunsTable() {
  const history = useTrain((s) => s.history);
  if (!history.length) return null;
  const latest = (student: string, mode: TrainMode) => history.findLast((r) => r.student === student && r.mode === mode && r.outcome === 'finished' && r.testAccuracy !== null);
  const last = history.at(-1)!;
  const d = latest(last.student, 'distil'), h = latest(last.student, 'hard');
  return (
    <>
      <table className="layers" data-testid="train-runs" style={{ marginTop: 12 }}>
        <thead><tr><th>Student</th><th>Targets</th><th className="num">Epochs done</th><th className="num">Test accuracy</th><th>Outcome</th><th>Variant</th></tr></thead>
        <tbody>
          {history.map((r, i) => (
            <tr key={i} data-testid="train-run-row" data-mode={r.mode} data-outcome={r.outcome}>
              <td className="mono">{r.student}</td>
              <td>{r.teacher ? `distilled from ${r.teacher} · T ${r.temperature} · α ${r.alpha}` : 'hard labels'}</td>
              <td className="num">{r.epochs.length}</td>
              <td className="num">{r.testAccuracy !== null ? fmtPct(r.testAccuracy) : '–'}</td>
              <td>{r.outcome}</td>
              <td><div className="mono" style={{ maxWidth: 260, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={r.variant ?? ''}>{r.variant ?? '–'}</div></td>
            </tr>
          ))}
        </tbody>
      </table>
      {d && h && (
        <p className="small" data-testid="train-gain" style={{ margin: '8px 0 0' }}>
          Distillation for <span className="mono">{last.student}</span>: {fmtPct(d.testAccuracy!)} against {fmtPct(h.testAccuracy!)} on hard labels alone
          ({`${d.testAccuracy! >= h.testAccuracy! ? '+' : '−'}${Math.abs(100 * (d.testAccuracy! - h.testAccuracy!)).toFixed(2)} pts`}, each on its last epoch's test samples).
        </p>
      )}
    </>
  );
}
