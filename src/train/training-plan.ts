/**
 * One training step of a model at a fixed batch, planned once: the unfused forward (BatchNorm in
 * training mode, weights read from the parameter store), the loss, the backward built by a reverse
 * walk over the graph with the gradient-rule table, and the optimizer. Every buffer, uniform and
 * bind group is made here and released by destroy(), so steps allocate nothing.
 */
import type { Dispatch, GpuContext } from '../gpu/context';
import type { Model, Node, ValueInfo } from '../model/ir';
import { attrFloat, attrInt, attrString } from '../model/ir';
import { indexNodes } from '../model/graph';
import { resolveGraph, type ResolvedGraph } from '../model/resolve';
import { ModelError } from '../core/errors';
import { sizeOf } from '../core/shape';
import { NO_ACTIVATION, type Activation, type GpuTensor } from '../kernels/common';
import { binary } from '../kernels/binary';
import { OPS, type OpCall } from '../engine/ops';
import { opCall, type OpCallSource } from '../engine/op-types';
import { WeightStore } from '../engine/weights';
import { FUSES_ACTIVATION } from '../engine/fuse';
import { batchNormTrainForward } from '../kernels/train-grads';
import { softmaxCrossEntropy } from '../kernels/loss';
import { optimizerPairStep, optimizerStep, createHyperBuffer, type OptimizerKind, type OptimizerSlot } from '../kernels/optimizer';
import { fakeQuantSte, signSte, steChannelStat } from '../kernels/qat-ste';

export type { OptimizerKind };
import { activationGrid, GRAD_RULES, type GradCall } from './grad-rules';
import type { ParamStore } from './params';

/** What a training-only op's forward sees: the op table's call, plus buffers kept for its backward. */
export interface TrainForwardCall extends OpCall {
  /** A plan-owned buffer that the op's gradient rule reads back as `saved(key)`. */
  save(key: string, shape: number[]): GpuTensor;
}

/**
 * Forwards of ops that exist only in training graphs (quantisation-aware training's straight-through
 * nodes, made by train/qat.ts): consulted before the op table, so they never enter inference.
 */
export const TRAIN_FORWARD: Readonly<Record<string, (c: TrainForwardCall) => Dispatch[]>> = {
  /** alpha[c] * sign(W) along `axis` (scaled = 1, alpha saved for the backward) or sign(x); sign(0) = +1. */
  StudioSignSTE(c) {
    const x = c.input(0), y = c.output(0), n = c.node.name;
    if (attrInt(c.node, 'scaled', 0) !== 1) return signSte(c.ctx, x, null, y, 0, n);
    const axis = attrInt(c.node, 'axis', 0);
    const alpha = c.save('alpha', [x.shape[axis] ?? 1]);
    return [...steChannelStat(c.ctx, 'absMean', x, null, alpha, axis, `${n}:alpha`), ...signSte(c.ctx, x, alpha, y, axis, n)];
  },
  /** The int8 quantizer's grids (train/qat.ts): per-channel symmetric weights, int32 biases, per-tensor activations. */
  StudioFakeQuantSTE(c) {
    const kind = attrString(c.node, 'kind', ''), n = c.node.name;
    if (kind === 'activation') return fakeQuantSte(c.ctx, c.input(0), c.output(0), activationGrid(c.node), n);
    const w = kind === 'weight' ? c.input(0) : c.input(1), axis = attrInt(c.node, 'axis', 0);
    const scales = c.scratch(`${n}:scales`, [w.shape[axis] ?? 1]);
    const stat = steChannelStat(c.ctx, 'int8Scale', w, null, scales, axis, `${n}:scales`);
    if (kind === 'weight') return [...stat, ...fakeQuantSte(c.ctx, w, c.output(0), { scale: 1, zero: 0, qmin: -127, qmax: 127, perChannel: { scales, axis } }, n)];
    if (kind === 'bias') {
      const grid = { scale: attrFloat(c.node, 'x_scale', 0), zero: 0, qmin: -(2 ** 31), qmax: 2 ** 31 - 1, perChannel: { scales, axis: 0 } };
      return [...stat, ...fakeQuantSte(c.ctx, c.input(0), c.output(0), grid, n)];
    }
    throw new ModelError(`node '${n}' (StudioFakeQuantSTE): kind '${kind}' is not one of weight, bias, activation`);
  },
};

