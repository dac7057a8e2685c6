/**
 * The three training contenders behind one interface, each training the same layers with Adam on a
 * fixed batch on WebGPU in this page: the studio's TrainingPlan, TensorFlow.js (webgpu backend,
 * optimizer.minimize) and jax-js (jit of valueAndGrad plus Adam, webgpu device).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { blockUntilReady, defaultDevice, getWebGPUDevice, init as jaxInit, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import type { GpuContext } from '../src/gpu/context';
import type { Model } from '../src/model/ir';
import { buildArch } from '../src/train/architectures';
import { findParameters, ParamStore } from '../src/train/params';
import { STAT, trainableGraph, TrainingPlan } from '../src/train/training-plan';
import { writeHyper } from '../src/kernels/optimizer';
import { InferenceSession } from '../src/engine/session';
import { randomFloats } from '../src/core/rng';
import type { TrainCase, TrainContenderName } from './training-types';

export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;
const CLASSES = 10;

/** The fixed batch every contender trains on: x in [0, 1) as (B, 784) = (B, 1, 28, 28) row-major, labels 0–9. */
export interface Batch { x: Float32Array<ArrayBuffer>; labels: Int32Array; oneHot: Float32Array }

export function makeBatch(batch: number, seed: number): Batch {
  const x = new Float32Array(randomFloats(batch * 784, seed, 0, 1));
  const u = randomFloats(batch, seed + 1, 0, CLASSES);
  const labels = Int32Array.from(u, (v) => Math.min(CLASSES - 1, Math.floor(v)));
  const oneHot = new Float32Array(batch * CLASSES);
  labels.forEach((l, b) => { oneHot[b * CLASSES + l] = 1; });
  return { x, labels, oneHot };
}

/** One weight in jax-js's layout: convs OIHW, dense (in, out) with conv features flattened as (C, H, W). */
export interface Weight { shape: number[]; data: Float32Array }
export type Weights = Record<string, Weight>;

/**
 * The initial weights all three contenders start from (He-uniform, small random biases), so that the
 * same steps give the same losses: a check that they train the same function with real gradients.
 */
export function initialWeights(arch: TrainCase['arch'], seed: number): Weights {
  let k = 0;
  const w = (shape: number[], fanIn: number): Weight => {
    const bound = Math.sqrt(6 / fanIn);
    return { shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), seed + 100 * ++k, -bound, bound) };
  };
  const b = (n: number): Weight => ({ shape: [n], data: randomFloats(n, seed + 100 * ++k, -0.05, 0.05) });
  if (arch === 'convnet') {
    return {
      w1: w([24, 1, 5, 5], 25), b1: b(24), w2: w([32, 24, 3, 3], 24 * 9), b2: b(32),
      w3: w([800, 128], 800), b3: b(128), w4: w([128, 10], 128), b4: b(10),
    };
  }
  return { w1: w([784, 32], 784), b1: b(32), w2: w([32, 10], 32), b2: b(10) };
}

/** (R, C) row-major → (C, R). */
function transpose(a: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = a[r * C + c]!;
  return out;
}

/** OIHW → HWIO (TF.js's conv2d filter layout). */
function oihwToHwio(a: Float32Array, [O, I, H, W]: number[]): Float32Array {
  const out = new Float32Array(a.length);
  for (let o = 0; o < O!; o++) for (let i = 0; i < I!; i++) for (let h = 0; h < H!; h++) for (let x = 0; x < W!; x++) {
    out[((h * W! + x) * I! + i) * O! + o] = a[((o * I! + i) * H! + h) * W! + x]!;
  }
  return out;
}

/** Dense rows in (C, H, W) feature order → (H, W, C), the order TF.js's NHWC flatten gives. */
function chwRowsToHwc(a: Float32Array, C: number, H: number, W: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let x = 0; x < W; x++) {
    out.set(a.subarray(((c * H + h) * W + x) * cols, ((c * H + h) * W + x + 1) * cols), ((h * W + x) * C + c) * cols);
  }
  return out;
}

