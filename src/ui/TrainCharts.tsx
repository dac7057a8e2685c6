import { memo, useDeferredValue } from 'react';
import type { TrainRun } from '../state/train';
import { LineSvg } from './charts/SvgCharts';

const C = { loss: '#4f46e5', epoch: '#db2777', train: '#0d9488', test: '#d97706', agree: '#2563eb', lr: '#6b7185' } as const;

interface Point { step: number; loss: number; epochLoss?: number; train: number; test?: number; agree?: number; lr: number }

/** The run's reported steps, with each epoch's mean loss and test accuracy placed at the epoch's last step. */
function points(run: TrainRun): Point[] {
  const rows: Point[] = run.steps.map((s) => ({
    step: s.step, loss: s.loss, train: 100 * s.accuracy, lr: s.lr, ...(s.agreement === null ? {} : { agree: 100 * s.agreement }),
  }));
  for (const e of run.epochs) {
    const row = rows.find((r) => r.step === e.epoch * run.stepsPerEpoch);
    if (row) { row.epochLoss = e.trainLoss; row.test = 100 * e.testAccuracy; }
  }
  return rows;
}

const grid = { display: 'grid', gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gap: 12 } as const;
const caption = { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' } as const;

/** Live loss, accuracy / agreement and learning-rate curves of one run; new points draw in a transition, between frames. */
export function TrainCharts({ run }: { run: TrainRun }) {
  return <Charts run={useDeferredValue(run)} />;
}

/** The curves on a step axis that spans the whole run. */
const Charts = memo(function Charts({ run }: { run: TrainRun }) {
  const data = points(run);
  const distilling = run.teacher !== null;
  const common = { data, x: 'step' as const, height: 170, xDomain: [0, Math.max(1, run.totalSteps)] as [number, number], xLabel: 'step' };
  return (
    <div style={grid}>
      <figure className="chart" data-testid="train-chart-loss" data-points={data.length} style={{ margin: 0 }}>
        <figcaption className="muted small" style={caption}>Loss · {distilling ? 'α·T²·KL(teacher ‖ student) + (1−α)·CE' : 'cross-entropy on the labels'}</figcaption>
        <LineSvg<Point> {...common} yDomain={[0, 'auto']} yWidth={48}
          yTick={(v) => (Math.abs(v) < 1e4 ? String(+v.toFixed(2)) : v.toExponential(0))}
          lines={[
            { key: 'loss', name: distilling ? 'distillation loss' : 'train loss', colour: C.loss },
            { key: 'epochLoss', name: 'epoch mean', colour: C.epoch, dashed: true, dots: true },
          ]} />
      </figure>
      <figure className="chart" data-testid="train-chart-accuracy" data-points={data.length} style={{ margin: 0 }}>
        <figcaption className="muted small" style={caption} title={`train: each reported batch; test: the test samples after each epoch${distilling ? '; agreement: the share of the batch where student and teacher pick the same class' : ''}`}>
          Accuracy % · batch, test{distilling ? ', teacher agreement' : ''}
        </figcaption>
        <LineSvg<Point> {...common} yDomain={[0, 100]} yWidth={36} format={(v) => `${v.toFixed(2)} %`}
          lines={[
            { key: 'train', name: 'batch', colour: C.train },
            { key: 'test', name: 'test', colour: C.test, dots: true, strokeWidth: 2 },
            ...(distilling ? [{ key: 'agree' as const, name: 'agreement', colour: C.agree, dashed: true }] : []),
          ]} />
      </figure>
      <figure className="chart" data-testid="train-chart-lr" data-points={data.length} style={{ margin: 0 }}>
        <figcaption className="muted small" style={caption}>Learning rate</figcaption>
        <LineSvg<Point> {...common} yDomain={[0, 'auto']} yWidth={52} format={(v) => v.toExponential(3)}
          yTick={(v) => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e'))}
          lines={[{ key: 'lr', name: 'lr', colour: C.lr }]} />
      </figure>
    </div>
  );
});
