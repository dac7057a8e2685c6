/**
 * A model loaded onto a GPU context: checks support before anything runs, keeps one plan per set
 * of input shapes (batch 1 and batch 64 each compile nothing new: pipelines are cached by kernel).
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { checkSupport } from '../model/support';
import { FOLDABLE_OPS } from '../model/resolve';
import { ModelError } from '../core/errors';
import { ExecutionPlan, type HostTensor } from './plan';
import { RUNNABLE_OPS } from './ops';
import { WeightStore } from './weights';
import { lowerQdq } from './lower-qdq';
import { INTEGER_OPS } from './lower-qlinear';
import { lowerBinary } from './ops-binary';

export class InferenceSession {
  private readonly plans = new Map<string, ExecutionPlan>();
  private readonly weights: WeightStore;
  private readonly ownsWeights: boolean;

  /** The model as the engine runs it: QDQ patterns lowered onto integer kernels, binary ops onto XNOR kernels. */
  readonly runModel: Model;

  /**
   * Throws a ModelError naming every unsupported op before any GPU work. `sharedWeights`: another
   * session's uploaded constants, for a model with the same constants under the same names (a
   * re-batched copy); this session then does not release them.
   */
  constructor(readonly ctx: GpuContext, readonly model: Model, sharedWeights?: WeightStore) {
    checkSupport(model, new Set([...RUNNABLE_OPS, ...INTEGER_OPS]), FOLDABLE_OPS);
    this.runModel = lowerBinary(lowerQdq(model));
    this.weights = sharedWeights ?? new WeightStore(ctx);
    this.ownsWeights = !sharedWeights;
  }

  /** Starts another session on the same constants (see the constructor). */
  sharingWeights(model: Model): InferenceSession {
    return new InferenceSession(this.ctx, model, this.weights);
  }

  /** The model's single float input, for classifiers. */
  get input() {
    const ins = this.model.graph.inputs;
    if (ins.length !== 1) throw new ModelError(`a classifier needs exactly one input; this model has ${ins.length} (${ins.map((i) => i.name).join(', ')})`);
    return ins[0]!;
  }

  /** The batch the model fixes (it runs that many items at a time), or null when its batch dim is symbolic. */
  get fixedBatch(): number | null {
    const d = this.input.shape[0];
    return typeof d === 'number' && d >= 1 ? d : null;
  }

  /** The shape of the single input for a batch of `n`, symbolic dims other than the first taken from `itemShape`. */
  inputShapeFor(n: number): number[] {
    const dims = this.input.shape;
    return dims.map((d, i) => (i === 0 ? n : typeof d === 'number' ? d : NaN)).map((d, i) => {
      if (Number.isNaN(d)) throw new ModelError(`input '${this.input.name}' has a symbolic dimension '${dims[i]}' at position ${i}; only the batch dimension may be symbolic`);
      return d;
    });
  }

  plan(inputShapes: Record<string, number[]>): ExecutionPlan {
    const key = JSON.stringify(inputShapes);
    let p = this.plans.get(key);
    if (!p) {
      p = new ExecutionPlan(this.ctx, this.runModel, this.weights, inputShapes);
      this.plans.set(key, p);
    }
    return p;
  }

  /**
   * The plan for these shapes, its missing pipelines compiled in parallel first (a dry run of the
   * planning finds them): the way to plan a model the context has not seen. Not on a software
   * adapter: SwiftShader under Dawn compiles on one thread either way, and the dry run made
   * densenet121's plan slower (1.35–1.61 s against 1.13–1.17 s, 2026-12-06); hardware drivers
   * compile async pipelines on their own threads (to be measured by the GPU run).
   */
  async prepare(inputShapes: Record<string, number[]>, ahead = !this.ctx.info.isFallback): Promise<ExecutionPlan> {
    if (ahead && !this.plans.has(JSON.stringify(inputShapes))) {
      await this.ctx.compileAhead(() => new ExecutionPlan(this.ctx, this.runModel, this.weights, inputShapes).destroy());
    }
    return this.plan(inputShapes);
  }

  /** Bytes of the constants uploaded so far (shared ones included). */
  get weightBytes(): number { return this.weights.byteSize; }

  /**
   * Device bytes this session holds to run at these shapes: its constants uploaded so far, and the
   * plan's activations, scratch and params uniforms (what a run reads back comes on top, briefly).
   */
  deviceBytes(inputShapes: Record<string, number[]>): { weights: number; activations: number; uniforms: number; total: number } {
    const { heldBytes, uniformBytes } = this.plan(inputShapes).memory;
    const weights = this.weightBytes;
    return { weights, activations: heldBytes, uniforms: uniformBytes, total: weights + heldBytes + uniformBytes };
  }

  /** Runs a batch through the single-input model; returns the first output. */
  async runBatch(input: Float32Array, shape: number[], timed = false): Promise<{ output: HostTensor; gpuMs: number | null }> {
    const plan = this.plan({ [this.input.name]: shape });
    const { outputs, gpuMs } = await plan.run({ [this.input.name]: input }, timed);
    return { output: outputs[0]!, gpuMs };
  }

  /** Runs with named inputs of any shapes (conformance cases, multi-input graphs). */
  async run(inputs: Record<string, HostTensor>): Promise<HostTensor[]> {
    const shapes = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.shape]));
    const data = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.data]));
    return (await this.plan(shapes).run(data)).outputs;
  }

  destroy(): void {
    for (const p of this.plans.values()) p.destroy();
    this.plans.clear();
    if (this.ownsWeights) this.weights.destroy();
  }
}