/** The studio's model for the case with `weights` in its initializers (Gemm weights are (out, in): transB = 1). */
export function studioModel(arch: TrainCase['arch'], weights: Weights): Model {
  const model = buildArch(arch, [28, 28], 1);
  const init = model.graph.initializers;
  const set = (name: string, data: Float32Array) => {
    const t = init[name];
    if (!t || t.data.length !== data.length) throw new Error(`studio model ${arch}: initializer '${name}' is not ${data.length} values`);
    init[name] = { dtype: 'float32', dims: [...t.dims], data };
  };
  const dense = (name: string, wt: Weight, bias: Weight) => { set(`${name}.weight`, transpose(wt.data, wt.shape[0]!, wt.shape[1]!)); set(`${name}.bias`, bias.data); };
  if (arch === 'convnet') {
    set('conv1.weight', weights.w1!.data); set('conv1.bias', weights.b1!.data);
    set('conv2.weight', weights.w2!.data); set('conv2.bias', weights.b2!.data);
    dense('fc1', weights.w3!, weights.b3!); dense('fc2', weights.w4!, weights.b4!);
  } else {
    dense('fc1', weights.w1!, weights.b1!); dense('fc2', weights.w2!, weights.b2!);
  }
  return model;
}

export interface TrainContender {
  readonly name: TrainContenderName;
  /** What it runs on, as the library reports it; throws if that is not WebGPU. */
  backend(): string;
  /** Builds the model from `weights` and the optimizer state and uploads the batch; returns the number of trained values. */
  setup(c: TrainCase, batch: Batch, weights: Weights, lr: number): Promise<number>;
  /** The first step (compiles pipelines / traces), waited for; returns its loss. */
  firstStep(): Promise<number>;
  /** Issues one training step (forward, loss, backward, Adam) without waiting for it. */
  step(): void;
  /** Waits until every issued step has finished on the GPU; returns the last step's mean loss. */
  sync(): Promise<number>;
  /** One forward pass e2e: upload x, run, read the logits back. */
  infer(x: Float32Array): Promise<Float32Array>;
  /** GPU bytes held for this case, where the library says. */
  memory(): { bytes: number | null; note: string };
  dispose(): Promise<void>;
}

const inputShape = (c: TrainCase) => (c.arch === 'convnet' ? [c.batch, 1, 28, 28] : [c.batch, 784]);

// ---------------------------------------------------------------- the studio

export class OursTrain implements TrainContender {
  readonly name = 'ours' as const;
  private model: Model | null = null;
  private params: ParamStore | null = null;
  private plan: TrainingPlan | null = null;
  private session: InferenceSession | null = null;
  private t = 0;
  private lr = 0;
  private bytesBefore = 0;
  private c: TrainCase | null = null;
  constructor(readonly ctx: GpuContext) {}

  backend(): string {
    const i = this.ctx.info, p = this.plan;
    const n = p ? p.forward.length + p.loss.length + p.backward.length + p.optimizer.length : 0;
    return `studio WebGPU device ('${i.vendor}' / '${i.architecture}'${i.isFallback ? ', fallback adapter' : ''}); ${n} dispatches per step in one compute pass`;
  }

  async setup(c: TrainCase, batch: Batch, weights: Weights, lr: number): Promise<number> {
    this.c = c;
    this.lr = lr;
    this.t = 0;
    this.bytesBefore = this.ctx.inUseBytes;
    this.model = studioModel(c.arch, weights);
    this.params = new ParamStore(this.ctx, this.model, findParameters(this.model), 2);
    this.plan = new TrainingPlan(this.ctx, trainableGraph(this.model, this.params), this.params, {
      batch: c.batch, inputShape: inputShape(c), loss: { temperature: 1, alpha: 0 }, withTeacher: false, optimizer: 'adamw',
    });
    const q = this.ctx.device.queue;
    q.writeBuffer(this.plan.x.buffer, 0, batch.x);
    q.writeBuffer(this.plan.labels.buffer, 0, Float32Array.from(batch.labels));
    return this.params.count;
  }

  async firstStep(): Promise<number> {
    // Under validation scopes: a kernel the device rejects is an error with its message.
    await this.ctx.checked('the first benchmark training step', () => this.step());
    return this.sync();
  }

  /** As the trainer's submitStep: Adam's hyper values (the step count moves), then one pass of all dispatches. */
  step(): void {
    const plan = this.plan!;
    this.t++;
    // weightDecay 0 with the decoupled form: plain Adam, as TF.js and jax-js run it.
    const h = { lr: this.lr, beta1: ADAM.beta1, beta2: ADAM.beta2, eps: ADAM.eps, step: this.t, decoupled: true, weightDecay: 0 };
    writeHyper(this.ctx, plan.hyperDecay, h);
    writeHyper(this.ctx, plan.hyperNoDecay, h);
    const enc = this.ctx.device.createCommandEncoder({ label: 'bench:train-step' });
    const pass = enc.beginComputePass({ label: 'step' });
    for (const d of [...plan.forward, ...plan.loss, ...plan.backward, ...plan.optimizer]) {
      pass.setPipeline(d.pipeline); pass.setBindGroup(0, d.bindGroup); pass.dispatchWorkgroups(...d.workgroups);
    }
    pass.end();
    this.ctx.device.queue.submit([enc.finish()]);
  }

