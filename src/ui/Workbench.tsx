import { DropZone } from './DropZone';
import { EvaluatePanel } from './EvaluatePanel';
import { QuantizePanel } from './QuantizePanel';
import { DeviceCard } from './DeviceCard';
import { ResultsCard } from './ResultsCard';
import { VariantsCard } from './VariantsCard';
import { TrainPanel } from './TrainPanel';
import { PrunePanel } from './PrunePanel';
import { MixedPrecisionCard } from './MixedPrecisionCard';
import { WeightsCard } from './WeightsCard';
import { ModelView } from './ModelView';

/** Where jobs are set up and run: files and settings on the left, the selected variant and the technique cards on the right. */
export function Workbench() {
  return (
    <main className="layout" data-testid="workbench">
      <aside className="sidebar">
        <DropZone />
        <EvaluatePanel />
        <QuantizePanel />
        <DeviceCard />
      </aside>
      <section className="content">
        <VariantsCard />
        <ResultsCard />
        <TrainPanel />
        <PrunePanel />
        <MixedPrecisionCard />
        <WeightsCard />
        <ModelView />
      </section>
    </main>
  );
}
