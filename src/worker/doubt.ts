/**
 * "Confident garbage" from a wrong preprocessing spec: most predictions in one class, or accuracy
 * near chance on image data. Said as a warning with what to try, never as an error (a model can
 * be that bad).
 */
import type { DatasetRecord, Measurement } from '../recipe/variant';

export function preprocessingDoubt(m: Measurement, data: DatasetRecord): string | null {
  if (!data.spec || m.predictions.length < 50) return null;
  const counts = new Map<number, number>();
  for (const p of m.predictions) counts.set(p, (counts.get(p) ?? 0) + 1);
  const [top, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const share = n / m.predictions.length;
  const classes = Math.max(data.classes, 2);
  const chance = 1 / classes;
  const name = data.classNames?.[top] ?? `class ${top}`;
  const fix = `The images were read with ${data.spec.origin ?? 'a spec'}; try the presets on 200 items (Evaluate → Try presets; CLI: --preset NAME) to see which fits.`;
  if (share >= 0.6 && share > 3 * chance) return `${Math.round(100 * share)} % of the predictions are '${name}'. ${fix}`;
  if (m.top1 <= 1.5 * chance) return `The accuracy (${(100 * m.top1).toFixed(1)} %) is near chance for ${classes} classes (${(100 * chance).toFixed(1)} %). ${fix}`;
  return null;
}
