import { useState } from 'react';
import { CartesianGrid, LabelList, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useStudio } from '../state/store';
import { shortLabel, weightsOf } from './variant-info';

type Axis = 'size' | 'latency1' | 'latency64';

const AXES: Record<Axis, { label: string; unit: string }> = {
  size: { label: 'weights', unit: ' KiB' },
  latency1: { label: 'latency b1 (median)', unit: ' ms' },
  latency64: { label: 'latency b64 (median)', unit: ' ms' },
};

const COLORS = { original: '#4f46e5', int8: '#0d9488', binary: '#d97706', mixed: '#db2777', student: '#2563eb', pruned: '#16a34a' } as const;
const NAMES = { original: 'fp32 original', int8: 'int8', binary: 'binary', mixed: 'mixed', student: 'trained student', pruned: 'pruned' } as const;

/** Accuracy against size or latency, one point per evaluated variant; it grows as variants are made and evaluated. */
export function VariantsChart() {
  const variants = useStudio((s) => s.variants);
  const [axis, setAxis] = useState<Axis>('size');
  const points = variants.flatMap((v) => {
    if (!v.eval) return [];
    const lat = (b: number) => v.eval!.latency.find((l) => l.batch === b)?.medianMs ?? 0;
    const x = axis === 'size' ? weightsOf(v) / 1024 : lat(axis === 'latency1' ? 1 : 64);
    return [{ kind: v.kind, x: +x.toFixed(3), accuracy: +(100 * v.eval.accuracy).toFixed(2), label: v.kind === 'original' ? 'fp32' : shortLabel(v.name), name: v.name }];
  });
  if (!points.length) return <p className="muted small">Evaluate a variant to place it on the accuracy chart.</p>;
  const accs = points.map((p) => p.accuracy);
  // Pad below by a share of the spread, so a collapsed variant (binary at chance) sits off the axis.
  const lo = Math.min(...accs), hi = Math.max(...accs);
  const yDomain = [Math.max(0, Math.floor(lo - Math.max(1, 0.06 * (hi - lo)))), Math.min(100, Math.ceil(hi + 0.5))];
  const kinds = (['original', 'int8', 'binary', 'mixed', 'student', 'pruned'] as const).filter((k) => points.some((p) => p.kind === k));
  return (
    <div className="chart" data-testid="variants-chart">
      <div className="chart-head">
        <span className="muted small">Accuracy against</span>
        <select value={axis} data-testid="variants-axis" onChange={(e) => setAxis(e.target.value as Axis)}>
          <option value="size">weights size</option>
          <option value="latency1">latency, batch 1</option>
          <option value="latency64">latency, batch 64</option>
        </select>
      </div>
      <ResponsiveContainer width="100%" height={220}>
        <ScatterChart margin={{ top: 12, right: 72, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="x" type="number" name={AXES[axis].label} unit={AXES[axis].unit} domain={[0, 'auto']} tick={{ fontSize: 11 }}
            label={{ value: AXES[axis].label, position: 'insideBottom', offset: -8, fontSize: 11 }} />
          <YAxis dataKey="accuracy" type="number" name="accuracy" unit=" %" domain={yDomain} tick={{ fontSize: 11 }} width={56} />
          <Tooltip cursor={{ strokeDasharray: '3 3' }} />
          <Legend verticalAlign="top" height={24} iconSize={10} itemSorter={null} />
          {kinds.map((k) => (
            <Scatter key={k} name={NAMES[k]} data={points.filter((p) => p.kind === k)} fill={COLORS[k]} isAnimationActive={false}>
              <LabelList dataKey="label" position="right" fontSize={11} fill="#6b7185" />
            </Scatter>
          ))}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
