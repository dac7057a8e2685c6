/// <reference lib="webworker" />
/** The worker entry: owns the GPU device and answers the page's requests one message at a time. */
import { describeError } from '../core/errors';
import { weightBytes } from '../compress/storage';
import { StudioRuntime } from './runtime';
import type { Request, Response } from './protocol';
import type { ModelSummary } from './types';

const runtime = new StudioRuntime();
const jobs = new Map<number, AbortController>();
const post = (r: Response, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(r, transfer);

runtime.onDeviceLost = (info) => post({ type: 'deviceLost', message: `The GPU device was lost (${info.reason}: ${info.message}).` });

/** A summary of the model the runtime now runs, with its layer-weight bytes. */
function withWeightBytes<T extends ModelSummary>(summary: T): T {
  const model = runtime.currentModel;
  return model ? { ...summary, weightBytes: weightBytes(model) } : summary;
}

/** Bytes that own their whole buffer, so the buffer can be transferred without sending more than they hold. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer> : bytes.slice();
}

self.onmessage = async (ev: MessageEvent<Request>) => {
  const req = ev.data;
  if (req.method === 'cancel') { jobs.get(req.arg.target)?.abort(); return; }
  const abort = new AbortController();
  jobs.set(req.id, abort);
  try {
    let result: unknown;
    const transfer: Transferable[] = [];
    switch (req.method) {
      case 'device': result = await runtime.deviceSummary(); break;
      case 'loadModel': result = withWeightBytes(await runtime.loadModel(req.arg.bytes, req.arg.fileName)); break;
      case 'loadDataset': {
        const a = req.arg;
        result = await runtime.loadDataset(a.images, a.labels, a.name, a.imagesName, a.labelsName);
        break;
      }
      case 'evaluate':
        result = await runtime.evaluate(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal);
        break;
      case 'quantize':
        result = withWeightBytes(await runtime.quantizeVariant(req.arg.recipe, req.arg.preprocess,
          (done, total) => post({ type: 'progress', id: req.id, progress: { phase: 'calibration', done, total } }), abort.signal));
        break;
      case 'binarize': result = withWeightBytes(await runtime.binarizeVariant(req.arg.recipe)); break;
      case 'precisionLayers': result = runtime.precisionLayers(); break;
      case 'quantizeMixed': {
        const a = req.arg;
        result = withWeightBytes(await runtime.mixedVariant(a.layers, a.recipe, a.activationScale, a.preprocess,
          (done, total) => post({ type: 'progress', id: req.id, progress: { phase: 'calibration', done, total } }), abort.signal));
        break;
      }
      case 'sensitivity':
        result = await runtime.sensitivity(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal);
        break;
      case 'autoMixed':
        result = withWeightBytes(await runtime.autoVariant(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal));
        break;
      case 'selectVariant': result = withWeightBytes(await runtime.selectVariant(req.arg.name)); break;
      case 'exportVariant': {
        const bytes = ownBuffer(runtime.exportVariant(req.arg.name, { dynamicBatch: req.arg.dynamicBatch }));
        transfer.push(bytes.buffer);
        result = bytes;
        break;
      }
      case 'weightHistogram': result = runtime.weightHistogram(req.arg.layer); break;
      case 'loseDevice': await runtime.loseDeviceForTest(); result = null; break;
      case 'loadTrainingData': {
        const a = req.arg;
        result = await runtime.loadTrainingData(a.images, a.labels, a.name, a.imagesName, a.labelsName);
        break;
      }
      case 'train':
        result = withWeightBytes(await runtime.trainVariant(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal));
        break;
      case 'pauseTraining': result = runtime.pauseTraining(); break;
      case 'resumeTraining': result = runtime.resumeTraining(); break;
      case 'pruneLayers': result = runtime.pruneLayers(); break;
      case 'sparsityPicture': result = runtime.sparsityPicture(req.arg.layer, req.arg.spec); break;
      case 'prune':
        result = withWeightBytes(await runtime.pruneVariant(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal));
        break;
      case 'pruneSensitivity':
        result = await runtime.pruneSensitivity(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal);
        break;
    }
    post({ type: 'result', id: req.id, result }, transfer);
  } catch (e) {
    post({ type: 'error', id: req.id, error: describeError(e) });
  } finally {
    jobs.delete(req.id);
  }
};
