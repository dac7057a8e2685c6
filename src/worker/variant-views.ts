/**
 * What the page shows of a variant without changing it: its summary, a layer's weights, the layers
 * each technique can take, a sparsity picture, the sensitivity sweeps, test items as pixels. Any
 * variant, not only the selected one; the sweeps run as jobs.
 */
import { ModelError } from '../core/errors';
import type { InferenceSession } from '../engine/session';
import { sliceDataset } from '../data/dataset';
import { histogram, layerWeights, type Histogram } from '../compress/histogram';
import { binaryLayerWeights, precisionLayers, type PrecisionLayer } from '../compress/mixed-precision';
import { weightPicture, type PruneSpec } from '../compress/prune';
import type { JobRunner } from './jobs';
import type { StepHost } from './apply-step';
import { previewPicture, pruneLayerList, runPruneSensitivity } from './pruning';
import { summarise } from './summaries';
import type {
  ModelSummary, PruneLayer, PruneProgress, PruneSensitivityOptions, PruneSensitivityResult, SearchProgress, SensitivityOptions,
  SensitivityResult, SparsityPicture,
} from './types';

export class VariantViews {
  constructor(
    private readonly host: StepHost,
    private readonly jobs: JobRunner,
    /** The variant's session, cached by the runtime. */
    private readonly sessionOf: (id: string) => Promise<InferenceSession>,
  ) {}

  /** The model view's summary of any variant. */
  async summary(id: string): Promise<ModelSummary> {
    const r = this.host.variants.record(id);
    const session = await this.sessionOf(id);
    const feed = await this.host.variants.feed(id);
    return { ...summarise(await this.host.variants.model(id), `${r.name}.onnx`, session), batching: feed.batching, weightBytes: r.stats.weightBytes };
  }

  /** Histogram of one layer's weights in each of the variants (those that have it). */
  async weightHistogram(layer: string, ids: string[]): Promise<Histogram> {
    const named: { name: string; values: Float32Array }[] = [];
    for (const id of ids) {
      const model = await this.host.variants.model(id);
      const values = layerWeights(model, layer) ?? binaryLayerWeights(model, layer);
      const name = this.host.variants.record(id).name;
      if (values && !named.some((n) => n.name === name)) named.push({ name, values });
    }
    if (!named.length) throw new ModelError(`layer '${layer}' has no weights to show`);
    return histogram(named);
  }

  /** The Conv/Gemm layers of a variant's float model and which precisions each can take (with the reason where not). */
  async precisionLayers(id: string): Promise<PrecisionLayer[]> {
    return precisionLayers(await this.host.variants.model(this.host.variants.floatSource(id).id));
  }

  /** The prunable layers of a variant's float model (and the filter groups kept whole, with why). */
  async pruneLayers(id: string): Promise<PruneLayer[]> {
    return pruneLayerList(await this.host.variants.model(this.host.variants.floatSource(id).id));
  }

  /** A layer's weights with the pattern the spec would remove (nothing changes). */
  async sparsityPicture(id: string, layer: string, spec: PruneSpec | null): Promise<SparsityPicture> {
    const model = await this.host.variants.model(this.host.variants.floatSource(id).id);
    return spec ? previewPicture(model, layer, spec) : weightPicture(model, layer);
  }

  /**
   * How much accuracy each layer of a variant's float model costs alone: int8 (every candidate shares
   * one calibration) and, when asked, binary; on the first `samples` items.
   */
  async sensitivity(id: string, opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<SensitivityResult> {
    const source = this.host.variants.floatSource(id);
    const base = { model: await this.host.variants.model(source.id), name: source.id };
    this.host.mixed.check(base, opts);
    return this.jobs.run({ kind: 'sensitivity', label: `Measuring the sensitivity of ${source.name}`, variantId: source.id },
      (job) => this.host.mixed.sensitivity(base, opts, (p) => { job.progress({ stage: p.stage, done: p.done, total: p.total, detail: p.label }); onProgress?.(p); }, job.signal), signal);
  }

  /** Accuracy with each layer of a variant's float model pruned alone, at each level; cancellable. */
  async pruneSensitivity(id: string, opts: PruneSensitivityOptions, onProgress: (p: PruneProgress) => void = () => {}, signal?: AbortSignal): Promise<PruneSensitivityResult> {
    const source = this.host.variants.floatSource(id);
    const model = await this.host.variants.model(source.id);
    return this.jobs.run({ kind: 'prune-sensitivity', label: `Measuring the pruning sensitivity of ${source.name}`, variantId: source.id },
      (job) => runPruneSensitivity(this.host, source.name, model, opts, (p) => {
        if (p.phase === 'sensitivity') job.progress({ stage: 'sensitivity', done: p.done, total: p.total, detail: p.layer });
        onProgress(p);
      }, job.signal), signal);
  }


  /** The first `count` items of the test set as 0–255 pixels, for the pictures of disagreeing items. */
  testItems(indices: number[]): { itemShape: number[]; pixels: Uint8Array[] } {
    const test = this.host.data.need('test', 'Showing items');
    const size = test.ds.itemShape.reduce((a, b) => a * b, 1);
    return {
      itemShape: test.ds.itemShape,
      pixels: indices.map((i) => {
        const one = sliceDataset(test.ds, i).images.subarray(0, size);
        return one instanceof Uint8Array ? Uint8Array.from(one) : Uint8Array.from(one, (v) => Math.max(0, Math.min(255, Math.round(v))));
      }),
    };
  }
}
