/** Learning-rate schedules: constant, step decay, cosine to zero; each optionally after a linear warm-up. */
export type Schedule =
  | { kind: 'constant'; warmupSteps?: number }
  | { kind: 'step'; everySteps: number; gamma: number; warmupSteps?: number }
  | { kind: 'cosine'; warmupSteps?: number };

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

/** Parses `constant`, `cosine`, `step:EVERY:GAMMA`, each with an optional `+warmup:N` (CLI and page). */
export function parseSchedule(text: string): Schedule {
  const [main, warmPart] = text.split('+');
  const warmupSteps = warmPart ? Number(warmPart.replace(/^warmup:/, '')) : undefined;
  if (warmupSteps !== undefined && !(Number.isInteger(warmupSteps) && warmupSteps >= 0)) throw new Error(`warm-up '${warmPart}' must be 'warmup:N' with N a whole number of steps`);
  const [kind, a, b] = (main ?? '').split(':');
  if (kind === 'constant' || kind === 'cosine') return { kind, warmupSteps };
  if (kind === 'step') {
    const everySteps = Number(a), gamma = Number(b ?? 0.1);
    if (!(everySteps >= 1) || !(gamma > 0)) throw new Error(`'${main}': a step schedule is step:EVERY:GAMMA, e.g. step:500:0.1`);
    return { kind, everySteps, gamma, warmupSteps };
  }
  throw new Error(`unknown schedule '${text}': use constant, cosine or step:EVERY:GAMMA, optionally +warmup:N`);
}
