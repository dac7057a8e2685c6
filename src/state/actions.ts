/**
 * Starting the studio and managing projects: restore the last project after a reload (or open the
 * bundled example on a first visit), open dropped files, switch, rename, delete, export and import
 * projects, and restart jobs a reload cut off.
 */
import { describeReport, describeSpec, pixelPreprocess, type SpecOverrides } from '../recipe/image-spec';
import { isImageDataPath, type DroppedFile } from './dropped';
import { createStudioClient, type StudioClient } from './worker-client';
import { warmStepSchemas } from './form-problems';
import { readsTrainingSet } from '../recipe/steps';
import { pushNotice, rootRecord, useStudio, type View } from './store';
import { DEFAULT_DATASET, DEFAULT_MODEL, DEFAULT_TEACHER } from './defaults';
import { loadPrecisionLayers } from './mixed';
import { absolute, applyStep, refreshDevice, rememberedSelection, report, select, setStudioClient, studioClient } from './link';
import type { ProjectState, InterruptedJob } from '../worker/project-db';

export { evaluateVariant, cancelJob, pauseJob, select } from './link';

const LAST_PROJECT_KEY = 'compression-studio:project';
const remember = (projectId: string) => { try { localStorage.setItem(LAST_PROJECT_KEY, projectId); } catch { /* storage off */ } };
const lastProject = () => { try { return localStorage.getItem(LAST_PROJECT_KEY); } catch { return null; } };

/**
 * Opening things (files, images, projects, the bundled example) happens one at a time, in the order
 * the user asked: a zip dropped while a model is still opening waits for the model's new project
 * rather than landing in the old one or being refused by the busy worker.
 */
let openingQueue: Promise<unknown> = Promise.resolve();
/** Image loads asked for and not yet finished: while any waits, a new project does not fetch the bundled MNIST set. */
let imageLoadsWaiting = 0;
function inTurn<T>(work: () => Promise<T>): Promise<T> {
  const turn = openingQueue.then(work, work);
  openingQueue = turn.catch(() => undefined);
  return turn;
}

export async function startStudio(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) { useStudio.setState({ webgpu: 'missing' }); return; }
  const client = createStudioClient();
  setStudioClient(client);
  try {
    useStudio.setState({ device: await client.call('device', null), webgpu: 'ready' });
  } catch (e) {
    useStudio.setState({ webgpu: 'failed' });
    report('WebGPU could not start', e);
    return;
  }
  // Ask the browser to keep the projects through storage pressure (it may say no; the Storage view shows which).
  void navigator.storage?.persist?.().catch(() => false);
  await inTurn(() => restoreOrDefaults(client));
  warmStepSchemas();
}

/** The project open before the reload, or the bundled example where there is none. */
async function restoreOrDefaults(client: StudioClient): Promise<void> {
  try {
    const restored = await client.call('restore', { projectId: lastProject() });
    if (restored) { await applyProject(restored); return; }
  } catch (e) {
    report('The saved projects could not be opened', e);
  }
  await loadDefaultsNow();
}

/** Shows a project the worker opened: its records, datasets, what a reload cut off, and the variant selected before. */
export async function applyProject(p: ProjectState): Promise<void> {
  remember(p.project.id);
  const remembered = rememberedSelection(p.project.id);
  const selectedId = p.records.some((r) => r.id === remembered) ? remembered : p.records.find((r) => !r.parentId)?.id ?? null;
  useStudio.setState({ project: p.project, projects: p.projects, records: p.records, datasets: p.datasets, interrupted: p.interrupted, selectedId, summary: null, sensitivity: null, presetTrial: null });
  if (p.datasets.test?.spec) useStudio.setState({ preprocess: pixelPreprocess(p.datasets.test.spec) });
  if (p.interrupted.length) {
    pushNotice('warning', 'A job was cut off', `${p.interrupted.map((j) => j.label).join('; ')}: the page was reloaded or closed while it ran. Restart it from the list under the job bar, or dismiss it.`);
  }
  if (selectedId) await select(selectedId);
  // The Prune card's state loads with the card (its own chunk): its layers come when it needs them.
  await Promise.all([loadPrecisionLayers(), import('./prune').then((m) => m.loadPruneLayers())]);
  if (!p.datasets.test && imageLoadsWaiting === 0) await loadBundledTestSet();
}

async function loadBundledTestSet(): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const [images, labels] = DEFAULT_DATASET.files.map((f) => absolute(f.url));
    const dataset = await client.call('loadDatasetUrl', {
      role: 'test', images: images!, labels: labels!, name: DEFAULT_DATASET.name, imagesName: DEFAULT_DATASET.files[0].name, labelsName: DEFAULT_DATASET.files[1].name,
    });
    useStudio.setState((s) => ({ datasets: { ...s.datasets, test: dataset } }));
  } catch (e) {
    report('The bundled MNIST test set could not be loaded', e);
  }
}