export interface LossSpec {
  /** Distillation temperature T (used only with a teacher). */
  temperature: number;
  /** Weight α of the soft (teacher) term; 1 − α goes to the hard labels. 0 without a teacher. */
  alpha: number;
}

/** Columns of the per-row stats the loss kernel writes. */
export const STAT = { loss: 0, correct: 1, agree: 2, finite: 3 } as const;

/**
 * The model as training sees it: parameters become graph inputs (so nothing folds them into
 * constants), and the loss reads the logits: a final Softmax / LogSoftmax is skipped, as
 * cross-entropy on logits is the stable form of the same thing.
 */
export interface TrainableGraph {
  model: Model;
  input: string;
  logits: string;
  /** The graph's output the logits feed (itself, or the skipped Softmax's output). */
  output: string;
}

export function trainableGraph(model: Model, params: ParamStore): TrainableGraph {
  const g = model.graph;
  if (g.inputs.length !== 1) throw new ModelError(`training needs a model with one input; this one has ${g.inputs.length}`);
  if (g.outputs.length !== 1) throw new ModelError(`training needs a model with one output (the class scores); this one has ${g.outputs.length}`);
  const output = g.outputs[0]!.name;
  const last = g.nodes.find((n) => n.outputs.includes(output));
  const logits = last && (last.opType === 'Softmax' || last.opType === 'LogSoftmax') ? last.inputs[0]! : output;
  const paramInputs: ValueInfo[] = [...params.entries.values()].map((e) => ({ name: e.name, dtype: 'float32', shape: e.shape }));
  const trainModel: Model = {
    ...model,
    graph: {
      ...g,
      inputs: [...g.inputs, ...paramInputs],
      outputs: [{ name: logits, dtype: 'float32', shape: [] }],
    },
  };
  return { model: trainModel, input: g.inputs[0]!.name, logits, output };
}

export interface TrainingPlanOptions {
  batch: number;
  /** The input's shape for one batch (batch first). */
  inputShape: number[];
  loss: LossSpec;
  /** Teacher logits are bound here by the trainer (same shape as the student's logits), or null. */
  withTeacher: boolean;
  optimizer: OptimizerKind;
  /** Let Conv / Gemm / MatMul apply a following Relu themselves (default true; false for tests that compare). */
  fuseRelu?: boolean;
}

const RELU: Activation = { kind: 'relu' };

/**
 * Conv / Gemm / MatMul whose only consumer is a Relu: the layer's kernel applies the Relu itself
 * (one dispatch fewer a layer). `into` maps the layer to its Relu, `skip` holds the Relus.
 */
function reluFusions(nodes: readonly Node[], logits: string): { into: Map<string, Node>; skip: Set<string> } {
  const { sole } = indexNodes(nodes, [logits]); // the logits are read by the loss: never fused away
  const into = new Map<string, Node>(), skip = new Set<string>();
  for (const n of nodes) {
    const y = n.outputs[0];
    const relu = y ? sole(y) : null;
    if (!FUSES_ACTIVATION.has(n.opType) || n.outputs.length !== 1 || relu?.opType !== 'Relu') continue;
    into.set(n.name, relu);
    skip.add(relu.name);
  }
  return { into, skip };
}

export class TrainingPlan {
  readonly forward: Dispatch[] = [];
  readonly loss: Dispatch[] = [];
  readonly backward: Dispatch[] = [];
  readonly optimizer: Dispatch[] = [];
  /** The batch's input, labels (class index as f32, −1 for padding rows) and teacher logits. */
  readonly x: GpuTensor;
  readonly labels: GpuTensor;
  readonly teacher: GpuTensor | null;
  readonly logits: GpuTensor;
  /** (batch, 4) per-row [loss, correct, agree, finite]. */
  readonly stats: GpuTensor;
  /** lr, momentum/β, ... for parameters with weight decay and without (biases, BatchNorm). */
  readonly hyperDecay: GPUBuffer;
  readonly hyperNoDecay: GPUBuffer;
  /** Each trained parameter's gradient, for checks and for finding where a non-finite value began. */
  readonly grads = new Map<string, GpuTensor>();
  readonly resolved: ResolvedGraph;
  private readonly owned: GPUBuffer[] = [];
  private readonly uniforms: GPUBuffer[] = [];
  private readonly constants: WeightStore;

