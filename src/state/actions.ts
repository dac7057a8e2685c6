/** Actions that talk to the worker and record what comes back in the store. */
import { createStudioClient } from '../worker/client';
import { useStudio, pushNotice } from './store';
import type { Preprocess } from '../data/dataset';
import { classifyDrop, type DroppedFile } from './files';
import { DEFAULT_DATASET, DEFAULT_MODEL, DEFAULT_TEACHER } from './defaults';
import { loadPrecisionLayers } from './mixed';
import { refreshDevice, report, setStudioClient, studioClient } from './worker-link';

export { evaluate, cancelEvaluation, loseDevice } from './worker-link';

let pendingBytes: { images?: { bytes: Uint8Array; name: string }; labels?: { bytes: Uint8Array; name: string } } = {};

export async function startStudio(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) { useStudio.setState({ webgpu: 'missing' }); return; }
  const client = createStudioClient();
  setStudioClient(client);
  client.onDeviceLost = (message) => {
    pushNotice('warning', 'GPU device lost', `${message} The studio made a new device and will re-upload the model; your model, dataset and results are kept.`);
    void refreshDevice();
  };
  try {
    useStudio.setState({ device: await client.call('device', null), webgpu: 'ready' });
  } catch (e) {
    useStudio.setState({ webgpu: 'failed' });
    report('WebGPU could not start', e);
    return;
  }
  await loadDefaults();
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The bundled LeNet and the MNIST test set, so a newcomer sees the studio work at once. */
export async function loadDefaults(): Promise<void> {
  try {
    await loadModelBytes(await fetchBytes(DEFAULT_MODEL.url), DEFAULT_MODEL.name);
    const [images, labels] = await Promise.all(DEFAULT_DATASET.files.map((f) => fetchBytes(f.url)));
    await loadDatasetBytes(images!, DEFAULT_DATASET.files[0].name, labels!, DEFAULT_DATASET.files[1].name, DEFAULT_DATASET.name);
  } catch (e) {
    report('The bundled example could not be loaded', e);
  }
}

/** Loads the studio's own trained CNN as the model (and so the teacher); like any new file, it starts a new family of variants. */
export async function loadDefaultTeacher(): Promise<void> {
  try {
    await loadModelBytes(await fetchBytes(DEFAULT_TEACHER.url), DEFAULT_TEACHER.name);
  } catch (e) {
    report(`Could not load ${DEFAULT_TEACHER.name}`, e);
  }
}

async function loadModelBytes(bytes: Uint8Array, fileName: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  const running = useStudio.getState().quantizeJob ? 'A quantization' : useStudio.getState().searchJob ? 'A mixed-precision search' : null;
  if (running) {
    pushNotice('error', `Could not load ${fileName}`, `${running} is running: cancel it or let it finish, then load ${fileName} again.`);
    return;
  }
  useStudio.setState({ modelLoading: fileName });
  try {
    const model = await client.call('loadModel', { bytes, fileName });
    // A new file starts a new family of variants; results of the old ones stay in the history.
    // Notices about the previous model no longer apply once another one is loaded.
    useStudio.setState((s) => ({
      model, variants: [{ name: fileName, kind: 'original', summary: model }], currentVariant: fileName, weights: null,
      notices: s.notices.filter((n) => n.level === 'info'),
    }));
    void refreshDevice(); // loading compiled the model's pipelines
    await loadPrecisionLayers();
  } catch (e) {
    report(`Could not load ${fileName}`, e);
  } finally {
    useStudio.setState({ modelLoading: null });
  }
}

async function loadDatasetBytes(images: Uint8Array, imagesName: string, labels: Uint8Array, labelsName: string, name: string): Promise<void> {
  const client = studioClient();
  if (!client) return;
  try {
    const dataset = await client.call('loadDataset', { images, labels, name, imagesName, labelsName });
    // Sensitivities measured on the old data no longer apply.
    useStudio.setState({ dataset, pendingIdx: null, sensitivity: null });
  } catch (e) {
    useStudio.setState({ pendingIdx: null });
    report(`Could not load the dataset ${name}`, e);
  }
}

/** Files dropped or picked: an ONNX model, and/or IDX images + labels (raw or .gz). */
export async function openFiles(files: File[]): Promise<void> {
  const dropped: DroppedFile[] = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  let items;
  try { items = await classifyDrop(dropped); } catch (e) { report('Could not read the dropped files', e); return; }
  for (const item of items) {
    if (item.kind === 'model') await loadModelBytes(item.bytes, item.name);
    else pendingBytes[item.kind] = { bytes: item.bytes, name: item.name };
  }
  const { images, labels } = pendingBytes;
  if (images && labels) {
    pendingBytes = {};
    await loadDatasetBytes(images.bytes, images.name, labels.bytes, labels.name, `${images.name} + ${labels.name}`);
  } else if (images || labels) {
    const have = images ? 'images' : 'labels';
    useStudio.setState({ pendingIdx: { kind: have, name: (images ?? labels)!.name } });
  }
}

export function setPreprocess(p: Preprocess): void { useStudio.setState({ preprocess: p }); }
export function setLimit(limit: number | null): void { useStudio.setState({ limit }); }