  async sync(): Promise<number> {
    const plan = this.plan!;
    const B = plan.stats.shape[0]!;
    const s = await this.ctx.readF32(plan.stats.buffer, B * 4);
    await this.ctx.device.queue.onSubmittedWorkDone();
    let loss = 0;
    for (let b = 0; b < B; b++) loss += s[b * 4 + STAT.loss]!;
    return loss / B;
  }

  async infer(x: Float32Array): Promise<Float32Array> {
    this.session ??= new InferenceSession(this.ctx, this.model!);
    return (await this.session.runBatch(x, inputShape(this.c!))).output.data;
  }

  memory(): { bytes: number | null; note: string } {
    return { bytes: this.ctx.inUseBytes - this.bytesBefore, note: 'GpuContext bytes in use after warm-up, this case only: params, Adam state, every activation and gradient (planned once), not the pool' };
  }

  async dispose(): Promise<void> {
    this.session?.destroy();
    this.plan?.destroy();
    this.params?.destroy();
    this.session = null; this.plan = null; this.params = null; this.model = null;
  }
}

// ---------------------------------------------------------------- TensorFlow.js

let tfReady: Promise<void> | null = null;
/** setBackend('webgpu') once per page, WEBGPU_CPU_FORWARD off (BENCHMARKS.md), so small ops cannot run on the CPU. */
export function initTf(): Promise<void> {
  tfReady ??= (async () => {
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const ok = await tf.setBackend('webgpu');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'webgpu') throw new Error(`TF.js did not start its webgpu backend (getBackend() = '${tf.getBackend()}')`);
  })();
  return tfReady;
}

type TfBackend = { device: GPUDevice; adapterInfo?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean } };

export class TfTrain implements TrainContender {
  readonly name = 'tfjs' as const;
  private vars: tf.Variable[] = [];
  private x: tf.Tensor | null = null;
  private y: tf.Tensor | null = null;
  private opt: tf.Optimizer | null = null;
  private cost: tf.Scalar | null = null;
  private forward: ((x: tf.Tensor) => tf.Tensor) | null = null;
  private c: TrainCase | null = null;

  backend(): string {
    const name = tf.getBackend();
    if (name !== 'webgpu') throw new Error(`TF.js is on '${name}', not webgpu`);
    const a = (tf.backend() as unknown as TfBackend).adapterInfo;
    return `tf.getBackend() = 'webgpu' ('${a?.vendor ?? '?'}' / '${a?.architecture ?? '?'}')`;
  }

