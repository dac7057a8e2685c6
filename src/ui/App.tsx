import { lazy, Suspense, useDeferredValue } from 'react';
import { useStudio } from '../state/store';
import { DeviceBadge } from './DeviceCard';
import { Notices } from './Notices';
import { NoWebGPU } from './NoWebGPU';
import { JobBar } from './JobBar';
import { ProjectBar } from './ProjectBar';
import { Workbench } from './Workbench';

// The dashboard and the storage view load when first opened: the workbench shows first, and fast.
const Dashboard = lazy(() => import('./dashboard/Dashboard'));
const StorageView = lazy(() => import('./StorageView'));

export function App() {
  const webgpu = useStudio((s) => s.webgpu);
  // A view switch renders in a transition (in slices), the tabs answering at once.
  const view = useDeferredValue(useStudio((s) => s.view));
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand"><span className="logo">◧</span> Compression Studio <span className="tag">WebGPU</span></div>
        {webgpu !== 'missing' && <ProjectBar />}
        <DeviceBadge />
      </header>
      <JobBar />
      <Notices />
      {webgpu === 'missing' ? <NoWebGPU /> : (
        <Suspense fallback={<p className="muted loading-view">Loading…</p>}>
          {view === 'workbench' ? <Workbench /> : view === 'dashboard' ? <Dashboard /> : <StorageView />}
        </Suspense>
      )}
    </div>
  );
}