/** The bundled LeNet and the MNIST test set, so a newcomer sees the studio work at once. */
export function loadDefaults(): Promise<void> { return inTurn(loadDefaultsNow); }

async function loadDefaultsNow(): Promise<void> {
  try {
    // Opening it applies the new project, which loads the bundled test set when the project has none.
    await openFileBytes([], true, { url: absolute(DEFAULT_MODEL.url), fileName: DEFAULT_MODEL.name });
  } catch (e) {
    report('The bundled example could not be loaded', e);
  }
}

/** Loads the studio's own trained CNN as a new project (and so the teacher). */
export function loadDefaultTeacher(): Promise<void> {
  return inTurn(async () => {
    try {
      await openFileBytes([], true, { url: absolute(DEFAULT_TEACHER.url), fileName: DEFAULT_TEACHER.name });
    } catch (e) {
      report(`Could not load ${DEFAULT_TEACHER.name}`, e);
    }
  });
}

/**
 * Files dropped or picked (with their paths inside dropped folders): models (a new project, unless
 * the toggle says join this one), IDX images + labels (raw or .gz), and image data (class folders,
 * zips, manifests, CIFAR batches, arrays), which the worker decodes for the project's model.
 */
export function openFiles(files: (File | DroppedFile)[]): Promise<void> {
  const entries = files.map((f) => (f instanceof File ? { path: f.webkitRelativePath || f.name, file: f } : f));
  const data = entries.filter((e) => isImageDataPath(e.path));
  const rest = entries.filter((e) => !isImageDataPath(e.path));
  // The toggles as they were when the user dropped, not when the turn comes.
  const { newProjectPerFile, dropRole } = useStudio.getState();
  if (data.length) imageLoadsWaiting++;
  return inTurn(async () => {
    try {
      if (rest.length) {
        const read = await Promise.all(rest.map(async (e) => ({ name: e.file.name, bytes: new Uint8Array(await e.file.arrayBuffer()) })));
        await openFileBytes(read, newProjectPerFile);
      }
      if (data.length) await loadImageDataNow(data, dropRole);
    } finally {
      if (data.length) imageLoadsWaiting--;
    }
  });
}

/** The image data last loaded, kept so a different spec can read it again. */
let lastImageData: DroppedFile[] | null = null;

/** Decodes dropped image data in the worker as the project's test (or training) set; `spec` overrides the model's own (a preset, say). */
export function loadImageData(files: DroppedFile[], spec?: SpecOverrides): Promise<void> {
  const role = useStudio.getState().dropRole;
  imageLoadsWaiting++;
  return inTurn(() => loadImageDataNow(files, role, spec)).finally(() => { imageLoadsWaiting--; });
}

async function loadImageDataNow(files: DroppedFile[], role: 'test' | 'train', spec?: SpecOverrides): Promise<void> {
  const client = studioClient();
  if (!client) return;
  const top = files[0]!.path.split('/')[0]!;
  const name = files.length === 1 ? files[0]!.file.name : files.every((f) => f.path.startsWith(`${top}/`)) ? top : `${files.length} files`;
  const t0 = performance.now();
  useStudio.setState({ opening: name });
  try {
    const record = await client.call('loadImages', { role, files: files.map((f) => ({ path: f.path, file: f.file })), name, ...(spec ? { spec } : {}) });
    if (role === 'test') {
      lastImageData = files;
      useStudio.setState((s) => ({ datasets: { ...s.datasets, test: record }, sensitivity: null, presetTrial: null, imageImportMs: performance.now() - t0,
        ...(record.spec ? { preprocess: pixelPreprocess(record.spec) } : {}) }));
    } else {
      useStudio.setState((s) => ({ datasets: { ...s.datasets, train: record } }));
    }
    if (record.loadReport) pushNotice('info', `Loaded ${name} as the ${role === 'test' ? 'test' : 'training'} set`, `${describeReport(record.loadReport)}. Preprocessing: ${describeSpec(record.spec!)} (${record.spec!.origin}).`);
  } catch (e) {
    report(`Could not load ${name}`, e);
  } finally {
    useStudio.setState({ opening: null });
  }
}

/** Reads the last image data again with another preset (nothing else changes). */
export async function reloadImagesWith(spec: SpecOverrides): Promise<void> {
  if (lastImageData) await loadImageData(lastImageData, spec);
  else pushNotice('warning', 'Drop the images again', 'The images were loaded before this page was opened; drop them again to read them with another preset.');
}

/** Every preset tried on 200 test images with the selected variant. */
export async function tryPresets(id: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    useStudio.setState({ presetTrial: await client.call('tryPresets', { id, samples: 200 }) });
  } catch (e) {
    report('Could not try the presets', e);
  }
}