  async setup(c: TrainCase, batch: Batch, weights: Weights, lr: number): Promise<number> {
    await initTf();
    this.c = c;
    const v = (data: Float32Array, shape: number[]) => { const t = tf.variable(tf.tensor(data, shape)); this.vars.push(t); return t; };
    const plain = (k: string) => v(weights[k]!.data, weights[k]!.shape);
    if (c.arch === 'convnet') {
      // NHWC (TF.js's layout); with one input channel the batch's bytes are the same as NCHW.
      const f1 = v(oihwToHwio(weights.w1!.data, weights.w1!.shape), [5, 5, 1, 24]), b1 = plain('b1');
      const f2 = v(oihwToHwio(weights.w2!.data, weights.w2!.shape), [3, 3, 24, 32]), b2 = plain('b2');
      const w3 = v(chwRowsToHwc(weights.w3!.data, 32, 5, 5, 128), [800, 128]), b3 = plain('b3');
      const w4 = plain('w4'), b4 = plain('b4');
      this.x = tf.tensor4d(batch.x, [c.batch, 28, 28, 1]);
      this.forward = (x) => {
        const a1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, f1 as tf.Tensor4D, 1, 'valid'), b1)) as tf.Tensor4D, 2, 2, 'valid');
        const a2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(a1, f2 as tf.Tensor4D, 1, 'valid'), b2)) as tf.Tensor4D, 2, 2, 'valid');
        const h = tf.relu(tf.add(tf.matMul(tf.reshape(a2, [-1, 800]), w3), b3));
        return tf.add(tf.matMul(h, w4), b4);
      };
    } else {
      const w1 = plain('w1'), b1 = plain('b1'), w2 = plain('w2'), b2 = plain('b2');
      this.x = tf.tensor2d(batch.x, [c.batch, 784]);
      this.forward = (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1), b1)), w2), b2);
    }
    this.y = tf.tensor2d(batch.oneHot, [c.batch, CLASSES]);
    this.opt = tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
    return this.vars.reduce((s, t) => s + t.size, 0);
  }

  async firstStep(): Promise<number> { this.step(); return this.sync(); }

  step(): void {
    const x = this.x!, y = this.y!, fwd = this.forward!;
    this.cost?.dispose();
    // Mean softmax cross-entropy over the batch, as the studio's loss; minimize computes the
    // gradients of every trainable variable by tape and applies Adam.
    this.cost = this.opt!.minimize(() => tf.losses.softmaxCrossEntropy(y, fwd(x)) as tf.Scalar, true, this.vars);
  }

  async sync(): Promise<number> {
    const loss = (await this.cost!.data())[0]!;
    await (tf.backend() as unknown as TfBackend).device.queue.onSubmittedWorkDone();
    return loss;
  }

  async infer(x: Float32Array): Promise<Float32Array> {
    const c = this.c!;
    const logits = tf.tidy(() => this.forward!(c.arch === 'convnet' ? tf.tensor4d(x, [c.batch, 28, 28, 1]) : tf.tensor2d(x, [c.batch, 784])));
    const out = await logits.data() as Float32Array;
    logits.dispose();
    return out;
  }

  memory(): { bytes: number | null; note: string } {
    const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
    return {
      bytes: m.numBytesAllocatedInGPU ?? null,
      note: `TF.js numBytesAllocatedInGPU after warm-up: its whole backend with its buffer pool, earlier cases included; live tensors ${(m.numBytes / 2 ** 20).toFixed(2)} MiB`,
    };
  }

  async dispose(): Promise<void> {
    this.cost?.dispose();
    this.opt?.dispose();
    for (const t of this.vars) t.dispose();
    this.x?.dispose(); this.y?.dispose();
    this.vars = []; this.cost = null; this.opt = null; this.x = null; this.y = null;
  }
}

// ---------------------------------------------------------------- jax-js

type Params = Record<string, np.Array>;

let jaxReady: Promise<void> | null = null;
export function initJax(): Promise<void> {
  jaxReady ??= (async () => {
    const devices = await jaxInit('webgpu');
    if (!devices.includes('webgpu')) throw new Error(`jax-js could not start its webgpu device (init gave [${devices.join(', ')}])`);
    defaultDevice('webgpu');
  })();
  return jaxReady;
}

const maxPool2x2 = (x: np.Array) => lax.reduceWindow(x, np.max, [2, 2], [2, 2]);

/** The same layers as buildArch('convnet'): NCHW 'VALID' convs, as jax-js's own demo. */
function jaxPredict(arch: TrainCase['arch']) {
  if (arch === 'convnet') {
    return (p: Params, x: np.Array): np.Array => {
      const a1 = maxPool2x2(nn.relu(lax.convGeneralDilated(x, p.w1!, [1, 1], 'VALID').add(p.b1!)));
      const a2 = maxPool2x2(nn.relu(lax.convGeneralDilated(a1, p.w2!, [1, 1], 'VALID').add(p.b2!)));
      const h = nn.relu(np.dot(a2.reshape([-1, 800]), p.w3!).add(p.b3!));
      return np.dot(h, p.w4!).add(p.b4!);
    };
  }
  return (p: Params, x: np.Array): np.Array => np.dot(nn.relu(np.dot(x, p.w1!).add(p.b1!)), p.w2!).add(p.b2!);
}

export class JaxTrain implements TrainContender {
  readonly name = 'jax' as const;
  private p: Params | null = null;
  private mu: Params | null = null;
  private nu: Params | null = null;
  private x: np.Array | null = null;
  private y: np.Array | null = null;
  private loss: np.Array | null = null;
  private stepFn: ((...a: np.Array[]) => [np.Array, Params, Params, Params]) & { dispose(): void } | null = null;
  private predict: ((p: Params, x: np.Array) => np.Array) & { dispose(): void } | null = null;
  private t = 0;
  private c: TrainCase | null = null;

  backend(): string {
    const a = getWebGPUDevice().adapterInfo as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    if (defaultDevice() !== 'webgpu') throw new Error(`jax-js's default device is '${defaultDevice()}', not webgpu`);
    return `defaultDevice() = 'webgpu' ('${a.vendor}' / '${a.architecture}')`;
  }

