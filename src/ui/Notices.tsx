import { useStudio, dismissNotice } from '../state/store';

export function Notices() {
  const notices = useStudio((s) => s.notices);
  if (!notices.length) return null;
  return (
    <div className="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.level}`} role={n.level === 'error' ? 'alert' : 'status'} data-testid={`notice-${n.level}`}>
          <div><strong>{n.title}</strong><p>{n.message}</p></div>
          <button className="icon" aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
