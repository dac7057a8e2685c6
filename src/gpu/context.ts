/**
 * The WebGPU runtime: adapter and device with feature detection, a pipeline cache keyed by kernel
 * name + override constants (never sizes), a buffer pool, readback, GPU timing and device-lost
 * notification. Works with the browser's navigator.gpu and with Dawn in Node (the CLI).
 */
import { GpuError } from '../core/errors';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters (SwiftShader), whose timings say nothing about a real GPU. */
  isFallback: boolean;
  features: string[];
  wgslFeatures: string[];
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupsPerDimension: number; maxComputeInvocationsPerWorkgroup: number };
  hasTimestamps: boolean;
  hasSubgroups: boolean;
  hasF16: boolean;
  hasDot4I8: boolean;
}

export interface DeviceLostInfo { reason: string; message: string }

export class GpuContext {
  readonly device: GPUDevice;
  readonly info: AdapterSummary;
  /** How many compute pipelines this context has compiled; a test holds this to one per kernel variant. */
  pipelineCompiles = 0;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** While compileAhead's dry run plans: the pipelines it asked for and did not find, by key. */
  private ahead: Map<string, PipelineRequest> | null = null;
  /**
   * Shader modules by their code: two kernels of one name with different code (another prelude, say)
   * get two modules and pipelines. `variant` counts the name's earlier codes (0 for its first).
   */
  private readonly modules = new Map<string, { module: GPUShaderModule; variant: number }>();
  private readonly codesPerName = new Map<string, number>();
  private readonly pool = new Map<string, GPUBuffer[]>();
  private lostHandlers: ((info: DeviceLostInfo) => void)[] = [];
  /** Open `owningUniforms` scopes: each collects the uniform buffers made while it runs. */
  private readonly uniformScopes: GPUBuffer[][] = [];
  /** Bytes of storage and uniform buffers this context created and has not destroyed (pooled ones count). */
  liveBytes = 0;
  /** Of those, bytes sitting in the pool, free for the next acquire. */
  pooledBytes = 0;
  /**
   * The most bytes live at once since `resetPeak()`, counting the transient readback buffers too:
   * the device memory the studio's work needed (the driver's own allocations aside).
   */
  peakBytes = 0;
  /** The GPU and adapter objects this device came from, referenced so they are not collected. */
  keepAlive: unknown[] = [];
  private destroyed = false;

  constructor(device: GPUDevice, info: AdapterSummary) {
    this.device = device;
    this.info = info;
    device.lost.then((l) => {
      if (this.destroyed) return;
      const info = { reason: String(l.reason), message: l.message || 'the GPU device was lost' };
      for (const h of this.lostHandlers) h(info);
    });
  }

  onLost(handler: (info: DeviceLostInfo) => void): void { this.lostHandlers.push(handler); }

  get isLost(): boolean { return this.destroyed; }

  /** A compute pipeline for `name`'s `code` specialised by `constants`, compiled at most once per context. */
  pipeline(name: string, code: string, constants: Record<string, number> = {}): GPUComputePipeline {
    let m = this.modules.get(code);
    if (!m) {
      const variant = this.codesPerName.get(name) ?? 0;
      this.codesPerName.set(name, variant + 1);
      m = { module: this.device.createShaderModule({ label: name, code }), variant };
      this.modules.set(code, m);
    }
    const keys = Object.keys(constants).sort();
    // The name first: tests and the device panel read kernel names off the keys.
    const key = `${name}|${keys.map((k) => `${k}=${constants[k]}`).join(',')}${m.variant ? `#${m.variant}` : ''}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    const module = m.module;
    if (this.ahead) {
      this.ahead.set(key, { module, constants });
      return PLACEHOLDER_PIPELINE;
    }
    p = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    this.pipelineCompiles++;
    this.pipelines.set(key, p);
    return p;
  }

  /** Names of compiled pipelines (kernel|constants), for tests and the device panel. */
  pipelineKeys(): string[] { return [...this.pipelines.keys()]; }

  /** A storage buffer from the pool (exact size and usage), or a new one. */
  acquire(label: string, byteLength: number, extraUsage = 0): GPUBuffer {
    const size = Math.max(16, Math.ceil(byteLength / 16) * 16);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage;
    const free = this.pool.get(`${usage}:${size}`);
    const reused = free?.pop();
    if (reused) { reused.label = label; this.pooledBytes -= size; return reused; }
    this.grow(size);
    return this.device.createBuffer({ label, size, usage });
  }

  private grow(bytes: number): void {
    this.liveBytes += bytes;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
  }

  /** Starts a new peak from what is live now. */
  resetPeak(): void { this.peakBytes = this.liveBytes; }

  /** Destroys the pooled buffers, so that what is live is what something holds (a peak measured after it counts fresh allocations). */
  trimPool(): void {
    for (const list of this.pool.values()) for (const b of list) { this.liveBytes -= b.size; b.destroy(); }
    this.pool.clear();
    this.pooledBytes = 0;
  }

