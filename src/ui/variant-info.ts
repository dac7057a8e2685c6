/** How a variant is described in the tables and charts: a short technique line from its step. */
import type { VariantRecord } from '../recipe/variant';
import { describeStep } from '../recipe/describe';
import { STRUCTURAL } from '../recipe/vocabulary';
import type { PrunedInfo } from '../worker/types';

/** 'fp32 original', 'int8 · per-channel · sym · minmax 256', 'pruned · filter 30 % · l1', … */
export function describe(r: VariantRecord): string {
  const s = r.step?.resolved;
  if (!s) return `fp32 loaded file${r.source ? ` (${r.source.fileName})` : ''}`;
  switch (s.kind) {
    case 'int8': return `int8 · ${s.perChannel ? 'per-channel' : 'per-tensor'} · ${s.symmetricWeights ? 'sym' : 'asym'} · ${s.activations === 'dynamic' ? 'dynamic' : `${s.calibration === 'percentile' ? `p${s.percentile}` : s.calibration} ${s.samples}`}`;
    case 'binary': return `binary · XNOR · ${s.keepFirstLast ? 'first/last fp32' : 'all layers'}${s.activationScale ? ' · β' : ''}`;
    case 'mixed': {
      const p = Object.values((r.details.precisions ?? {}) as Record<string, string>);
      const n = (k: string) => p.filter((x) => x === k).length;
      const parts = (['int8', 'binary', 'fp32'] as const).filter((k) => n(k)).map((k) => `${n(k)} ${k}`);
      return `${s.auto ? `auto ≤ ${s.auto.budget} pts` : 'mixed'} · ${parts.join(' · ')}`;
    }
    case 'prune': {
      const p = r.details.pruned as PrunedInfo | undefined;
      const amount = s.granularity === '2:4' ? '2:4' : s.granularity === 'block' && p ? `${p.blocks.filter((b) => b.removed).length} of ${p.blocks.length} blocks removed` : `${s.granularity} ${+(100 * s.sparsity).toFixed(1)} %`;
      return `pruned · ${amount} · ${s.criterion}${s.scope === 'global' && !STRUCTURAL.includes(s.granularity) ? ' · global' : ''}${s.finetuneEpochs ? ` · ${s.finetuneEpochs} ep fine-tuned${s.distill ? ' (distilled)' : ''}` : ''}`;
    }
    case 'train': case 'distill': {
      const t = r.details.trained as { student: string; outcome: string; samples: number } | undefined;
      const how = s.kind === 'distill' ? `distilled · T ${s.temperature} · α ${s.alpha}` : 'hard labels';
      const end = t?.outcome === 'cancelled' ? ' · cancelled' : t?.outcome === 'diverged' ? ' · diverged' : '';
      return `${r.technique === 'student' ? 'student' : `${r.technique} QAT student`} · ${t?.student ?? s.student} · ${how} · ${s.epochs} ep${end}`;
    }
    default: return describeStep(s);
  }
}
