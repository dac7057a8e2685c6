/**
 * Loading the open project's datasets: IDX pairs and image data (class folders, zips, manifests,
 * CIFAR batches, arrays) decoded to fit the project's first model, each run as a job, checked
 * against the model, kept in ProjectData and stored with the project; and sets read back from
 * storage when a project reopens.
 */
import type { Model } from '../model/ir';
import { checkFits } from '../data/dataset';
import type { SourceFile } from '../data/sources';
import type { SpecOverrides } from '../recipe/image-spec';
import type { DatasetRecord } from '../recipe/variant';
import type { DataRole } from '../recipe/vocabulary';
import { dataFromIdx, dataFromImageFiles, type LoadedData, type ProjectData } from './datasets';
import type { ImageJobs } from './image-jobs';
import type { JobRunner } from './jobs';
import type { MixedPrecisionRuns } from './mixed-search';
import type { ProjectKeeper } from './project-keeper';

export interface ProjectDatasetsHost {
  jobs: JobRunner;
  data: ProjectData;
  keeper: ProjectKeeper;
  mixed: MixedPrecisionRuns;
  images: ImageJobs;
  /** The project's first loaded file, which its datasets are fitted to (null before any). */
  firstModel(): Promise<Model | null>;
}

export class ProjectDatasets {
  constructor(private readonly host: ProjectDatasetsHost) {}

  /** Loads an IDX (or .gz) images + labels pair as the project's test, training or calibration set. */
  async loadIdx(role: DataRole, images: Uint8Array, labels: Uint8Array, name: string, imagesName = 'images', labelsName = 'labels', opts: { checkFit?: boolean } = {}): Promise<DatasetRecord> {
    return this.host.jobs.run({ kind: 'dataset', label: `Loading ${name}` }, async () => {
      const d = await dataFromIdx(images, labels, name, imagesName, labelsName);
      return this.adopt(role, d, opts.checkFit !== false ? await this.host.firstModel() : null);
    });
  }

  /**
   * Labelled images (class folders, zips, a manifest, CIFAR batches, arrays) decoded to fit the
   * project's first model (or `inputShape`): the spec is the user's fields over a preset, the
   * model's metadata or a guess from its input (the record says which).
   */
  async loadImages(role: DataRole, files: SourceFile[], name: string, opts: { spec?: SpecOverrides; limit?: number; inputShape?: readonly (number | string)[]; classNames?: string[] } = {}): Promise<DatasetRecord> {
    return this.host.jobs.run({ kind: 'dataset', label: `Loading ${name}` }, async (job) => {
      const model = await this.host.firstModel();
      const { d, source } = await dataFromImageFiles(files, name, model, { ...opts, signal: job.signal, onProgress: (done, total) => job.progress({ done, total, stage: 'decoding' }) });
      const record = await this.adopt(role, d, model);
      this.host.images.remember(role, source);
      return record;
    });
  }

  /** A dataset from storage (a restored project), without the fit check or a job. */
  async restore(role: DataRole, images: Uint8Array, labels: Uint8Array, record: DatasetRecord): Promise<void> {
    const { spec, classNames, loadReport } = record;
    this.host.data.set(role, await dataFromIdx(images, labels, record.name, record.files[0], record.files[1], { spec, classNames, loadReport }));
  }

  /** Makes `d` the project's set of `role` and stores it; a test set that cannot feed `model` is refused now, not at Evaluate, and the old one stays. */
  private async adopt(role: DataRole, d: LoadedData, model: Model | null): Promise<DatasetRecord> {
    if (role === 'test' && model) {
      const input = model.graph.inputs[0]!;
      checkFits(d.ds, input.shape, input.name);
    }
    this.host.data.set(role, d);
    this.host.mixed.reset();
    await this.host.keeper.saveDataset(role, d);
    return d.record;
  }
}