  /** Destroys a buffer this context made (acquire, upload, uniform), keeping `liveBytes` true. */
  destroyBuffer(buffer: GPUBuffer): void {
    this.liveBytes -= buffer.size;
    buffer.destroy();
  }

  /**
   * Runs `build` and hands back every uniform buffer the kernels it calls made with `uniform()`, so
   * that whoever keeps the dispatches (a plan) owns those buffers and destroys them with it.
   */
  owningUniforms<T>(build: () => T): { result: T; uniforms: GPUBuffer[] } {
    const uniforms: GPUBuffer[] = [];
    this.uniformScopes.push(uniforms);
    try {
      return { result: build(), uniforms };
    } finally {
      this.uniformScopes.pop();
    }
  }

  /** Returns a buffer from `acquire` to the pool. */
  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.pool.get(key);
    if (!list) { list = []; this.pool.set(key, list); }
    list.push(buffer);
    this.pooledBytes += buffer.size;
  }

  /** Bytes held by live objects (plans, weights, datasets): what a leak makes grow. */
  get inUseBytes(): number { return this.liveBytes - this.pooledBytes; }

  /** A storage buffer holding `data`. */
  upload(label: string, data: ArrayBufferView): GPUBuffer {
    const buffer = this.acquire(label, data.byteLength);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** A uniform buffer holding the words written by `UniformWriter`. */
  uniform(label: string, words: ArrayBuffer): GPUBuffer {
    const size = Math.max(16, Math.ceil(words.byteLength / 16) * 16);
    const buffer = this.device.createBuffer({ label, size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.grow(size);
    this.uniformScopes.at(-1)?.push(buffer);
    this.device.queue.writeBuffer(buffer, 0, words);
    return buffer;
  }

  /** Copies `byteLength` bytes of `buffer` back to the host. */
  async read(buffer: GPUBuffer, byteLength: number, offset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({ label: `readback:${buffer.label}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.grow(size);
    const enc = this.device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.destroyBuffer(staging);
      throw new GpuError(`Reading results back from the GPU failed (${(e as Error).message}); the device may have been lost.`);
    }
    const out = staging.getMappedRange().slice(0, byteLength);
    staging.unmap();
    this.destroyBuffer(staging);
    return out;
  }

  async readF32(buffer: GPUBuffer, length: number): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, length * 4));
  }

  /** Encodes dispatches into one compute pass (optionally timestamped) and submits them. */
  submit(dispatches: readonly Dispatch[], timer?: GpuTimer): void {
    const enc = this.device.createCommandEncoder({ label: 'run' });
    encodePass(enc.beginComputePass(timer ? { label: 'run', timestampWrites: timer.writes } : { label: 'run' }), dispatches);
    timer?.resolve(enc);
    this.device.queue.submit([enc.finish()]);
  }

  /**
   * Runs `groups` in order, each in its own compute pass with timestamps at its start and end, and
   * returns each group's GPU milliseconds (null where the adapter has no timestamp queries). Passes
   * see each other's writes as one pass's dispatches do, so the results are those of `submit`.
   */
  async submitProfiled(groups: readonly (readonly Dispatch[])[]): Promise<number[] | null> {
    if (!this.info.hasTimestamps) return null;
    const CHUNK = 2048; // a query set holds at most 4096 timestamps
    const ms: number[] = [];
    for (let from = 0; from < groups.length; from += CHUNK) {
      const part = groups.slice(from, from + CHUNK);
      const count = 2 * part.length;
      const querySet = this.device.createQuerySet({ label: 'profile', type: 'timestamp', count });
      const resolved = this.device.createBuffer({ label: 'profile-resolve', size: 8 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const read = this.device.createBuffer({ label: 'profile-read', size: 8 * count, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = this.device.createCommandEncoder({ label: 'profile' });
      part.forEach((dispatches, i) => {
        encodePass(enc.beginComputePass({ label: 'profile', timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } }), dispatches);
      });
      enc.resolveQuerySet(querySet, 0, count, resolved, 0);
      enc.copyBufferToBuffer(resolved, 0, read, 0, 8 * count);
      this.device.queue.submit([enc.finish()]);
      try {
        await read.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        // A pass whose end reads before its start (a clock the driver reset) counts as 0.
        for (let i = 0; i < part.length; i++) ms.push(t[2 * i + 1]! > t[2 * i]! ? Number(t[2 * i + 1]! - t[2 * i]!) / 1e6 : 0);
      } catch (e) {
        throw new GpuError(`Reading the per-layer timestamps back failed (${(e as Error).message}); the device may have been lost.`);
      } finally {
        querySet.destroy(); resolved.destroy(); read.destroy();
      }
    }
    return ms;
  }

  /** Runs `fn` inside validation and out-of-memory error scopes, turning a WebGPU error into a GpuError. */
  async checked<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: T;
    try {
      result = await fn();
    } finally {
      const validation = await this.device.popErrorScope();
      const oom = await this.device.popErrorScope();
      const err = validation ?? oom;
      if (err) throw new GpuError(`WebGPU rejected ${what}: ${err.message}`);
    }
    return result;
  }

  /**
   * Runs `dryRun` (a planning pass whose result is thrown away) noting the pipelines it asks for and
   * does not find, then compiles those with createComputePipelineAsync, all at once: the driver
   * compiles them in parallel and off this thread, and the real plan built next finds them compiled.
   * Returns how many were compiled. A pipeline that fails here is left to the synchronous path, which
   * reports the error as it always has.
   */
  async compileAhead(dryRun: () => void): Promise<number> {
    const ahead = new Map<string, PipelineRequest>();
    this.ahead = ahead;
    try { dryRun(); } finally { this.ahead = null; }
    await Promise.all([...ahead].map(async ([key, r]) => {
      try {
        const p = await this.device.createComputePipelineAsync({ label: key, layout: 'auto', compute: { module: r.module, entryPoint: 'main', constants: r.constants } });
        if (!this.pipelines.has(key)) { this.pipelines.set(key, p); this.pipelineCompiles++; }
      } catch { /* compiled again, synchronously, where the plan asks for it */ }
    }));
    return ahead.size;
  }

  /** A bind group for `pipeline` with the given buffers at bindings 0, 1, 2, ... */
  bindGroup(label: string, pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    if (pipeline === PLACEHOLDER_PIPELINE) return PLACEHOLDER_BIND_GROUP;
    return this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  destroy(): void {
    this.destroyed = true;
    this.device.destroy();
  }
}

/** Records `dispatches` into `pass` in order and ends it. */
function encodePass(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
  pass.end();
}

/** A pipeline a dry run asked for: its module and override constants. */
interface PipelineRequest { module: GPUShaderModule; constants: Record<string, number> }

/** What a dry run's plan holds in place of pipelines and bind groups not compiled yet (compileAhead); never dispatched. */
const PLACEHOLDER_PIPELINE = { label: 'not compiled yet' } as GPUComputePipeline;
const PLACEHOLDER_BIND_GROUP = { label: 'not compiled yet' } as GPUBindGroup;

/** One kernel launch, ready to encode: everything it needs was created when it was planned. */
export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** GPU time of one compute pass by timestamp queries. */
export class GpuTimer {
  readonly writes: GPUComputePassTimestampWrites;
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;

  constructor(private readonly ctx: GpuContext) {
    const d = ctx.device;
    this.querySet = d.createQuerySet({ label: 'timer', type: 'timestamp', count: 2 });
    this.resolveBuf = d.createBuffer({ label: 'timer-resolve', size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readBuf = d.createBuffer({ label: 'timer-read', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.writes = { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
  }

  resolve(enc: GPUCommandEncoder): void {
    enc.resolveQuerySet(this.querySet, 0, 2, this.resolveBuf, 0);
    enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, 16);
  }

  /** Milliseconds between the pass's start and end, or null when the values are unusable. */
  async readMs(): Promise<number | null> {
    await this.readBuf.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(this.readBuf.getMappedRange().slice(0));
    this.readBuf.unmap();
    const ns = Number(t[1]! - t[0]!);
    return ns > 0 ? ns / 1e6 : null;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    this.readBuf.destroy();
    void this.ctx;
  }
}

/** Workgroup counts for `invocations` threads in groups of `wgSize`, folded into y past the per-dimension limit. */
export function gridFor(invocations: number, wgSize: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(invocations / wgSize));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

/** Writes a uniform struct as a sequence of 4-byte words (u32, i32, f32), padded to 16 bytes. */
export class UniformWriter {
  private readonly view: DataView;
  private n = 0;
  constructor(maxWords = 64) { this.view = new DataView(new ArrayBuffer(maxWords * 4)); }
  u32(v: number): this { this.view.setUint32(4 * this.n++, v >>> 0, true); return this; }
  i32(v: number): this { this.view.setInt32(4 * this.n++, v | 0, true); return this; }
  f32(v: number): this { this.view.setFloat32(4 * this.n++, v, true); return this; }
  /** A fixed-length array of u32 (e.g. array<vec4<u32>, 2> for up to 8 dims), zero-filled past `values`. */
  u32s(values: readonly number[], length: number): this {
    for (let i = 0; i < length; i++) this.u32(values[i] ?? 0);
    return this;
  }
  /** Pads to the next 16-byte boundary, where a vec4 or array member must start. */
  align16(): this { while (this.n % 4) this.u32(0); return this; }
  finish(): ArrayBuffer { this.align16(); return (this.view.buffer as ArrayBuffer).slice(0, this.n * 4); }
}