  constructor(private readonly ctx: GpuContext, readonly graph: TrainableGraph, readonly params: ParamStore, opts: TrainingPlanOptions) {
    const shapes: Record<string, number[]> = { [graph.input]: opts.inputShape };
    for (const e of params.entries.values()) shapes[e.name] = e.shape;
    this.resolved = resolveGraph(graph.model, shapes);
    this.constants = new WeightStore(ctx);
    const { result, uniforms } = ctx.owningUniforms(() => this.build(opts));
    this.uniforms.push(...uniforms);
    [this.x, this.labels, this.teacher, this.logits, this.stats] = result;
    this.hyperDecay = this.ownU(createHyperBuffer(ctx, 'hyper:decay'));
    this.hyperNoDecay = this.ownU(createHyperBuffer(ctx, 'hyper:no-decay'));
    const { result: opt, uniforms: u2 } = ctx.owningUniforms(() => this.buildOptimizer(opts.optimizer));
    this.optimizer.push(...opt);
    this.uniforms.push(...u2);
  }

  private ownU(b: GPUBuffer): GPUBuffer { this.uniforms.push(b); return b; }

  private alloc(label: string, shape: number[]): GpuTensor {
    const buffer = this.ctx.acquire(label, Math.max(1, sizeOf(shape)) * 4);
    this.owned.push(buffer);
    return { buffer, shape };
  }

  private build(opts: TrainingPlanOptions): [GpuTensor, GpuTensor, GpuTensor | null, GpuTensor, GpuTensor] {
    const { resolved: r, params, graph } = this;
    const shapeOf = (name: string) => {
      const v = r.values[name];
      if (!v) throw new ModelError(`value '${name}' has no known shape`);
      return v.shape;
    };
    const values = new Map<string, GpuTensor>();
    const x = this.alloc(`train:${graph.input}`, shapeOf(graph.input));
    values.set(graph.input, x);
    for (const e of params.entries.values()) values.set(e.name, e.value);
    const tensorOf = (name: string): GpuTensor => {
      const v = values.get(name);
      if (v) return v;
      const c = r.constants[name];
      if (!c) throw new ModelError(`value '${name}' is used before it is computed`);
      return this.constants.tensor(name, c);
    };
    const saved = new Map<string, GpuTensor>();
    // Every value the backward reads keeps its own buffer, so scratch is never shared here.
    const source: OpCallSource = {
      ctx: this.ctx, opset: graph.model.opset, tensorOf, values, constants: r.constants, weights: this.constants,
      dtypes: (name) => r.values[name]?.dtype, scratch: (label, shape) => this.alloc(label, shape),
    };
    const fusedRelu = opts.fuseRelu === false ? { into: new Map<string, Node>(), skip: new Set<string>() } : reluFusions(r.nodes, graph.logits);

    // Forward, unfused but for Relu after Conv / Gemm / MatMul (reluFusions): every value the backward reads stays in its own buffer.
    for (const node of r.nodes) {
      if (fusedRelu.skip.has(node.name)) continue;
      const relu = fusedRelu.into.get(node.name);
      if (relu) {
        // The layer writes relu(y) straight into the Relu's output, and y's name reads that buffer:
        // the layer's backward reads only its inputs, and Relu's mask dy·(x > 0) is dy·(relu(x) > 0).
        const t = this.alloc(`train:${relu.outputs[0]}`, shapeOf(relu.outputs[0]!));
        values.set(relu.outputs[0]!, t);
        values.set(node.outputs[0]!, t);
      }
      for (const o of node.outputs) if (o && !values.has(o) && !OPS[node.opType]?.alias) values.set(o, this.alloc(`train:${o}`, shapeOf(o)));
      if (node.opType === 'BatchNormalization') {
        this.forward.push(...this.batchNormForward(node, tensorOf, values, saved));
        continue;
      }
      const trainOnly = Object.hasOwn(TRAIN_FORWARD, node.opType) ? TRAIN_FORWARD[node.opType]! : undefined;
      const impl = OPS[node.opType];
      if (!impl && !trainOnly) throw new ModelError(`node '${node.name}' uses op '${node.opType}', which the studio does not run yet`);
      if (impl?.alias && !trainOnly) {
        const src = tensorOf(node.inputs[0]!);
        values.set(node.outputs[0]!, { buffer: src.buffer, shape: shapeOf(node.outputs[0]!) });
        continue;
      }
      const call: TrainForwardCall = {
        ...opCall(source, node, relu ? RELU : NO_ACTIVATION),
        save: (key, shape) => {
          const t = this.alloc(`${node.name}:${key}`, shape);
          saved.set(`${node.name}:${key}`, t);
          return t;
        },
      };
      this.forward.push(...(trainOnly ? trainOnly(call) : impl!.plan!(call)));
    }

    // Loss on the logits, as (batch, classes).
    const logitsT = tensorOf(graph.logits);
    const B = opts.batch;
    const K = sizeOf(logitsT.shape) / B;
    if (!Number.isInteger(K) || logitsT.shape[0] !== B) {
      throw new ModelError(`the model's scores '${graph.logits}' have shape [${logitsT.shape}]; training needs one row of class scores per item (batch ${B} first)`);
    }
    const logits2 = { buffer: logitsT.buffer, shape: [B, K] };
    const labels = this.alloc('train:labels', [B]);
    const teacher = opts.withTeacher ? this.alloc('train:teacher', [B, K]) : null;
    const dlogits = this.alloc('train:dlogits', [B, K]);
    const stats = this.alloc('train:stats', [B, 4]);
    this.loss.push(...softmaxCrossEntropy(this.ctx, logits2, labels, teacher, dlogits, stats, {
      temperature: opts.loss.temperature, alpha: teacher ? opts.loss.alpha : 0,
    }, 'loss'));

    this.planBackward(tensorOf, values, saved, { buffer: dlogits.buffer, shape: logitsT.shape });
    return [x, labels, teacher, logits2, stats];
  }

