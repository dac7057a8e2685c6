import { memo, useDeferredValue } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { TrainRun } from '../state/train';
import { Visible } from './Visible';

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
const axisTick = { fontSize: 11 };
const caption = { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' } as const;

/** Live loss, accuracy / agreement and learning-rate curves of one run; new points draw in a transition, between frames. */
export function TrainCharts({ run }: { run: TrainRun }) {
  return <Charts run={useDeferredValue(run)} />;
}

/** The curves on a step axis that spans the whole run. */
const Charts = memo(function Charts({ run }: { run: TrainRun }) {
  const totalSteps = run.totalSteps;
  const data = points(run);
  const distilling = run.teacher !== null;
  const x = <XAxis dataKey="step" type="number" domain={[0, Math.max(1, totalSteps)]} tick={axisTick} allowDecimals={false}
    label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />;
  const common = { data, margin: { top: 6, right: 16, bottom: 8, left: 0 } };
  return (
    <div style={grid}>
      <figure className="chart" data-testid="train-chart-loss" data-points={data.length} style={{ margin: 0 }}>
        <figcaption className="muted small" style={caption}>Loss · {distilling ? 'α·T²·KL(teacher ‖ student) + (1−α)·CE' : 'cross-entropy on the labels'}</figcaption>
        <Visible height={190}><ResponsiveContainer width="100%" height={190}>
          <LineChart {...common}>
            <CartesianGrid strokeDasharray="3 3" />
            {x}
            <YAxis tick={axisTick} width={48} domain={[0, 'auto']} tickFormatter={(v: number) => (Math.abs(v) < 1e4 ? String(+v.toFixed(2)) : v.toExponential(0))} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
            <Legend verticalAlign="top" height={22} iconSize={9} wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
            <Line name={distilling ? 'distillation loss' : 'train loss'} dataKey="loss" stroke={C.loss} dot={false} isAnimationActive={false} strokeWidth={1.5} />
            <Line name="epoch mean" dataKey="epochLoss" stroke={C.epoch} connectNulls dot={{ r: 3 }} isAnimationActive={false} strokeDasharray="4 3" />
          </LineChart>
        </ResponsiveContainer></Visible>
      </figure>
      <figure className="chart" data-testid="train-chart-accuracy" data-points={data.length} style={{ margin: 0 }}>
        <figcaption className="muted small" style={caption} title={`train: each reported batch; test: the test samples after each epoch${distilling ? '; agreement: the share of the batch where student and teacher pick the same class' : ''}`}>
          Accuracy % · batch, test{distilling ? ', teacher agreement' : ''}
        </figcaption>
        <Visible height={190}><ResponsiveContainer width="100%" height={190}>
          <LineChart {...common}>
            <CartesianGrid strokeDasharray="3 3" />
            {x}
            <YAxis tick={axisTick} width={36} domain={[0, 100]} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${v.toFixed(2)} %` : String(v))} />
            <Legend verticalAlign="top" height={22} iconSize={9} wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
            <Line name="batch" dataKey="train" stroke={C.train} dot={false} isAnimationActive={false} strokeWidth={1.5} />
            <Line name="test" dataKey="test" stroke={C.test} connectNulls dot={{ r: 3 }} isAnimationActive={false} strokeWidth={2} />
            {distilling && <Line name="agreement" dataKey="agree" stroke={C.agree} dot={false} isAnimationActive={false} strokeWidth={1.5} strokeDasharray="4 3" />}
          </LineChart>
        </ResponsiveContainer></Visible>
      </figure>
      <figure className="chart" data-testid="train-chart-lr" data-points={data.length} style={{ margin: 0 }}>
        <figcaption className="muted small" style={caption}>Learning rate</figcaption>
        <Visible height={190}><ResponsiveContainer width="100%" height={190}>
          <LineChart {...common}>
            <CartesianGrid strokeDasharray="3 3" />
            {x}
            <YAxis tick={axisTick} width={52} domain={[0, 'auto']} tickFormatter={(v: number) => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e'))} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toExponential(3) : String(v))} />
            <Legend verticalAlign="top" height={22} iconSize={9} wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
            <Line name="lr" dataKey="lr" stroke={C.lr} dot={false} isAnimationActive={false} strokeWidth={1.5} />
          </LineChart>
        </ResponsiveContainer></Visible>
      </figure>
    </div>
  );
});
