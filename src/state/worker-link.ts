/**
 * The page's link to the worker: the client, evaluation (which every action that makes a variant
 * ends with), device refresh and error reporting. The action modules import this one, never each other.
 */
import type { StudioClient } from '../worker/client';
import { StudioError } from '../core/errors';
import { useStudio, pushNotice } from './store';
import type { EvalResult } from '../worker/types';

let client: StudioClient | null = null;

export function setStudioClient(c: StudioClient): void { client = c; }

/** The worker client, for the other action modules (null until WebGPU started). */
export function studioClient(): StudioClient | null { return client; }

export function report(title: string, e: unknown, cancelled = 'The evaluation was stopped; earlier results are kept.'): void {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof StudioError && e.kind === 'cancelled') { pushNotice('info', 'Cancelled', cancelled); return; }
  pushNotice('error', title, message);
}

export async function refreshDevice(): Promise<void> {
  if (!client) return;
  try { useStudio.setState({ device: await client.call('device', null) }); } catch (e) { report('WebGPU could not restart', e); }
}

/** Evaluates the current variant with the Evaluate card's settings; null when it failed or was cancelled. */
export async function evaluate(): Promise<EvalResult | null> {
  const s = useStudio.getState();
  if (!client || s.job) return null;
  let jobId = 0;
  const { id, done }: { id: number; done: Promise<EvalResult> } = client.start('evaluate', {
    preprocess: s.preprocess, limit: s.limit ?? undefined, batchSize: 64, latencyRuns: 20,
  }, (p) => useStudio.setState({ job: { id: jobId, ...p } }));
  jobId = id;
  useStudio.setState({ job: { id, phase: 'accuracy', done: 0, total: s.limit ?? s.dataset?.count ?? 0, correct: 0 } });
  try {
    const result = await done;
    useStudio.setState((st) => ({
      results: [...st.results, result],
      variants: st.variants.map((v) => (v.name === result.modelFile ? { ...v, eval: result } : v)),
    }));
    return result;
  } catch (e) {
    report('Evaluation stopped', e);
    return null;
  } finally {
    useStudio.setState({ job: null });
    void refreshDevice();
  }
}

export function cancelEvaluation(): void {
  const job = useStudio.getState().job;
  if (client && job) client.cancel(job.id);
}

/** Test hook: lose the GPU device as a driver reset would. */
export async function loseDevice(): Promise<void> {
  await client?.call('loseDevice', null);
}
