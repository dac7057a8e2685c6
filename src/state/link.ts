/**
 * The page's link to the worker: the client, what the worker pushes (records, the running job,
 * notices) folded into the store, error reporting, and the two calls every card ends with: apply a
 * step to a variant (then evaluate it) and evaluate a variant. The action modules import this one,
 * never each other.
 */
import { StudioError } from '../core/errors';
import { LATENCY_BUDGET_MS } from '../core/latency';
import type { Push } from '../worker/protocol';
import type { EvaluateStep } from '../recipe/steps';
import type { Measurement, VariantRecord } from '../recipe/variant';
import type { PruneProgress, TrainProgress } from '../worker/types';
import type { StudioClient } from './worker-client';
import { busyReason, pushNotice, useStudio } from './store';

let client: StudioClient | null = null;

export function setStudioClient(c: StudioClient): void {
  client = c;
  c.onPush = onPush;
}

/** The worker client, for the other action modules (null until WebGPU started). */
export function studioClient(): StudioClient | null { return client; }

/** An address the worker can fetch: absolute, since its own base is its script's. */
export const absolute = (url: string) => new URL(url, location.href).href;

export function report(title: string, e: unknown, cancelled = 'The job was stopped; everything made before is kept.'): void {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof StudioError && e.kind === 'cancelled') { pushNotice('info', 'Cancelled', cancelled); return; }
  pushNotice('error', title, message);
}

/** Adds or replaces a record (by id), keeping the order they were made in. */
export function upsertRecord(r: VariantRecord): void {
  useStudio.setState((s) => {
    const i = s.records.findIndex((x) => x.id === r.id);
    return { records: i < 0 ? [...s.records, r] : s.records.map((x, j) => (j === i ? r : x)) };
  });
}

function onPush(p: Push): void {
  switch (p.type) {
    case 'job': useStudio.setState({ job: p.job }); break;
    case 'record': upsertRecord(p.record); break;
    case 'removed': {
      useStudio.setState((s) => {
        const records = s.records.filter((r) => !p.ids.includes(r.id));
        const selectedId = s.selectedId && p.ids.includes(s.selectedId) ? records.find((r) => !r.parentId)?.id ?? null : s.selectedId;
        return { records, selectedId, summary: selectedId === s.selectedId ? s.summary : null };
      });
      break;
    }
    case 'notice': pushNotice(p.level, p.title, p.message); break;
    case 'deviceLost':
      pushNotice('warning', 'GPU device lost', `${p.message} The studio made a new device and will re-upload the model; your models, datasets and results are kept.`);
      void refreshDevice();
      break;
    case 'storageChanged':
      void client?.call('listProjects', null).then((projects) => useStudio.setState({ projects })).catch(() => {});
      break;
  }
}

export async function refreshDevice(): Promise<void> {
  if (!client) return;
  try { useStudio.setState({ device: await client.call('device', null) }); } catch (e) { report('WebGPU could not restart', e); }
}

/** The Evaluate card's settings as a step. */
export function evaluateStep(): EvaluateStep {
  const { limit } = useStudio.getState();
  return { kind: 'evaluate', ...(limit ? { samples: limit } : {}), batch: 64, runs: 20, latency: true, latencyBudgetMs: LATENCY_BUDGET_MS };
}

/** Refuses a new job while one runs, with the reason; true when it may start. */
export function mayStart(what: string): boolean {
  const reason = busyReason();
  if (reason) { pushNotice('error', `Cannot start ${what}`, reason); return false; }
  return Boolean(client);
}

/**
 * Applies a step (as a form built it) to a variant, then evaluates the result with the Evaluate
 * card's settings (and its parent and root where they have no result on those terms). The new
 * variant is selected. Resolves with it, or null when the step failed or was cancelled.
 */
export async function applyStep(step: unknown, inputId: string, what: string, onProgress?: (p: TrainProgress | PruneProgress) => void,
  cancelled?: string): Promise<VariantRecord | null> {
  if (!mayStart(what)) return null;
  const s = useStudio.getState();
  const evaluate = s.datasets.test ? evaluateStep() : null;
  try {
    const { done } = client!.start('runStep', { step, inputId, preprocess: s.preprocess, evaluate }, onProgress);
    const { record, measured } = await done;
    for (const r of [record, ...measured]) upsertRecord(r);
    await select(record.id);
    return record;
  } catch (e) {
    report(`${what[0]!.toUpperCase()}${what.slice(1)} failed`, e, cancelled);
    return null;
  } finally {
    void refreshDevice();
  }
}

/** Evaluates any variant (not only the selected one) with the Evaluate card's settings. */
export async function evaluateVariant(id: string): Promise<Measurement | null> {
  if (!mayStart('an evaluation')) return null;
  try {
    return await client!.call('evaluate', { id, step: evaluateStep(), preprocess: useStudio.getState().preprocess });
  } catch (e) {
    report('Evaluation stopped', e, 'The evaluation was stopped; earlier results are kept.');
    return null;
  } finally {
    void refreshDevice();
  }
}

const SELECTED_KEY = (projectId: string) => `compression-studio:selected:${projectId}`;

/** Makes a variant the selected one (remembered across reloads) and loads its summary for the model view. */
export async function select(id: string): Promise<void> {
  const project = useStudio.getState().project;
  useStudio.setState((s) => ({ selectedId: id, summary: s.summary?.fileName && s.selectedId === id ? s.summary : null, weights: null }));
  if (project) try { localStorage.setItem(SELECTED_KEY(project.id), id); } catch { /* storage off: the choice lasts this visit */ }
  if (!client) return;
  try {
    const summary = await client.call('summary', { id });
    if (useStudio.getState().selectedId === id) useStudio.setState({ summary });
  } catch (e) {
    report('Could not show the variant', e);
  }
}

export function rememberedSelection(projectId: string): string | null {
  try { return localStorage.getItem(SELECTED_KEY(projectId)); } catch { return null; }
}

/** Cancels the running job (the worker has one, whatever kind). */
export function cancelJob(): void {
  const job = useStudio.getState().job;
  if (client && job) void client.call('cancelJob', { jobId: job.id }).catch((e: unknown) => report('Could not cancel', e));
}

/** Holds the running job at its next pause point (training and fine-tuning), or lets it go on. */
export async function pauseJob(pause: boolean): Promise<void> {
  if (!client || !useStudio.getState().job) return;
  try { await client.call(pause ? 'pause' : 'resume', null); } catch (e) { report(pause ? 'Could not pause' : 'Could not resume', e); }
}
