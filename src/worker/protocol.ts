/** The typed message API between the page and the worker that owns the GPU device. */
import type { ErrorInfo } from '../core/errors';
import type { AccuracyProgress } from '../engine/evaluate';
import type { DatasetSummary, DeviceSummary, EvalOptions, EvalResult, ModelSummary } from './types';

/** Each request names its method, its argument and its result type. */
export interface Methods {
  device: { arg: null; result: DeviceSummary };
  loadModel: { arg: { bytes: Uint8Array; fileName: string }; result: ModelSummary };
  loadDataset: { arg: { images: Uint8Array; labels: Uint8Array; name: string; imagesName: string; labelsName: string }; result: DatasetSummary };
  evaluate: { arg: EvalOptions; result: EvalResult };
  loseDevice: { arg: null; result: null };
}

export type Method = keyof Methods;

export type Request = { [M in Method]: { id: number; method: M; arg: Methods[M]['arg'] } }[Method] | { id: number; method: 'cancel'; arg: { target: number } };

export type Response =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: AccuracyProgress & { phase: 'accuracy' | 'latency' } }
  | { type: 'deviceLost'; message: string };