  /** ONNX BatchNormalization with batch statistics; the running mean and variance update in place. */
  private batchNormForward(node: Node, tensorOf: (n: string) => GpuTensor, values: Map<string, GpuTensor>, saved: Map<string, GpuTensor>): Dispatch[] {
    const [xName, g, b, m, v] = node.inputs as [string, string, string, string, string];
    for (const s of [m, v]) {
      if (this.params.entries.get(s)?.role !== 'state') throw new ModelError(`node '${node.name}' (BatchNormalization): its running statistics '${s}' must be initializers to train`);
    }
    const C = tensorOf(g).shape[0]!;
    const stats = this.alloc(`${node.name}:meanInvStd`, [2, C]);
    saved.set(`${node.name}:meanInvStd`, stats);
    return batchNormTrainForward(this.ctx, tensorOf(xName), tensorOf(g), tensorOf(b), values.get(node.outputs[0]!)!, stats,
      tensorOf(m), tensorOf(v), { epsilon: attrFloat(node, 'epsilon', 1e-5), momentum: attrFloat(node, 'momentum', 0.9) }, node.name);
  }

  /**
   * The reverse walk: values on a path from a parameter to the logits get gradients; each node
   * with such an output runs its rule; several consumers' contributions are summed once, just
   * before the producer's rule reads them.
   */
  private planBackward(tensorOf: (n: string) => GpuTensor, values: Map<string, GpuTensor>, saved: Map<string, GpuTensor>, dLogits: GpuTensor): void {
    const { resolved: r, graph } = this;
    const nodes = r.nodes;
    const fromParam = new Set<string>([...this.params.trainable].map((e) => e.name));
    for (const n of nodes) if (n.inputs.some((i) => i && fromParam.has(i))) for (const o of n.outputs) if (o) fromParam.add(o);
    const toLoss = new Set<string>([graph.logits]);
    for (const n of [...nodes].reverse()) if (n.outputs.some((o) => o && toLoss.has(o))) for (const i of n.inputs) if (i) toLoss.add(i);
    const graded = (v: string) => fromParam.has(v) && toLoss.has(v);

    const missing = nodes.filter((n) => n.outputs.some((o) => o && graded(o)) && !Object.hasOwn(GRAD_RULES, n.opType));
    if (missing.length) {
      const ops = [...new Set(missing.map((n) => n.opType))];
      throw new ModelError(`training cannot differentiate ${ops.join(', ')} (node${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((n) => `'${n.name}'`).join(', ')}${missing.length > 5 ? ', …' : ''}); ` +
        'no gradient rule exists for that op yet, so a model with it between its parameters and its output cannot be trained');
    }

    const contributions = new Map<string, GpuTensor[]>([[graph.logits, [dLogits]]]);
    const total = (name: string): GpuTensor => {
      const parts = contributions.get(name);
      if (!parts?.length) throw new ModelError(`value '${name}' gets no gradient (an unused output of a trained node)`);
      if (parts.length === 1) return parts[0]!;
      const shape = tensorOf(name).shape;
      const as = (t: GpuTensor) => ({ buffer: t.buffer, shape });
      // A new buffer per partial sum: a dispatch may not read and write one buffer.
      let sum = as(parts[0]!);
      parts.slice(1).forEach((p, k) => {
        const next = this.alloc(`grad:${name}:sum${k}`, shape);
        this.backward.push(...binary(this.ctx, 'add', sum, as(p), next, `grad:${name}:sum${k}`));
        sum = next;
      });
      contributions.set(name, [sum]);
      return sum;
    };
    const add = (name: string, t: GpuTensor) => {
      const list = contributions.get(name) ?? [];
      list.push(t);
      contributions.set(name, list);
    };

    for (const node of [...nodes].reverse()) {
      if (!node.outputs.some((o) => o && graded(o))) continue;
      const rule = GRAD_RULES[node.opType]!;
      const call: GradCall = {
        ctx: this.ctx, node, opset: graph.model.opset,
        x: (i) => tensorOf(node.inputs[i]!),
        hasInput: (i) => Boolean(node.inputs[i]),
        constant: (i) => (node.inputs[i] ? r.constants[node.inputs[i]!] : undefined),
        y: (i) => values.get(node.outputs[i]!)!,
        dy: (i) => total(node.outputs[i]!),
        wants: (i) => Boolean(node.inputs[i]) && graded(node.inputs[i]!),
        dx: (i) => {
          const name = node.inputs[i]!;
          const t = this.alloc(`grad:${name}:from:${node.name}`, tensorOf(name).shape);
          add(name, t);
          return t;
        },
        passDx: (i, t) => add(node.inputs[i]!, t),
        saved: (key) => {
          const s = saved.get(`${node.name}:${key}`);
          if (!s) throw new ModelError(`node '${node.name}' (${node.opType}): the training forward saved no '${key}'`);
          return s;
        },
        scratch: (label, shape) => this.alloc(label, shape),
      };
      this.backward.push(...rule.backward(call));
    }
    for (const e of this.params.trainable) if (contributions.get(e.name)?.length) this.grads.set(e.name, total(e.name));
  }

