/**
 * The typed message API between the page and the worker that owns the GPU device. Requests name a
 * method, its argument, its result and (for long jobs) its progress events; the worker also pushes
 * what changed on its own (a variant record, the running job, a notice), so the page never polls.
 */
import type { ImageSpec, SpecOverrides } from '../recipe/image-spec';
import type { ErrorInfo } from '../core/errors';
import type { DatasetRecord, Measurement, VariantRecord } from '../recipe/variant';
import type { EvaluateStep } from '../recipe/steps';
import type { DataRole, Preprocess } from '../recipe/vocabulary';
import type { PruneSpec } from '../compress/prune';
import type { Histogram } from '../compress/histogram';
import type { JobView } from './jobs';
import type { ProjectInfo } from './project-sink';
import type { RecipeReport } from './recipe-run';
import type { InterruptedJob, ProjectState, StorageSummary } from './project-db';
import type {
  DeviceSummary, ModelSummary, PrecisionLayer, PruneLayer, PruneProgress, PruneSensitivityOptions, PruneSensitivityResult,
  SearchProgress, SensitivityOptions, SensitivityResult, SparsityPicture, TrainProgress,
} from './types';
import type { LayerErrors } from './compare';

type IdxFiles = { images: Uint8Array; labels: Uint8Array; name: string; imagesName: string; labelsName: string };

