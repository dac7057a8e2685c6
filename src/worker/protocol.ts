/** The typed message API between the page and the worker that owns the GPU device. */
import type { ErrorInfo } from '../core/errors';
import type { Preprocess } from '../data/dataset';
import type {
  CalibrationProgress, DatasetSummary, DeviceSummary, EvalOptions, EvalProgress, EvalResult, Int8Recipe,
  ModelSummary, QuantizeResult, WeightHistogram,
} from './types';

/** Each request names its method, its argument, its result and (for long jobs) its progress events. */
export interface Methods {
  device: { arg: null; result: DeviceSummary; progress: never };
  loadModel: { arg: { bytes: Uint8Array; fileName: string }; result: ModelSummary; progress: never };
  loadDataset: { arg: { images: Uint8Array; labels: Uint8Array; name: string; imagesName: string; labelsName: string }; result: DatasetSummary; progress: never };
  evaluate: { arg: EvalOptions; result: EvalResult; progress: EvalProgress };
  /** int8 post-training quantization of the loaded file; the new variant becomes the current model. */
  quantize: { arg: { recipe: Int8Recipe; preprocess: Preprocess }; result: QuantizeResult; progress: CalibrationProgress };
  selectVariant: { arg: { name: string }; result: ModelSummary; progress: never };
  /** The variant as an ONNX file; its buffer is transferred, not copied. */
  exportVariant: { arg: { name: string }; result: Uint8Array<ArrayBuffer>; progress: never };
  weightHistogram: { arg: { layer: string }; result: WeightHistogram; progress: never };
  loseDevice: { arg: null; result: null; progress: never };
}

export type Method = keyof Methods;
export type ProgressOf<M extends Method> = Methods[M]['progress'];

export type Request = { [M in Method]: { id: number; method: M; arg: Methods[M]['arg'] } }[Method] | { id: number; method: 'cancel'; arg: { target: number } };

export type Response =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: EvalProgress | CalibrationProgress }
  | { type: 'deviceLost'; message: string };
