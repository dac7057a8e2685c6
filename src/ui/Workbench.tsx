import { lazy, Suspense } from 'react';
import { DropZone } from './DropZone';
import { EvaluatePanel } from './EvaluatePanel';
import { QuantizePanel } from './QuantizePanel';
import { DeviceCard } from './DeviceCard';
import { ResultsCard } from './ResultsCard';
import { VariantsCard } from './VariantsCard';
import { Later } from './Later';

// The cards with charts load just after the first paint: the page shows at once, and its main
// chunk stays free of the charting library (e2e/bundle.spec.ts holds it to a budget).
const TrainPanel = lazy(() => import('./TrainPanel').then((m) => ({ default: m.TrainPanel })));
const PrunePanel = lazy(() => import('./PrunePanel').then((m) => ({ default: m.PrunePanel })));
const MixedPrecisionCard = lazy(() => import('./MixedPrecisionCard').then((m) => ({ default: m.MixedPrecisionCard })));
const WeightsCard = lazy(() => import('./WeightsCard').then((m) => ({ default: m.WeightsCard })));
const ModelView = lazy(() => import('./ModelView').then((m) => ({ default: m.ModelView })));

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
        {[TrainPanel, PrunePanel, MixedPrecisionCard, WeightsCard, ModelView].map((Card, i) => (
          <Later key={i} order={i + 1}>
            <Suspense fallback={null}><Card /></Suspense>
          </Later>
        ))}
      </section>
    </main>
  );
}
