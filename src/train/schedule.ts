import type { Schedule } from '../recipe/lr-schedule';

export { parseSchedule, type Schedule } from '../recipe/lr-schedule';

/** The learning rate for step `step` (0-based) of `total`. */
export function learningRate(s: Schedule, base: number, step: number, total: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return base * (step + 1) / warm;
  switch (s.kind) {
    case 'constant': return base;
    case 'step': return base * s.gamma ** Math.floor((step - warm) / Math.max(1, s.everySteps));
    case 'cosine': {
      const span = Math.max(1, total - warm);
      return base * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (step - warm) / span)));
    }
  }
}