/** Each request names its method, its argument, its result and (for long jobs) its progress events. */
export interface Methods {
  device: { arg: null; result: DeviceSummary; progress: never };
  /** The stored projects and the one to open (the last used), with what a reload cut off. */
  restore: { arg: { projectId?: string | null }; result: ProjectState | null; progress: never };
  listProjects: { arg: null; result: ProjectInfo[]; progress: never };
  deleteProject: { arg: { id: string }; result: null; progress: never };
  renameProject: { arg: { id: string; name: string }; result: ProjectInfo; progress: never };
  storage: { arg: null; result: StorageSummary; progress: never };
  /**
   * Files dropped or picked: models (the first starts a new project when asked) and IDX images +
   * labels, paired across drops. A file that fails is reported by name; the others still load.
   */
  openFiles: {
    arg: { files: { name: string; bytes: Uint8Array }[]; newProject: boolean };
    result: { records: VariantRecord[]; dataset: DatasetRecord | null; pending: { kind: 'images' | 'labels'; name: string } | null; errors: { file: string; message: string }[] };
    progress: never;
  };
  /** Adds a model file to the project (a new project when asked, or when none is open). */
  loadModel: { arg: { bytes: Uint8Array; fileName: string; newProject: boolean }; result: VariantRecord; progress: never };
  loadDataset: { arg: IdxFiles & { role: DataRole }; result: DatasetRecord; progress: never };
  /** The same, fetched by the worker (the bundled sets: megabytes the page's main thread never holds). */
  loadDatasetUrl: { arg: { role: DataRole; images: string; labels: string; name: string; imagesName: string; labelsName: string }; result: DatasetRecord; progress: never };
  /**
   * Labelled images (a dropped folder's files with their paths, a zip, a manifest and its images,
   * CIFAR batches, arrays) decoded in the worker to fit the project's first model.
   */
  loadImages: { arg: { role: DataRole; files: { path: string; file: Blob }[]; name: string; spec?: SpecOverrides; limit?: number; classNames?: string[] }; result: DatasetRecord; progress: never };
  /** Each preset tried on the first items of the loaded test images: accuracy per preset, best first. */
  tryPresets: { arg: { id: string; samples?: number }; result: { preset: string; spec: ImageSpec; accuracy: number; samples: number }[]; progress: never };
  /** A model file fetched by the worker and opened as openFiles opens it. */
  openUrl: { arg: { url: string; fileName: string; newProject: boolean }; result: Methods['openFiles']['result']; progress: never };
  /** Applies a step (plain data, as a form built it) to a variant; optionally evaluates the result. */
  runStep: {
    arg: { step: unknown; inputId: string; preprocess: Preprocess; evaluate: EvaluateStep | null };
    result: { record: VariantRecord; measured: VariantRecord[] }; progress: TrainProgress | PruneProgress;
  };
  /** A recipe (its JSON text) run on a loaded file. */
  runRecipe: { arg: { recipe: string; rootId: string }; result: RecipeReport; progress: TrainProgress | PruneProgress };
  evaluate: { arg: { id: string; step: EvaluateStep; preprocess: Preprocess }; result: Measurement; progress: never };
  /** The variant as an ONNX file; its buffer is transferred, not copied. */
  exportVariant: { arg: { id: string; dynamicBatch?: boolean }; result: Uint8Array<ArrayBuffer>; progress: never };
  summary: { arg: { id: string }; result: ModelSummary; progress: never };
  updateVariant: { arg: { id: string; name?: string; notes?: string; tags?: string[] }; result: VariantRecord; progress: never };
  deleteVariants: { arg: { ids: string[] }; result: null; progress: never };
  weightHistogram: { arg: { layer: string; ids: string[] }; result: Histogram; progress: never };
  precisionLayers: { arg: { id: string }; result: PrecisionLayer[]; progress: never };
  sensitivity: { arg: { id: string; opts: SensitivityOptions }; result: SensitivityResult; progress: SearchProgress };
  pruneLayers: { arg: { id: string }; result: PruneLayer[]; progress: never };
  /** One layer's weights, with what `spec` would remove marked (null: its zeros as they are). */
  sparsityPicture: { arg: { id: string; layer: string; spec: PruneSpec | null }; result: SparsityPicture; progress: never };
  pruneSensitivity: { arg: { id: string; opts: PruneSensitivityOptions }; result: PruneSensitivityResult; progress: PruneProgress };
  /** Each aligned layer's output error of the variants against a baseline, on one batch of test items. */
  layerErrors: { arg: { ids: string[]; baselineId: string; preprocess: Preprocess }; result: LayerErrors; progress: never };
  /** Test items as pixels, for the grid of items where variants disagree. */
  testItems: { arg: { indices: number[] }; result: { itemShape: number[]; pixels: Uint8Array[] }; progress: never };
  pause: { arg: null; result: JobView; progress: never };
  /** Cancels the running job (only `jobId`, when it is still the one running). */
  cancelJob: { arg: { jobId?: number }; result: null; progress: never };
  resume: { arg: null; result: JobView | null; progress: never };
  /** The open project as one file (records, recipes, model and dataset bytes). */
  exportProject: { arg: null; result: Uint8Array<ArrayBuffer>; progress: never };
  importProject: { arg: { bytes: Uint8Array; fileName: string }; result: ProjectState; progress: never };
  /** Forgets an interrupted job (Restart runs its request again through the usual methods). */
  dismissInterrupted: { arg: { key: string }; result: null; progress: never };
  loseDevice: { arg: null; result: null; progress: never };
  /** Test hook: the next saves fail as a full disk would. */
  simulateQuota: { arg: { full: boolean }; result: null; progress: never };
}

export type Method = keyof Methods;
export type ProgressOf<M extends Method> = Methods[M]['progress'];

export type Request = { [M in Method]: { id: number; method: M; arg: Methods[M]['arg'] } }[Method] | { id: number; method: 'cancel'; arg: { target: number } };

/** What the worker says on its own. */
export type Push =
  | { type: 'deviceLost'; message: string }
  | { type: 'job'; job: JobView | null }
  | { type: 'record'; record: VariantRecord }
  | { type: 'removed'; ids: string[] }
  | { type: 'notice'; level: 'error' | 'warning' | 'info'; title: string; message: string }
  /** Another tab changed the stored projects. */
  | { type: 'storageChanged'; projectId: string | null };

export type Response =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: TrainProgress | PruneProgress | SearchProgress }
  | Push;

export type { InterruptedJob };
