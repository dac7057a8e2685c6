/** The typed message API between the page and the worker that owns the GPU device. */
import type { ErrorInfo } from '../core/errors';
import type { Preprocess } from '../data/dataset';
import type {
  AutoOptions, AutoResult, BinarizeResult, BinaryRecipe, CalibrationProgress, DatasetSummary, DeviceSummary, EvalOptions, EvalProgress,
  EvalResult, Int8Recipe, MixedResult, ModelSummary, Precision, PrecisionLayer, QuantizeResult, SearchProgress, SensitivityOptions,
  SensitivityResult, TrainJobResult, TrainOptions, TrainProgress, WeightHistogram,
  PruneJobResult, PruneLayer, PruneOptions, PruneProgress, PruneSensitivityOptions, PruneSensitivityResult, SparsityPicture,
} from './types';
import type { PruneSpec } from '../compress/prune';

/** Each request names its method, its argument, its result and (for long jobs) its progress events. */
export interface Methods {
  device: { arg: null; result: DeviceSummary; progress: never };
  loadModel: { arg: { bytes: Uint8Array; fileName: string }; result: ModelSummary; progress: never };
  loadDataset: { arg: { images: Uint8Array; labels: Uint8Array; name: string; imagesName: string; labelsName: string }; result: DatasetSummary; progress: never };
  evaluate: { arg: EvalOptions; result: EvalResult; progress: EvalProgress };
  /** int8 post-training quantization of the loaded file; the new variant becomes the current model. */
  quantize: { arg: { recipe: Int8Recipe; preprocess: Preprocess }; result: QuantizeResult; progress: CalibrationProgress };
  /** XNOR binarization of the loaded file (no data needed); the new variant becomes the current model. */
  binarize: { arg: { recipe: BinaryRecipe }; result: BinarizeResult; progress: never };
  /** The loaded file's Conv/Gemm layers and the precisions each can take. */
  precisionLayers: { arg: null; result: PrecisionLayer[]; progress: never };
  /** A variant with exactly these per-layer precisions (binary first, then int8 calibrated on the result). */
  quantizeMixed: {
    arg: { layers: Record<string, Precision>; recipe: Int8Recipe; activationScale: boolean; preprocess: Preprocess };
    result: MixedResult; progress: CalibrationProgress;
  };
  /** Accuracy with each layer alone compressed, on the first `samples` items; cancellable. */
  sensitivity: { arg: SensitivityOptions; result: SensitivityResult; progress: SearchProgress };
  /** The smallest fp32/int8/binary mix within an accuracy-drop budget, made a variant; cancellable. */
  autoMixed: { arg: AutoOptions; result: AutoResult; progress: SearchProgress };
  selectVariant: { arg: { name: string }; result: ModelSummary; progress: never };
  /** The variant as an ONNX file; its buffer is transferred, not copied. */
  exportVariant: { arg: { name: string; dynamicBatch?: boolean }; result: Uint8Array<ArrayBuffer>; progress: never };
  weightHistogram: { arg: { layer: string }; result: WeightHistogram; progress: never };
  loseDevice: { arg: null; result: null; progress: never };
  /** A training set for Train & distil (IDX or IDX.gz pair); kept beside the loaded (test) dataset. */
  loadTrainingData: { arg: { images: Uint8Array; labels: Uint8Array; name: string; imagesName: string; labelsName: string }; result: DatasetSummary; progress: never };
  /**
   * Trains (or distils) a student; the result is the new variant, made current. Cancel (the generic
   * 'cancel' message) keeps the weights so far; pause / resume hold the loop between steps.
   */
  train: { arg: TrainOptions; result: TrainJobResult; progress: TrainProgress };
  pauseTraining: { arg: null; result: { paused: boolean }; progress: never };
  /** The current variant's float model's prunable layers, with the filter groups kept whole and why. */
  pruneLayers: { arg: null; result: PruneLayer[]; progress: never };
  /** One layer's weights, with what `spec` would remove marked (null: its zeros as they are). */
  sparsityPicture: { arg: { layer: string; spec: PruneSpec | null }; result: SparsityPicture; progress: never };
  /** Prunes the current variant's float model (optionally fine-tuned); the result is the new variant, made current; cancellable. */
  prune: { arg: PruneOptions; result: PruneJobResult; progress: PruneProgress };
  /** Accuracy with each layer pruned alone at each level; cancellable. */
  pruneSensitivity: { arg: PruneSensitivityOptions; result: PruneSensitivityResult; progress: PruneProgress };
  resumeTraining: { arg: null; result: { paused: boolean }; progress: never };
}

export type Method = keyof Methods;
export type ProgressOf<M extends Method> = Methods[M]['progress'];

export type Request = { [M in Method]: { id: number; method: M; arg: Methods[M]['arg'] } }[Method] | { id: number; method: 'cancel'; arg: { target: number } };

export type Response =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: EvalProgress | CalibrationProgress | SearchProgress | TrainProgress | PruneProgress }
  | { type: 'deviceLost'; message: string };