  async setup(c: TrainCase, batch: Batch, weights: Weights, lr: number): Promise<number> {
    await initJax();
    this.c = c;
    this.t = 0;
    // Conv biases broadcast over (C, H, W) as (C, 1, 1).
    const convBias = new Set(c.arch === 'convnet' ? ['b1', 'b2'] : []);
    this.p = Object.fromEntries(Object.entries(weights).map(([k, w]) =>
      [k, np.array(new Float32Array(w.data)).reshape(convBias.has(k) ? [w.shape[0]!, 1, 1] : w.shape)]));
    this.mu = tree.map((a: np.Array) => np.zeros(a.shape), tree.ref(this.p)) as Params;
    this.nu = tree.map((a: np.Array) => np.zeros(a.shape), tree.ref(this.p)) as Params;
    this.x = np.array(batch.x).reshape(inputShape(c));
    this.y = np.array(batch.oneHot).reshape([c.batch, CLASSES]);
    const predict = jaxPredict(c.arch);
    const B = c.batch;
    // Mean cross-entropy, written as jax-js's MNIST demo writes it.
    const lossFn = (p: Params, x: np.Array, y: np.Array) => nn.logSoftmax(predict(p, x)).mul(y).sum().mul(-1 / B);
    const { beta1: b1, beta2: b2, eps } = ADAM;
    // One jit for the whole step (grad and Adam fused and recorded once), the fastest way jax-js
    // offers. Ownership: every argument is consumed once, so arrays used twice take .ref.
    // c1, c2 = 1 / (1 − βᵗ) come in as arrays so that a new step count does not retrace.
    this.stepFn = jit((p: Params, mu: Params, nu: Params, x: np.Array, y: np.Array, c1: np.Array, c2: np.Array) => {
      const [loss, g] = valueAndGrad(lossFn)(tree.ref(p), x, y) as [np.Array, Params];
      const np2: Params = {}, mu2: Params = {}, nu2: Params = {};
      for (const k of Object.keys(p)) {
        const gk = g[k]!;
        const m = mu[k]!.mul(b1).add(gk.ref.mul(1 - b1));
        const v = nu[k]!.mul(b2).add(gk.ref.mul(gk).mul(1 - b2));
        const upd = m.ref.mul(c1.ref).div(np.sqrt(v.ref.mul(c2.ref)).add(eps)).mul(lr);
        np2[k] = p[k]!.sub(upd);
        mu2[k] = m; nu2[k] = v;
      }
      c1.dispose(); c2.dispose();
      return [loss, np2, mu2, nu2];
    }) as unknown as JaxTrain['stepFn'];
    this.predict = jit(predict) as unknown as JaxTrain['predict'];
    return Object.values(this.p!).reduce((s, a) => s + a.size, 0);
  }

  async firstStep(): Promise<number> { this.step(); return this.sync(); }

  step(): void {
    this.t++;
    const c1 = np.array([1 / (1 - ADAM.beta1 ** this.t)]).reshape([]), c2 = np.array([1 / (1 - ADAM.beta2 ** this.t)]).reshape([]);
    this.loss?.dispose();
    [this.loss, this.p, this.mu, this.nu] = this.stepFn!(this.p as never, this.mu as never, this.nu as never, this.x!.ref, this.y!.ref, c1, c2);
  }

  async sync(): Promise<number> {
    await blockUntilReady([this.loss!, this.p!, this.mu!, this.nu!]);
    const loss = (await this.loss!.ref.data())[0]!;
    await getWebGPUDevice().queue.onSubmittedWorkDone();
    return loss;
  }

  async infer(x: Float32Array): Promise<Float32Array> {
    const logits = this.predict!(tree.ref(this.p!), np.array(x).reshape(inputShape(this.c!)));
    return await logits.data() as Float32Array;
  }

  memory(): { bytes: number | null; note: string } { return { bytes: null, note: 'jax-js exposes no allocation count' }; }

  async dispose(): Promise<void> {
    for (const t of [this.p, this.mu, this.nu]) if (t) tree.dispose(t);
    for (const a of [this.x, this.y, this.loss]) a?.dispose();
    this.stepFn?.dispose(); this.predict?.dispose();
    this.p = this.mu = this.nu = null; this.x = this.y = this.loss = null; this.stepFn = null; this.predict = null;
  }
}
