/**
 * A card's field problems from the one step schema (recipe/steps.ts): the card builds the step its
 * fields describe and shows each of the schema's refusals under the field it came from, so the page
 * refuses what the CLI and recipe files refuse, in the same words.
 */
import { stepProblems, type StepKind } from '../recipe/steps';

/** A number typed in a field: '0,5' reads as 0.5; an empty field is NaN (the schema says it must be a number). */
export const typed = (text: string): number => (text.trim() === '' ? NaN : Number(text.trim().replace(',', '.')));

/**
 * `fieldOf` maps a step setting to the card's field (settings without a field are the card's own
 * choices and cannot be wrong); `labels` names the fields as the card shows them.
 */
export function formProblems<F extends string>(step: Record<string, unknown>, fieldOf: Partial<Record<string, F>>, labels: Record<F, string>): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {};
  for (const [path, message] of Object.entries(checked(step))) {
    const field = fieldOf[path] ?? fieldOf[path.split('.')[0]!];
    if (!field || out[field]) continue;
    const text = message.startsWith(`${path} `) ? message.slice(path.length + 1) : message;
    out[field] = `${labels[field]} ${text}.`.replace(/\.\.$/, '.');
  }
  return out;
}

// A card renders many times with the same fields (every job update): each step is checked once.
const seen = new Map<string, Record<string, string>>();
function checked(step: Record<string, unknown>): Record<string, string> {
  const key = JSON.stringify(step, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `#${v}` : v));
  let problems = seen.get(key);
  if (!problems) {
    problems = stepProblems(step);
    if (seen.size > 64) seen.clear();
    seen.set(key, problems);
  }
  return problems;
}

/**
 * A schema's first check builds it and sets up its parsers: tens of ms on a slow machine. The cards
 * skip the check while their fields hold the defaults (valid: their tests hold them to it), and this
 * does the first check of each card's kinds in idle time after load, one task each, so the first
 * keystroke in a card does not pay for it either.
 */
export function warmStepSchemas(kinds: readonly StepKind[] = ['distill', 'train', 'prune']): void {
  const idle = (f: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(f, { timeout: 5000 }) : setTimeout(f, 200));
  const next = (i: number) => { if (i < kinds.length) idle(() => { stepProblems({ kind: kinds[i] }); next(i + 1); }); };
  next(0);
}