  private buildOptimizer(kind: OptimizerKind): Dispatch[] {
    const slots: { name: string; slot: OptimizerSlot }[] = [];
    for (const e of this.params.trainable) {
      const g = this.grads.get(e.name);
      if (!g) continue; // a parameter that does not reach the output stays as it is
      slots.push({ name: e.name, slot: { param: e.value, grad: g, state1: e.s1, state2: e.s2, hyper: e.role === 'weight' ? this.hyperDecay : this.hyperNoDecay } });
    }
    // Two parameters a dispatch (in store order: a layer's weight with its bias).
    const out: Dispatch[] = [];
    for (let i = 0; i < slots.length; i += 2) {
      const [a, b] = [slots[i]!, slots[i + 1]];
      out.push(...(b ? optimizerPairStep(this.ctx, a.slot, b.slot, { kind }, `opt:${a.name}+${b.name}`)
        : optimizerStep(this.ctx, a.slot.param, a.slot.grad, a.slot.state1, a.slot.state2, a.slot.hyper, { kind }, `opt:${a.name}`)));
    }
    return out;
  }

  /** Names of the trainable parameters that reach the loss. */
  get trainedNames(): string[] { return [...this.grads.keys()]; }

  destroy(): void {
    for (const b of this.owned) this.ctx.release(b);
    this.owned.length = 0;
    for (const u of this.uniforms) this.ctx.destroyBuffer(u);
    this.uniforms.length = 0;
    this.constants.destroy();
  }
}
