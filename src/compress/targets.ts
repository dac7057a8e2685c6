/**
 * A step's target selector against a model: which of the layers a technique can touch it picks,
 * by op type, node name or name pattern, less the excluded ones. No selector picks every layer.
 */
import { RecipeError } from '../core/errors';
import type { Target } from '../recipe/steps';

export interface Candidate { name: string; opType: string }

/** The chosen names (null: no selector, so every candidate). Refuses names the model lacks and a selection that is empty. */
export function selectLayers(candidates: readonly Candidate[], target: Target | undefined, what: string): Set<string> | null {
  if (!target) return null;
  const names = candidates.map((c) => c.name);
  const unknown = [...(target.nodes ?? []), ...(target.exclude ?? [])].filter((n) => !names.includes(n));
  if (unknown.length) throw new RecipeError(`the target names ${unknown.map((n) => `'${n}'`).join(', ')}, which ${unknown.length > 1 ? 'are not layers' : 'is not a layer'} ${what} can take; those are ${names.join(', ') || 'none'}`);
  const patterns = (target.patterns ?? []).map((p) => new RegExp(p));
  const any = Boolean(target.ops?.length || target.nodes?.length || patterns.length);
  const chosen = candidates.filter((c) => (!any
    || target.ops?.includes(c.opType) || target.nodes?.includes(c.name) || patterns.some((p) => p.test(c.name)))
    && !target.exclude?.includes(c.name)).map((c) => c.name);
  if (!chosen.length) throw new RecipeError(`the target selects none of the layers ${what} can take (${names.join(', ') || 'none'})`);
  return new Set(chosen);
}
