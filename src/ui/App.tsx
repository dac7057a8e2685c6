import { useStudio } from '../state/store';
import { DeviceBadge, DeviceCard } from './DeviceCard';
import { DropZone } from './DropZone';
import { ModelView } from './ModelView';
import { EvaluatePanel } from './EvaluatePanel';
import { ResultsCard } from './ResultsCard';
import { QuantizePanel } from './QuantizePanel';
import { VariantsCard } from './VariantsCard';
import { WeightsCard } from './WeightsCard';
import { MixedPrecisionCard } from './MixedPrecisionCard';
import { TrainPanel } from './TrainPanel';
import { PrunePanel } from './PrunePanel';
import { Notices } from './Notices';
import { NoWebGPU } from './NoWebGPU';

export function App() {
  const webgpu = useStudio((s) => s.webgpu);
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand"><span className="logo">◧</span> Compression Studio <span className="tag">WebGPU</span></div>
        <DeviceBadge />
      </header>
      <Notices />
      {webgpu === 'missing' ? <NoWebGPU /> : (
        <main className="layout">
          <aside className="sidebar">
            <DropZone />
            <EvaluatePanel />
            <QuantizePanel />
            <DeviceCard />
          </aside>
          <section className="content">
            <ResultsCard />
            <VariantsCard />
            <TrainPanel />
            <PrunePanel />
            <MixedPrecisionCard />
            <WeightsCard />
            <ModelView />
          </section>
        </main>
      )}
    </div>
  );
}
