/**
 * The compressed variants the model bench runs beside each float model (`--compressed`): what a
 * user gets from the studio's defaults without data: int8 with dynamic activation ranges, XNOR
 * (first and last layers kept float), and filter pruning at 30 % and 50 % by L1 norm (no
 * fine-tuning: speed does not depend on the weights' values).
 */
import type { Model } from '../src/model/ir';
import { planInt8, DEFAULT_INT8_RECIPE } from '../src/compress/quantize-plan';
import { applyInt8 } from '../src/compress/quantize';
import { binarizeModel } from '../src/compress/binarize';
import { pruneFilters } from '../src/compress/prune-filters';
import { costOf } from '../src/compress/prune';
import { unshareConstants } from '../src/model/graph';
import { lowerBinary } from '../src/engine/ops-binary';
import type { CompressedName } from './types';

export interface CompressedVariant {
  name: CompressedName;
  /** The variant, or why it could not be made. */
  model: Model | null;
  error: string | null;
  /** FLOPs per item, dense (what the float model's figure is compared with). */
  flops: number | null;
}

const MAKERS: Record<CompressedName, (m: Model) => Model> = {
  'ours-int8': (m) => {
    const recipe = { ...DEFAULT_INT8_RECIPE, activations: 'dynamic' as const };
    return applyInt8(m, planInt8(m, recipe), {}, recipe);
  },
  'ours-xnor': (m) => binarizeModel(m),
  'ours-filter30': (m) => pruneFilters(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.3 }).model,
  'ours-filter50': (m) => pruneFilters(m, { granularity: 'filter', criterion: 'l1', sparsity: 0.5 }).model,
};

/** The variants of `file`, normalised as the studio's runtime loads a file (constants shared behind Identity nodes get one copy per use). */
export function compressedVariants(file: Model): CompressedVariant[] {
  const model = unshareConstants(file);
  return (Object.keys(MAKERS) as CompressedName[]).map((name) => {
    try {
      const m = MAKERS[name](model);
      // The binary format's custom ops are counted in the form the engine runs them.
      return { name, model: m, error: null, flops: costOf(lowerBinary(m)).flops };
    } catch (e) {
      return { name, model: null, error: e instanceof Error ? e.message : String(e), flops: null };
    }
  });
}
