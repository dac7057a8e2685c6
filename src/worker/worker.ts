/// <reference lib="webworker" />
/**
 * The worker entry: owns the GPU device, the runtime and the stored projects (IndexedDB), answers
 * the page's requests, and pushes what changed (records, the running job, notices) as it happens.
 */
import { describeError, StorageError } from '../core/errors';
import { parseRecipe } from '../recipe/recipe';
import type { VariantRecord } from '../recipe/variant';
import { StudioRuntime } from './runtime';
import { runRecipe } from './recipe-run';
import { ProjectDb, type ProjectState } from './project-db';
import { readProjectFile, writeProjectFile, blobsOf, type ProjectDataset } from './project-file';
import { layerErrors } from './compare';
import { classifyDrop } from './files';
import type { Push, Request, Response } from './protocol';
import { setWebpLoader } from '../data/decode';
import webpWasmUrl from '@jsquash/webp/codec/dec/webp_dec.wasm?url';

// The WebP decoder's WebAssembly, fetched once on the first WebP image (Node reads the same file).
setWebpLoader(async () => WebAssembly.compileStreaming(fetch(webpWasmUrl)));

const post = (r: Response, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(r, transfer);
const push = (p: Push) => post(p);

/** IndexedDB can be missing (a private window in some browsers): the studio then works without saving, and says so. */
const dbReady: Promise<ProjectDb | null> = ProjectDb.open().catch((e: unknown) => {
  push({ type: 'notice', level: 'warning', title: 'Nothing will be saved', message: `This browser's storage is not available (${describeError(e).message}); variants live in this tab only.` });
  return null;
});
let db: ProjectDb | null = null;
const runtime = new StudioRuntime(undefined, {
  saveProject: async (p) => (await dbReady)?.saveProject(p),
  saveRecord: async (r) => (await dbReady)?.saveRecord(r),
  deleteRecords: async (p, ids) => (await dbReady)?.deleteRecords(p, ids),
  saveBlob: async (s, b) => (await dbReady)?.saveBlob(s, b),
  loadBlob: async (s) => (await dbReady)?.loadBlob(s) ?? null,
  saveDataset: async (p, role, rec, files) => (await dbReady)?.saveDataset(p, role, rec, files),
  jobStarted: async (j) => (await dbReady)?.jobStarted(j) ?? (async () => {}),
});
runtime.events = {
  record: (record) => push({ type: 'record', record }),
  removed: (ids) => push({ type: 'removed', ids }),
  job: (job) => push({ type: 'job', job }),
  notice: (level, title, message) => push({ type: 'notice', level, title, message }),
  deviceLost: (info) => push({ type: 'deviceLost', message: `The GPU device was lost (${info.reason}: ${info.message}).` }),
};
void dbReady.then((d) => {
  db = d;
  if (d) d.onChanged = (projectId) => void syncFromDb(projectId);
});

/** Another tab saved into the open project: take its new variants and measurements, and say when the project went away. */
async function syncFromDb(projectId: string | null): Promise<void> {
  const open = runtime.currentProject;
  if (!db || !open) return;
  push({ type: 'storageChanged', projectId });
  if (projectId !== open.id) return;
  if (!(await db.listProjects()).some((p) => p.id === open.id)) {
    push({ type: 'notice', level: 'warning', title: 'Project deleted in another tab', message: `'${open.name}' was deleted in another tab. Its variants stay in this tab until you reload; export the project to keep them.` });
    return;
  }
  for (const r of await db.records(open.id)) {
    if (!runtime.variants.has(r.id)) { runtime.variants.add(r, null); push({ type: 'record', record: r }); continue; }
    const mine = runtime.variants.record(r.id);
    const seen = new Set(mine.measurements.map((m) => m.at));
    const merged: VariantRecord = { ...mine, name: r.name, notes: r.notes, tags: r.tags, measurements: [...mine.measurements, ...r.measurements.filter((m) => !seen.has(m.at))].sort((a, b) => a.at - b.at) };
    if (JSON.stringify([merged.name, merged.notes, merged.tags, merged.measurements.length]) !== JSON.stringify([mine.name, mine.notes, mine.tags, mine.measurements.length])) {
      push({ type: 'record', record: runtime.variants.update(r.id, merged) });
    }
  }
}

/** Opens a stored project (the one asked, else the last used): records now, models when first needed. */
async function restore(projectId: string | null | undefined): Promise<ProjectState | null> {
  const d = await dbReady;
  if (!d) return null;
  const projects = await d.listProjects();
  const project = projects.find((p) => p.id === projectId) ?? projects[0];
  if (!project) return null;
  const records = await d.records(project.id);
  runtime.openProject(project, records);
  for (const ds of await d.datasets(project.id)) {
    const [images, labels] = await Promise.all([d.loadBlob(ds.images), d.loadBlob(ds.labels)]);
    if (!images || !labels) {
      push({ type: 'notice', level: 'warning', title: 'A dataset is missing', message: `The ${ds.role} set '${ds.record.name}' of this project is no longer stored; drop it again to evaluate.` });
      continue;
    }
    await runtime.datasets.restore(ds.role, images, labels, ds.record);
  }
  return { project, projects, records, datasets: runtime.data.records(), interrupted: await d.interrupted(project.id) };
}

/** The open project as one file: records, datasets and every blob they refer to. */
async function exportProject(): Promise<Uint8Array<ArrayBuffer>> {
  const project = runtime.currentProject;
  if (!project) throw new StorageError('no project is open to export');
  const records = runtime.records();
  const datasets: ProjectDataset[] = [];
  const blobs = new Map<string, Uint8Array>();
  const { sha256Hex } = await import('../core/hash');
  for (const role of ['test', 'train', 'calibration'] as const) {
    const d = runtime.data.get(role);
    if (!d) continue;
    const [images, labels] = await Promise.all([sha256Hex(d.files.images), sha256Hex(d.files.labels)]);
    blobs.set(images, d.files.images);
    blobs.set(labels, d.files.labels);
    datasets.push({ role, record: d.record, images, labels });
  }
  for (const sha of blobsOf(records, [])) {
    if (blobs.has(sha)) continue;
    const bytes = await runtime.blob(sha);
    if (!bytes) throw new StorageError(`a stored model (${sha.slice(0, 12)}…) of this project is missing, so the project cannot be exported whole`);
    blobs.set(sha, bytes);
  }
  return writeProjectFile({ project, records, datasets, blobs });
}

/** Imports a project file as a new project beside the others, and opens it. */
async function importProject(bytes: Uint8Array, fileName: string): Promise<ProjectState> {
  const file = await readProjectFile(bytes, fileName);
  const d = await dbReady;
  if (!d) throw new StorageError('this browser\'s storage is not available, so a project cannot be imported');
  runtime.jobs.refuseIfBusy('importing a project');
  const now = Date.now();
  const taken = new Set((await d.listProjects()).map((p) => p.id));
  const id = taken.has(file.project.id) ? `${file.project.id}-${now.toString(36)}` : file.project.id;
  const project = { ...file.project, id, name: taken.has(file.project.id) ? `${file.project.name} (imported)` : file.project.name, updatedAt: now };
  for (const [sha, b] of file.blobs) await d.saveBlob(sha, b);
  await d.saveProject(project);
  for (const r of file.records) await d.saveRecord({ ...r, projectId: id });
  for (const ds of file.datasets) await d.saveDataset(id, ds.role, ds.record, { images: file.blobs.get(ds.images)!, labels: file.blobs.get(ds.labels)! });
  return (await restore(id))!;
}

/** An IDX file waiting for its other half (images for labels, or the reverse). */
let pendingIdx: { kind: 'images' | 'labels'; name: string; bytes: Uint8Array } | null = null;

async function openFiles(files: { name: string; bytes: Uint8Array }[], newProject: boolean) {
  const errors: { file: string; message: string }[] = [];
  const records: VariantRecord[] = [];
  let dataset = null;
  let items: Awaited<ReturnType<typeof classifyDrop>> = [];
  for (const f of files) {
    try { items.push(...await classifyDrop([f])); } catch (e) { errors.push({ file: f.name, message: describeError(e).message }); }
  }
  items = [...items.filter((i) => i.kind === 'model'), ...items.filter((i) => i.kind !== 'model')];
  let fresh = newProject;
  for (const item of items) {
    if (item.kind !== 'model') {
      if (pendingIdx && pendingIdx.kind !== item.kind) {
        const [images, labels] = item.kind === 'images' ? [item, pendingIdx] : [pendingIdx, item];
        pendingIdx = null;
        try {
          dataset = await runtime.datasets.loadIdx('test', images.bytes, labels.bytes, `${images.name} + ${labels.name}`, images.name, labels.name);
        } catch (e) { errors.push({ file: `${images.name} + ${labels.name}`, message: describeError(e).message }); }
      } else pendingIdx = { kind: item.kind, name: item.name, bytes: item.bytes };
      continue;
    }
    try {
      records.push(await runtime.loadModel(item.bytes, item.name, { newProject: fresh }));
      fresh = false; // the other models of one drop join the project the first one started
    } catch (e) { errors.push({ file: item.name, message: describeError(e).message }); }
  }
  return { records, dataset, pending: pendingIdx ? { kind: pendingIdx.kind, name: pendingIdx.name } : null, errors };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new StorageError(`could not fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const jobs = new Map<number, AbortController>();

self.onmessage = async (ev: MessageEvent<Request>) => {
  const req = ev.data;
  if (req.method === 'cancel') { jobs.get(req.arg.target)?.abort(); return; }
  const abort = new AbortController();
  jobs.set(req.id, abort);
  const progress = (p: unknown) => post({ type: 'progress', id: req.id, progress: p as never });
  try {
    let result: unknown;
    const transfer: Transferable[] = [];
    const bytesResult = (bytes: Uint8Array) => {
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
      transfer.push(own.buffer as ArrayBuffer);
      return own;
    };
    switch (req.method) {
      case 'device': result = await runtime.deviceSummary(); break;
      case 'restore': result = await restore(req.arg.projectId); break;
      case 'listProjects': result = (await dbReady)?.listProjects() ?? []; result = await result; break;
      case 'deleteProject': {
        const d = await dbReady;
        if (runtime.currentProject?.id === req.arg.id) runtime.jobs.refuseIfBusy('deleting the open project');
        await d?.deleteProject(req.arg.id);
        result = null;
        break;
      }
      case 'renameProject': {
        const d = await dbReady;
        if (!d) throw new StorageError('storage is not available');
        result = await d.renameProject(req.arg.id, req.arg.name);
        if (runtime.currentProject?.id === req.arg.id) runtime.renameProject(req.arg.name);
        break;
      }
      case 'storage': {
        const d = await dbReady;
        if (!d) throw new StorageError('this browser\'s storage is not available');
        result = await d.summary();
        break;
      }
      case 'openFiles': result = await openFiles(req.arg.files, req.arg.newProject); break;
      case 'openUrl': result = await openFiles([{ name: req.arg.fileName, bytes: await fetchBytes(req.arg.url) }], req.arg.newProject); break;
      case 'loadDatasetUrl': {
        const a = req.arg;
        const [images, labels] = await Promise.all([fetchBytes(a.images), fetchBytes(a.labels)]);
        result = await runtime.datasets.loadIdx(a.role, images, labels, a.name, a.imagesName, a.labelsName);
        break;
      }
      case 'loadImages': {
        const a = req.arg;
        const files = a.files.map(({ path, file }) => ({ path, size: file.size, read: async () => new Uint8Array(await file.arrayBuffer()) }));
        result = await runtime.datasets.loadImages(a.role, files, a.name, { spec: a.spec, limit: a.limit, classNames: a.classNames });
        break;
      }
      case 'tryPresets': result = await runtime.images.tryPresets(req.arg.id, req.arg.samples); break;
      case 'loadModel': result = await runtime.loadModel(req.arg.bytes, req.arg.fileName, { newProject: req.arg.newProject }, abort.signal); break;
      case 'loadDataset': {
        const a = req.arg;
        result = await runtime.datasets.loadIdx(a.role, a.images, a.labels, a.name, a.imagesName, a.labelsName);
        break;
      }
      case 'runStep': {
        const a = req.arg;
        result = await runtime.runStep(a.step, a.inputId, { preprocess: a.preprocess, evaluate: a.evaluate, onTrain: progress }, abort.signal);
        break;
      }
      case 'runRecipe': {
        const report = await runRecipe(runtime, parseRecipe(req.arg.recipe), req.arg.rootId, { signal: abort.signal, onTrain: progress });
        for (const s of report.steps) if (s.file) transfer.push(s.file.bytes.buffer as ArrayBuffer);
        result = report;
        break;
      }
      case 'evaluate': result = await runtime.evaluation.evaluate(req.arg.id, req.arg.step, req.arg.preprocess, abort.signal); break;
      case 'exportVariant': result = bytesResult(await runtime.exportVariant(req.arg.id, { dynamicBatch: req.arg.dynamicBatch })); break;
      case 'summary': result = await runtime.views.summary(req.arg.id); break;
      case 'updateVariant': result = await runtime.updateVariant(req.arg.id, req.arg); break;
      case 'deleteVariants': await runtime.deleteVariants(req.arg.ids); result = null; break;
      case 'weightHistogram': result = await runtime.views.weightHistogram(req.arg.layer, req.arg.ids); break;
      case 'precisionLayers': result = await runtime.views.precisionLayers(req.arg.id); break;
      case 'sensitivity': result = await runtime.views.sensitivity(req.arg.id, req.arg.opts, progress, abort.signal); break;
      case 'pruneLayers': result = await runtime.views.pruneLayers(req.arg.id); break;
      case 'sparsityPicture': result = await runtime.views.sparsityPicture(req.arg.id, req.arg.layer, req.arg.spec); break;
      case 'pruneSensitivity': result = await runtime.views.pruneSensitivity(req.arg.id, req.arg.opts, progress, abort.signal); break;
      case 'layerErrors': {
        const a = req.arg;
        const test = runtime.data.need('test', 'Comparing layers');
        result = await runtime.jobs.run({ kind: 'compare', label: 'Comparing layer outputs' }, async () => layerErrors(await runtime.device(),
          await Promise.all(a.ids.map(async (id) => ({ id, model: await runtime.variants.model(id) }))), a.baselineId, test.ds, a.preprocess), abort.signal);
        break;
      }
      case 'testItems': result = runtime.views.testItems(req.arg.indices); break;
      case 'pause': result = runtime.pause(); break;
      case 'cancelJob': runtime.cancel(req.arg.jobId); result = null; break;
      case 'resume': result = runtime.resume(); break;
      case 'exportProject': result = bytesResult(await exportProject()); break;
      case 'importProject': result = await importProject(req.arg.bytes, req.arg.fileName); break;
      case 'dismissInterrupted': await (await dbReady)?.dismissJob(req.arg.key); result = null; break;
      case 'loseDevice': await runtime.loseDeviceForTest(); result = null; break;
      case 'simulateQuota': if (db) db.simulateFull = req.arg.full; result = null; break;
    }
    post({ type: 'result', id: req.id, result }, transfer);
  } catch (e) {
    post({ type: 'error', id: req.id, error: describeError(e) });
  } finally {
    jobs.delete(req.id);
  }
};
