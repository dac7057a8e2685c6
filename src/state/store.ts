/**
 * The studio's one store, in slices per concern (device, model, dataset, job, results, notices).
 * It holds plain serialisable summaries only; the GPU lives in the worker behind `client`.
 */
import { create } from 'zustand';
import type { DatasetSummary, DeviceSummary, EvalResult, ModelSummary } from '../worker/types';
import type { Preprocess } from '../data/dataset';

export interface Notice { id: number; level: 'error' | 'warning' | 'info'; title: string; message: string }

export interface JobState {
  id: number;
  phase: 'accuracy' | 'latency';
  done: number;
  total: number;
  correct: number;
}

export interface StudioState {
  webgpu: 'checking' | 'ready' | 'missing' | 'failed';
  device: DeviceSummary | null;
  model: ModelSummary | null;
  modelLoading: string | null;
  dataset: DatasetSummary | null;
  /** An images file waiting for its labels (or the reverse). */
  pendingIdx: { kind: 'images' | 'labels'; name: string } | null;
  preprocess: Preprocess;
  limit: number | null;
  job: JobState | null;
  results: EvalResult[];
  notices: Notice[];
}

export const initialState: StudioState = {
  webgpu: 'checking',
  device: null,
  model: null,
  modelLoading: null,
  dataset: null,
  pendingIdx: null,
  // MNIST's usual normalisation, which the bundled models were trained with.
  preprocess: { kind: 'normalize', mean: 0.1307, std: 0.3081 },
  limit: null,
  job: null,
  results: [],
  notices: [],
};

export const useStudio = create<StudioState>()(() => initialState);

let noticeId = 1;
export function pushNotice(level: Notice['level'], title: string, message: string): void {
  useStudio.setState((s) => ({ notices: [...s.notices.slice(-4), { id: noticeId++, level, title, message }] }));
}

export function dismissNotice(id: number): void {
  useStudio.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}
