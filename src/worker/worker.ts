/// <reference lib="webworker" />
/** The worker entry: owns the GPU device and answers the page's requests one message at a time. */
import { describeError } from '../core/errors';
import { StudioRuntime } from './runtime';
import type { Request, Response } from './protocol';

const runtime = new StudioRuntime();
const jobs = new Map<number, AbortController>();
const post = (r: Response) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(r);

runtime.onDeviceLost = (info) => post({ type: 'deviceLost', message: `The GPU device was lost (${info.reason}: ${info.message}).` });

self.onmessage = async (ev: MessageEvent<Request>) => {
  const req = ev.data;
  if (req.method === 'cancel') { jobs.get(req.arg.target)?.abort(); return; }
  const abort = new AbortController();
  jobs.set(req.id, abort);
  try {
    let result: unknown;
    switch (req.method) {
      case 'device': result = await runtime.deviceSummary(); break;
      case 'loadModel': result = await runtime.loadModel(req.arg.bytes, req.arg.fileName); break;
      case 'loadDataset': {
        const a = req.arg;
        result = await runtime.loadDataset(a.images, a.labels, a.name, a.imagesName, a.labelsName);
        break;
      }
      case 'evaluate':
        result = await runtime.evaluate(req.arg, (progress) => post({ type: 'progress', id: req.id, progress }), abort.signal);
        break;
      case 'loseDevice': await runtime.loseDeviceForTest(); result = null; break;
    }
    post({ type: 'result', id: req.id, result });
  } catch (e) {
    post({ type: 'error', id: req.id, error: describeError(e) });
  } finally {
    jobs.delete(req.id);
  }
};
