/**
 * Node-side helpers that browser tests call through vitest's `commands`: reading ONNX's conformance
 * cases from disk and running onnxruntime-node as the reference. Binary data travels as base64.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

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
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(Buffer.from(modelB64, 'base64'));
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', Float32Array.from(i.data), i.dims);
  const out = await session.run(feeds);
  return session.outputNames.map((n) => ({ name: n, dims: [...out[n]!.dims], data: Array.from(out[n]!.data as Float32Array) }));
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
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    listConformanceCases: () => Promise<string[]>;
    conformanceCasesFor: (ops: string[]) => Promise<{ name: string; ops: string[] }[]>;
    readConformanceCase: (name: string) => Promise<ConformanceCaseFiles>;
    ortRun: (model: string, inputs: { name: string; dims: number[]; data: number[] }[]) => Promise<{ name: string; dims: number[]; data: number[] }[]>;
    readFileB64: (path: string) => Promise<string>;
  }
}
