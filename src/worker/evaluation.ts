/**
 * Evaluating variants inside the runtime's jobs: accuracy and latency on the loaded test set (kept
 * in the variant's history), latency alone for a model no loaded data fits, and a new variant's
 * family (its parent and root where they lack a measurement on the same terms).
 */
import type { InferenceSession } from '../engine/session';
import type { EvaluateStep } from '../recipe/steps';
import { latestMeasurement, type Measurement, type VariantRecord } from '../recipe/variant';
import type { Preprocess } from '../recipe/vocabulary';
import type { ProjectData } from './datasets';
import { preprocessingDoubt } from './doubt';
import type { JobHandle, JobRunner } from './jobs';
import { latencyFigures, measure } from './measure';
import type { ProjectKeeper } from './project-keeper';
import type { VariantStore } from './variant-store';

export interface EvaluationHost {
  jobs: JobRunner;
  data: ProjectData;
  variants: VariantStore;
  keeper: ProjectKeeper;
  sessionOf(id: string): Promise<InferenceSession>;
  notice(level: 'warning', title: string, message: string): void;
  record(r: VariantRecord): void;
}

export class VariantEvaluation {
  constructor(private readonly host: EvaluationHost) {}

  /** Evaluates a variant (any one, not only the selected) and keeps the measurement in its history. */
  async evaluate(id: string, step: EvaluateStep, preprocess: Preprocess, signal?: AbortSignal): Promise<Measurement> {
    const r = this.host.variants.record(id);
    return this.host.jobs.run({ kind: 'evaluate', label: `Evaluating ${r.name}`, variantId: id }, (job) => this.measureInJob(id, step, preprocess, job), signal);
  }

  /** Latency alone (no dataset; not kept as a measurement, which is keyed by one): for a model no loaded data fits. */
  async timeLatency(id: string, step: EvaluateStep, signal?: AbortSignal): Promise<Pick<Measurement, 'latency' | 'latencySkipped' | 'layers'>> {
    const r = this.host.variants.record(id);
    return this.host.jobs.run({ kind: 'evaluate', label: `Timing ${r.name}`, variantId: id }, async (job) => {
      const feed = await this.host.variants.feed(id);
      return latencyFigures(await this.host.sessionOf(id), step, feed.batching, job);
    }, signal);
  }

  /** Measures a variant inside the running job and keeps the result. */
  async measureInJob(id: string, step: EvaluateStep, preprocess: Preprocess, job: JobHandle): Promise<Measurement> {
    const { data, variants, keeper } = this.host;
    const test = data.need('test', 'Evaluation');
    const session = await this.host.sessionOf(id);
    const feed = await variants.feed(id);
    const m = await measure(session, test, step, preprocess, feed.batching, job);
    const doubt = preprocessingDoubt(m, test.record);
    if (doubt) this.host.notice('warning', 'The preprocessing may be wrong', doubt);
    const r = variants.update(id, { measurements: [...variants.record(id).measurements, m] });
    await keeper.saveVariant(r, undefined, `the measurement of '${r.name}'`);
    this.host.record(r);
    return m;
  }

  /** Evaluates a new variant, then its parent and root where they have no measurement on the same terms (deltas and agreement need them). */
  async family(id: string, step: EvaluateStep, preprocess: Preprocess, job: JobHandle): Promise<VariantRecord[]> {
    const { variants } = this.host;
    const m = await this.measureInJob(id, step, preprocess, job);
    const out = [variants.record(id)];
    const rec = variants.record(id);
    for (const other of new Set([rec.parentId, variants.root(id).id])) {
      if (!other || other === id) continue;
      if (latestMeasurement(variants.record(other), m.key)) continue;
      await this.measureInJob(other, step, preprocess, job);
      out.push(variants.record(other));
    }
    return out;
  }
}
