/**
 * A card's field problems from the one step schema (recipe/steps.ts): the card builds the step its
 * fields describe and shows each of the schema's refusals under the field it came from, so the page
 * refuses what the CLI and recipe files refuse, in the same words.
 */
import { stepProblems } from '../recipe/steps';

/** A number typed in a field: '0,5' reads as 0.5; an empty field is NaN (the schema says it must be a number). */
export const typed = (text: string): number => (text.trim() === '' ? NaN : Number(text.trim().replace(',', '.')));

/**
 * `fieldOf` maps a step setting to the card's field (settings without a field are the card's own
 * choices and cannot be wrong); `labels` names the fields as the card shows them.
 */
export function formProblems<F extends string>(step: Record<string, unknown>, fieldOf: Partial<Record<string, F>>, labels: Record<F, string>): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {};
  for (const [path, message] of Object.entries(stepProblems(step))) {
    const field = fieldOf[path] ?? fieldOf[path.split('.')[0]!];
    if (!field || out[field]) continue;
    const text = message.startsWith(`${path} `) ? message.slice(path.length + 1) : message;
    out[field] = `${labels[field]} ${text}.`.replace(/\.\.$/, '.');
  }
  return out;
}
