import { useStudio } from '../state/store';
import { cancelJob, pauseJob } from '../state/link';
import { dismissInterrupted, restartInterrupted } from '../state/actions';
import { fmtInt, fmtClock } from './format';

/**
 * The studio's one busy state: the job the worker runs (whatever card started it), its progress,
 * Pause where it means something, and Cancel. Controls that would start another job are disabled
 * with this reason while it runs. Below it, jobs a reload cut off, with Restart.
 */
export function JobBar() {
  const job = useStudio((s) => s.job);
  const preparing = useStudio((s) => s.preparing ?? (s.opening ? `Opening ${s.opening}` : null));
  const interrupted = useStudio((s) => s.interrupted);
  if (!job && !preparing && !interrupted.length) return null;
  const pct = job && job.total ? Math.min(100, Math.round((100 * job.done) / job.total)) : null;
  return (
    <div className="jobbar" data-testid="job-bar">
      {job ? (
        <div className="job" data-testid="job" data-kind={job.kind} data-stage={job.stage}>
          <div className="job-text">
            <b>{job.label}</b>
            <span className="muted"> · {job.paused ? 'paused' : job.stage}{job.total ? ` ${fmtInt(job.done)} / ${fmtInt(job.total)}` : ''}{pct !== null ? ` (${pct} %)` : ''}{job.detail ? ` · ${job.detail}` : ''}</span>
          </div>
          <div className="bar"><div style={{ width: `${pct ?? 100}%` }} className={pct === null ? 'indeterminate' : ''} /></div>
          {job.pausable && (job.paused
            ? <button className="small-btn" data-testid="job-resume" onClick={() => void pauseJob(false)}>Resume</button>
            : <button className="small-btn" data-testid="job-pause" onClick={() => void pauseJob(true)}>Pause</button>)}
          <button className="small-btn" data-testid="job-cancel" onClick={cancelJob}>Cancel</button>
        </div>
      ) : preparing ? (
        <div className="job" data-testid="job-preparing"><div className="job-text"><b>{preparing}…</b></div></div>
      ) : null}
      {interrupted.map((j) => (
        <div key={j.key} className="job interrupted" data-testid="interrupted">
          <div className="job-text"><b>Interrupted:</b> {j.label} <span className="muted">(started {fmtClock(j.startedAt)}; the page was reloaded or closed while it ran)</span></div>
          <button className="small-btn" data-testid="interrupted-restart" disabled={Boolean(job)} onClick={() => void restartInterrupted(j)}>Restart</button>
          <button className="small-btn" data-testid="interrupted-dismiss" onClick={() => void dismissInterrupted(j)}>Dismiss</button>
        </div>
      ))}
    </div>
  );
}
