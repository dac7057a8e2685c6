/** Learning-rate schedules as text (`constant`, `cosine`, `step:EVERY:GAMMA`, `+warmup:N`), parsed without the trainer. */

/** Learning-rate schedules: constant, step decay, cosine to zero; each optionally after a linear warm-up. */
export type Schedule =
  | { kind: 'constant'; warmupSteps?: number }
  | { kind: 'step'; everySteps: number; gamma: number; warmupSteps?: number }
  | { kind: 'cosine'; warmupSteps?: number };

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
