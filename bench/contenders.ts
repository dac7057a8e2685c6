/**
 * The contenders behind one interface, all running whole ONNX models on WebGPU in this page: the
 * studio's own engine (InferenceSession, as the app uses it) on the model and on its compressed
 * variants, and onnxruntime-web's WebGPU EP.
 */
import * as ort from 'onnxruntime-web/webgpu';
import type { GpuContext } from '../src/gpu/context';
import { importOnnx } from '../src/model/onnx-import';
import { InferenceSession } from '../src/engine/session';
import { profileLayers } from '../src/engine/latency';
import type { LayerProfile } from '../src/core/latency';
import type { Model } from '../src/model/ir';
import type { CompressedName, ContenderName } from './types';

export interface Contender {
  readonly name: ContenderName;
  /** Parses the model and creates the session (weights uploaded here or on the first run). */
  load(bytes: Uint8Array, fileName: string): Promise<void>;
  /** One end-to-end run: upload the input, run every op, read the first output back. */
  run(input: Float32Array, shape: number[]): Promise<Float32Array>;
  /** GPU time of one run by timestamp queries, or null where the contender cannot give it. */
  gpuMs(input: Float32Array, shape: number[]): Promise<number | null>;
  dispose(): Promise<void>;
}

export class Ours implements Contender {
  private session: InferenceSession | null = null;
  /** `name`: 'ours' for the model as given, ours-… for a compressed variant of it (loadModel). */
  constructor(readonly ctx: GpuContext, readonly name: 'ours' | CompressedName = 'ours') {}

  async load(bytes: Uint8Array, fileName: string): Promise<void> {
    this.loadModel(importOnnx(bytes, fileName));
  }
  loadModel(model: Model): void {
    this.session = new InferenceSession(this.ctx, model);
  }
  /** Where one run's time goes, per layer (null without timestamp queries). */
  async profile(batch: number): Promise<LayerProfile | null> {
    return profileLayers(this.session!, batch, { warm: true });
  }
  /** The model's input shape at batch `n`, from the ONNX graph. */
  inputShapeFor(n: number): number[] { return this.session!.inputShapeFor(n); }
  async run(input: Float32Array, shape: number[]): Promise<Float32Array> {
    return (await this.session!.runBatch(input, shape)).output.data;
  }
  async gpuMs(input: Float32Array, shape: number[]): Promise<number | null> {
    return (await this.session!.runBatch(input, shape, true)).gpuMs;
  }
  /** Activation bytes the plan for `shape` holds (buffers shared by lifetime) and what one buffer per value would hold. */
  memory(shape: number[]): { heldBytes: number; unsharedBytes: number } {
    return { ...this.session!.plan({ [this.session!.input.name]: shape }).memory };
  }
  /** Bytes of the constants uploaded so far. */
  get weightBytes(): number { return this.session?.weightBytes ?? 0; }
  async dispose(): Promise<void> { this.session?.destroy(); this.session = null; }
}

/** Serves ort's .wasm/.mjs from node_modules through bench/server.ts; nothing comes from the internet. */
export function configureOrt(): void {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1; // the page is not cross-origin isolated; CPU threads do not matter on the WebGPU EP
  ort.env.webgpu.powerPreference = 'high-performance'; // what the studio asks for
  ort.env.logLevel = 'warning';
}

export const ORT_VERSION = ort.env.versions.web ?? ort.env.versions.common ?? 'unknown';

/** The adapter behind onnxruntime-web's own GPUDevice; call only after a session was created. */
export async function ortAdapterInfo(): Promise<{ vendor: string; architecture: string; description: string; isFallbackAdapter: boolean } | null> {
  const device = await ort.env.webgpu.device;
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).adapterInfo;
  if (!info) return null;
  return { vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: Boolean(info.isFallbackAdapter) };
}

export class OrtWeb implements Contender {
  readonly name = 'ort-web' as const;
  private session: ort.InferenceSession | null = null;

  async load(bytes: Uint8Array): Promise<void> {
    // WebGPU alone: if its EP cannot start, create() throws instead of quietly running on WASM.
    this.session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
  }
  async run(input: Float32Array, shape: number[]): Promise<Float32Array> {
    const s = this.session!;
    const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', input, shape) };
    const out = await s.run(feeds); // outputs default to 'cpu': the readback is inside run()
    const t = out[s.outputNames[0]!]!;
    const data = t.data as Float32Array;
    for (const v of Object.values(out)) if (v !== t) v.dispose();
    return data;
  }
  async gpuMs(): Promise<number | null> { return null; }
  async dispose(): Promise<void> { await this.session?.release(); this.session = null; }
}
