/**
 * Node-side helpers that browser tests call through vitest's `commands`: reading ONNX's conformance
 * cases from disk, running onnxruntime-node as the reference, exporting the torchvision models with
 * PyTorch, writing figures under test-results/. Binary data travels as base64.
 */
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

export const ONNX_TESTDATA = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data/node';

const require = createRequire(import.meta.url);

export interface ConformanceCaseFiles {
  name: string;
  model: string; // base64
  sets: { inputs: string[]; outputs: string[] }[]; // base64 TensorProto files, in name order
}

function listPb(dir: string, prefix: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)));
}

export function readConformanceCase(name: string): ConformanceCaseFiles {
  const dir = join(ONNX_TESTDATA, name);
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort().map((s) => {
    const sd = join(dir, s);
    return {
      inputs: listPb(sd, 'input_').map((f) => readFileSync(join(sd, f)).toString('base64')),
      outputs: listPb(sd, 'output_').map((f) => readFileSync(join(sd, f)).toString('base64')),
    };
  });
  return { name, model: readFileSync(join(dir, 'model.onnx')).toString('base64'), sets };
}

export function listConformanceCases(): string[] {
  if (!existsSync(ONNX_TESTDATA)) return [];
  return readdirSync(ONNX_TESTDATA).filter((d) => existsSync(join(ONNX_TESTDATA, d, 'model.onnx'))).sort();
}

/** Cases whose graphs use only the given ops (by a quick decode of each model's node list). */
export function conformanceCasesFor(ops: string[]): { name: string; ops: string[] }[] {
  const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
  const allowed = new Set(ops);
  const out: { name: string; ops: string[] }[] = [];
  for (const name of listConformanceCases()) {
    const m = onnx.ModelProto.decode(readFileSync(join(ONNX_TESTDATA, name, 'model.onnx')));
    const used = [...new Set((m.graph?.node ?? []).map((n) => n.opType ?? ''))];
    if (used.length && used.every((o) => allowed.has(o))) out.push({ name, ops: used });
  }
  return out;
}

/** Runs a model in onnxruntime-node; inputs and outputs as {name, dims, data(number[])} of float32. */
export async function ortRun(modelB64: string, inputs: { name: string; dims: number[]; data: number[] }[]) {
  return ortRunBytes(Buffer.from(modelB64, 'base64'), inputs);
}

async function ortRunBytes(model: Uint8Array, inputs: { name: string; dims: number[]; data: number[] }[]) {
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model);
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', Float32Array.from(i.data), i.dims);
  const out = await session.run(feeds);
  return session.outputNames.map((n) => ({ name: n, dims: [...out[n]!.dims], data: Array.from(out[n]!.data as Float32Array) }));
}

/** onnxruntime-node on a model file read here (large models need not cross from the browser). */
export async function ortRunFile(path: string, inputs: { name: string; dims: number[]; data: number[] }[]) {
  return ortRunBytes(readFileSync(path), inputs);
}

// Not under test-results/, which Playwright empties before each e2e run.
export const TORCHVISION_DIR = process.env.TORCHVISION_DIR ?? 'node_modules/.cache/torchvision-onnx';
export const TORCHVISION_MODELS = ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1',
  'shufflenet_v2_x0_5', 'efficientnet_b0', 'regnet_x_400mf'];

export interface TorchvisionManifest {
  torch: string; torchvision: string; seed: number; script_sha256: string;
  /** The tests' input images, float32 little-endian. */
  inputs: { file: string; dtype: 'float32'; shape: number[] };
  models: Record<string, { file: string; dynamicFile: string | null; params: number; input: number[]; opset: number }>;
}

/** A python with torch and torchvision: $PYTHON, else Debian's /usr/bin/python3 (pyenv shims shadow it), else python3. */
export function torchPython(candidates = [process.env.PYTHON, '/usr/bin/python3', 'python3']): string {
  const tried: string[] = [];
  for (const py of candidates) {
    if (!py || tried.includes(py)) continue;
    tried.push(py);
    try {
      execFileSync(py, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
      return py;
    } catch { /* next */ }
  }
  throw new Error(`The torchvision tests export their models with PyTorch, but no python with torch and torchvision was found ` +
    `(tried ${tried.join(', ')}). Install them with:  sudo apt-get install python3-torch python3-torchvision   ` +
    `(or set PYTHON to a python that has both).`);
}

/** The seven torchvision models, exported now by fixtures/export_torchvision.py when any is missing or the script changed. */
export function torchvisionFixtures(): TorchvisionManifest & { dir: string } {
  const manifestPath = join(TORCHVISION_DIR, 'manifest.json');
  const script = 'fixtures/export_torchvision.py';
  const sha = createHash('sha256').update(readFileSync(script)).digest('hex');
  const complete = () => {
    if (!existsSync(manifestPath)) return false;
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as TorchvisionManifest;
    const files = [m.inputs?.file, ...TORCHVISION_MODELS.flatMap((n) => [m.models[n]?.file, m.models[n]?.dynamicFile])];
    return m.script_sha256 === sha && TORCHVISION_MODELS.every((n) => m.models[n]) &&
      files.every((f) => f === null || (f !== undefined && existsSync(join(TORCHVISION_DIR, f))));
  };
  if (!complete()) {
    execFileSync(torchPython(), [script, TORCHVISION_DIR], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (!complete()) throw new Error(`${script} ran but ${TORCHVISION_DIR} lacks some of its files or manifest.json`);
  }
  return { ...(JSON.parse(readFileSync(manifestPath, 'utf8')) as TorchvisionManifest), dir: TORCHVISION_DIR };
}

/** Writes a test's report (figures) under test-results/, the only place a test writes. */
export function writeTestResult(name: string, text: string): string {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.includes('..')) throw new Error(`bad result name '${name}'`);
  const path = join('test-results', name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

export function readFileB64(path: string): string {
  return readFileSync(path).toString('base64');
}

// vitest passes its own context first; these wrappers drop it.
export const testCommands = {
  listConformanceCases: () => listConformanceCases(),
  conformanceCasesFor: (_ctx: unknown, ops: string[]) => conformanceCasesFor(ops),
  readConformanceCase: (_ctx: unknown, name: string) => readConformanceCase(name),
  ortRun: (_ctx: unknown, model: string, inputs: { name: string; dims: number[]; data: number[] }[]) => ortRun(model, inputs),
  readFileB64: (_ctx: unknown, path: string) => readFileB64(path),
  ortRunFile: (_ctx: unknown, path: string, inputs: { name: string; dims: number[]; data: number[] }[]) => ortRunFile(path, inputs),
  torchvisionFixtures: () => torchvisionFixtures(),
  writeTestResult: (_ctx: unknown, name: string, text: string) => writeTestResult(name, text),
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    listConformanceCases: () => Promise<string[]>;
    conformanceCasesFor: (ops: string[]) => Promise<{ name: string; ops: string[] }[]>;
    readConformanceCase: (name: string) => Promise<ConformanceCaseFiles>;
    ortRun: (model: string, inputs: { name: string; dims: number[]; data: number[] }[]) => Promise<{ name: string; dims: number[]; data: number[] }[]>;
    readFileB64: (path: string) => Promise<string>;
    ortRunFile: (path: string, inputs: { name: string; dims: number[]; data: number[] }[]) => Promise<{ name: string; dims: number[]; data: number[] }[]>;
    torchvisionFixtures: () => Promise<TorchvisionManifest & { dir: string }>;
    writeTestResult: (name: string, text: string) => Promise<string>;
  }
}