/** Opens dropped files, or (`fetched`) a file the worker fetches itself. */
async function openFileBytes(files: { name: string; bytes: Uint8Array<ArrayBuffer> }[], newProject: boolean, fetched?: { url: string; fileName: string }): Promise<void> {
  const client = studioClient();
  if (!client || (!files.length && !fetched)) return;
  const before = useStudio.getState().project?.id ?? null;
  const earlierNotices = new Set(useStudio.getState().notices.map((n) => n.id));
  useStudio.setState({ opening: fetched ? fetched.fileName : files.map((f) => f.name).join(', ') });
  try {
    const r = fetched ? await client.call('openUrl', { ...fetched, newProject })
      : await client.call('openFiles', { files, newProject }, files.map((f) => f.bytes.buffer));
    for (const e of r.errors) pushNotice('error', `Could not open ${e.file}`, e.message);
    useStudio.setState({ pendingIdx: r.pending });
    if (r.dataset) useStudio.setState((s) => ({ datasets: { ...s.datasets, test: r.dataset! }, sensitivity: null }));
    if (r.records.length) {
      const state = await client.call('restore', { projectId: r.records[0]!.projectId });
      if (state) {
        // A new file's project keeps the test set the page had (the worker stored it with the project).
        await applyProject(state);
        await select(r.records[0]!.id);
        // The old project's warnings go with it; what this opening said stays.
        if (state.project.id !== before) useStudio.setState((s) => ({ notices: s.notices.filter((n) => n.level === 'info' || !earlierNotices.has(n.id)) }));
      }
    }
    void refreshDevice(); // loading compiled the model's pipelines
  } catch (e) {
    report('Could not open the files', e);
  } finally {
    useStudio.setState({ opening: null });
  }
}

export function setPreprocess(p: ReturnType<typeof useStudio.getState>['preprocess']): void { useStudio.setState({ preprocess: p }); }
export function setLimit(limit: number | null): void { useStudio.setState({ limit }); }
export function setView(view: View): void { useStudio.setState({ view }); }

/** Opens another stored project. */
export function openProject(id: string): Promise<void> { return inTurn(() => openProjectNow(id)); }

async function openProjectNow(id: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const state = await client.call('restore', { projectId: id });
    if (state) await applyProject(state);
  } catch (e) {
    report('Could not open the project', e);
  }
}

export async function renameProject(id: string, name: string): Promise<void> {
  const client = studioClient();
  if (!client || !name.trim()) return;
  try {
    const p = await client.call('renameProject', { id, name: name.trim() });
    useStudio.setState((s) => ({ projects: s.projects.map((x) => (x.id === id ? p : x)), project: s.project?.id === id ? p : s.project }));
  } catch (e) { report('Could not rename the project', e); }
}

/** Deletes a stored project; deleting the open one opens the next (or the bundled example). */
export async function deleteProject(id: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    await client.call('deleteProject', { id });
    const projects = await client.call('listProjects', null);
    useStudio.setState({ projects });
    if (useStudio.getState().project?.id === id) {
      if (projects[0]) await openProject(projects[0].id);
      else { useStudio.setState({ project: null, records: [], selectedId: null, summary: null }); await loadDefaults(); }
    }
    await refreshStorage();
  } catch (e) { report('Could not delete the project', e); }
}

export async function refreshStorage(): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try { useStudio.setState({ storage: await client.call('storage', null) }); } catch (e) { report('Could not read the storage figures', e); }
}

/** Runs an interrupted job's request again and forgets the interrupted entry. */
export async function restartInterrupted(job: InterruptedJob): Promise<void> {
  const client = studioClient();
  if (!client) return;
  await dismissInterrupted(job);
  const req = job.request as { step: Record<string, unknown>; preprocess: ReturnType<typeof useStudio.getState>['preprocess'] };
  useStudio.setState({ preprocess: req.preprocess });
  if (readsTrainingSet(req.step) && !useStudio.getState().datasets.train) {
    const { ensureTrainingData } = await import('./train');
    try { await ensureTrainingData(); } catch (e) { report('Could not fetch the training set', e); return; }
  }
  await applyStep(req.step, job.inputId, job.label.toLowerCase());
}

export async function dismissInterrupted(job: InterruptedJob): Promise<void> {
  useStudio.setState((s) => ({ interrupted: s.interrupted.filter((j) => j.key !== job.key) }));
  try { await studioClient()?.call('dismissInterrupted', { key: job.key }); } catch { /* gone already */ }
}

/** The root (loaded file) of the selected variant, for cards that work on the file. */
export function selectedRoot() { return rootRecord(useStudio.getState()); }

/** Test hooks (end-to-end tests): lose the GPU device as a driver reset would; make the next saves fail as a full disk would. */
export async function loseDevice(): Promise<void> { await studioClient()?.call('loseDevice', null); }
export async function simulateQuota(full: boolean): Promise<void> { await studioClient()?.call('simulateQuota', { full }); }
