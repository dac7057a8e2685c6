/**
 * Jobs on the image data a session loaded: every preset tried on the first test images (decoded
 * again from their source, kept here), and single images classified by a variant.
 */
import { DatasetError } from '../core/errors';
import { batchFor, checkFits } from '../data/dataset';
import { decodeImage } from '../data/decode';
import { imageDataset } from '../data/image-dataset';
import type { ItemSource } from '../data/sources';
import { evaluateAccuracy } from '../engine/evaluate';
import type { InferenceSession } from '../engine/session';
import { classNamesFromMetadata, pixelPreprocess, presetFor, PRESET_NAMES, resolveSpec, type ImageSpec, type SpecOverrides } from '../recipe/image-spec';
import type { DataRole } from '../recipe/vocabulary';
import type { StepHost } from './apply-step';
import type { JobRunner } from './jobs';
import { predictImages, type Prediction } from './predict';

export class ImageJobs {
  /** The image sources loaded this session, by role. */
  private readonly sources = new Map<DataRole, ItemSource>();

  constructor(
    private readonly host: StepHost,
    private readonly jobs: JobRunner,
    private readonly sessionOf: (id: string) => Promise<InferenceSession>,
  ) {}

  remember(role: DataRole, source: ItemSource): void { this.sources.set(role, source); }

  /**
   * Every preset (fitted to the variant's input) tried on the first `samples` items of the test
   * images as they came (decoded again from the source): accuracy per preset, best first, so a user
   * whose spec gives garbage sees which convention fits.
   */
  async tryPresets(id: string, samples = 200): Promise<{ preset: string; spec: ImageSpec; accuracy: number; samples: number }[]> {
    const kept = this.sources.get('test');
    if (!kept) throw new DatasetError('trying the presets needs image data loaded in this session (a folder, zip, manifest, CIFAR batches or arrays)');
    return this.jobs.run({ kind: 'evaluate', label: 'Trying the preprocessing presets', variantId: id }, async (job) => {
      const model = await this.host.variants.model(this.host.variants.root(id).id);
      const input = model.graph.inputs[0]!;
      const session = await this.sessionOf(id);
      const n = Math.min(samples, kept.count);
      const out = [];
      for (const [i, preset] of PRESET_NAMES.entries()) {
        job.progress({ stage: 'presets', done: i, total: PRESET_NAMES.length, detail: preset });
        const spec = presetFor(preset, input.shape);
        const { ds } = await imageDataset(kept, spec, preset, { limit: n, signal: job.signal });
        const layout = checkFits(ds, input.shape, input.name);
        const r = await evaluateAccuracy(session, (s0, k) => batchFor(ds, s0, k, pixelPreprocess(spec), input.shape, input.name), ds.count, layout.batch ?? 64, undefined, job.signal);
        out.push({ preset, spec, accuracy: r.accuracy, samples: r.samples });
      }
      return out.sort((a, b) => b.accuracy - a.accuracy);
    });
  }

  /**
   * The top `top` classes of each image file for a variant, its spec as loadImages would choose it
   * (`spec` over the model's metadata or its input shape), class names from `classNames`, else the
   * model's metadata, else the test set's.
   */
  async predict(id: string, files: { name: string; bytes: Uint8Array }[], opts: { spec?: SpecOverrides; top?: number; classNames?: string[] } = {}): Promise<{ spec: ImageSpec; predictions: Prediction[] }> {
    return this.jobs.run({ kind: 'evaluate', label: `Classifying ${files.length} image${files.length === 1 ? '' : 's'}`, variantId: id }, async () => {
      const model = await this.host.variants.model(this.host.variants.root(id).id);
      const spec = resolveSpec(opts.spec ?? {}, model.graph.inputs[0]!.shape, model.metadata);
      const images = [];
      for (const f of files) images.push({ name: f.name, pixels: await decodeImage(f.bytes, f.name) });
      const names = opts.classNames ?? classNamesFromMetadata(model.metadata) ?? this.host.data.get('test')?.record.classNames;
      return { spec, predictions: await predictImages(await this.sessionOf(id), images, spec, opts.top ?? 5, names) };
    });
  }
}
