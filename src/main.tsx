// The entry evaluates React alone and paints a placeholder; the state (which starts the worker) and the
// studio's components arrive by dynamic import, each evaluated in a task of its own, so no single task
// on the main thread carries all of the page's code while it loads.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './ui/styles.css';

const root = createRoot(document.getElementById('root')!);
root.render(<p className="muted loading-view">Loading the studio…</p>);

void import('./state/actions').then(({ startStudio, loseDevice, simulateQuota }) => {
  void startStudio();
  // Hooks for end-to-end tests (simulating a driver reset, a full disk); harmless for users.
  (window as unknown as { __studio: unknown }).__studio = { loseDevice, simulateQuota };
  return import('./ui/App');
}).then(({ App }) => root.render(<StrictMode><App /></StrictMode>));

// The built studio works offline after the first visit and can be installed (scripts/offline-plugin.ts
// writes sw.js); the dev server has no service worker, so edits are never served stale.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => { void navigator.serviceWorker.register('/sw.js').catch(() => { /* offline use stays off; the studio works as before */ }); });
}
