/**
 * Quantisation-aware training (QAT) with straight-through estimators. prepareQat turns a float
 * model into a TRAINING model whose chosen Conv/Gemm layers read their weights (and, for binary,
 * their inputs) through training-only nodes, and finishQat turns the trained model into the
 * deployable one. The training forward computes what the deployed kernels compute (up to f32
 * rounding), so the accuracy seen while training is the accuracy deployed.
 *
 * Binary (docs/binary-format.md, XNOR-Net): each binarized layer reads
 *     sign(x + t)  and  alpha[n] * sign(W[n, :]),  alpha[n] = mean |W[n, :]|,  sign(0) = +1
 * through StudioSignSTE nodes (gradient straight through where |v| <= clip, plus alpha's exact
 * derivative). t is a trained per-channel shift (a plain Add, kept in the deployed model) that
 * starts at minus the channel's calibrated mean: without it a layer after ReLU sees sign(x) = +1
 * everywhere and its output no longer depends on the input. finishQat rewrites the layers to
 * XnorConv/XnorGemm (binarizeModel) with the trained weights; activation_scale (beta) stays off.
 *
 * int8 (compress/quantize.ts's QDQ form, static ranges, per-channel symmetric weights): each
 * layer reads fake-quantised input, weight (max |W| / 127 per channel, recomputed every step) and
 * bias (int32 on the grid x_scale * w_scale[c]), and its output (after a fused ReLU) is
 * fake-quantised, through StudioFakeQuantSTE nodes whose activation grids are the calibrated
 * ranges, fixed during training. finishQat writes the quantizer's QDQ model with the trained
 * weights and those grids (onnxruntime runs it; the studio lowers it onto its int8 kernels).
 *
 * The training-only nodes are internal (default domain, Studio* names): they run in training plans
 * only (train/training-plan.ts TRAIN_FORWARD, train/grad-rules.ts) and never reach a file.
 */
import type { AttrValue, Model, Node, TensorData } from '../model/ir';
import { attrFloat, attrInt, attrString } from '../model/ir';
import { freshNamer } from '../model/graph';
import type { GpuContext } from '../gpu/context';
import { ModelError } from '../core/errors';
import { InferenceSession } from '../engine/session';
import type { Batch } from '../engine/evaluate';
import { applyBinary, planBinary, DEFAULT_BINARY_RECIPE, type BinaryRecipe } from '../compress/binarize';
import { planInt8, DEFAULT_INT8_RECIPE, type Int8Recipe } from '../compress/quantize-plan';
import { activationParams, applyInt8 } from '../compress/quantize';
import { observeTensors } from '../compress/calibrate';
import type { QuantParams, Range } from '../compress/ranges';

export type QatMode = 'binary' | 'int8';

export const SIGN_STE = 'StudioSignSTE';
export const FAKE_QUANT_STE = 'StudioFakeQuantSTE';

/** What calibration measured on the float model (calibrateQat). */
export interface QatCalibration {
  /** int8: ranges of the tensors the int8 plan quantizes (as quantizeInt8 returns them). */
  ranges?: Record<string, Range>;
  /** binary: per-channel mean of each binarized layer's input (dim 1 of (N, C, ...); each feature of (N, K)). */
  means?: Record<string, Float32Array>;
}

export interface QatOptions {
  /** binary: which layers (default: all Conv/Gemm but the first and last); activationScale must be off. */
  binary?: BinaryRecipe;
  /** int8: default DEFAULT_INT8_RECIPE; needs static activations and per-channel symmetric weights. */
  int8?: Int8Recipe;
  /** Required for int8 (the activation grids); for binary, the shifts start at 0 without it. */
  calibration?: QatCalibration;
  /** binary: the activations' straight-through window |x + t| <= clip (hardtanh's; default 1). */
  clip?: number;
}

const int = (value: number): AttrValue => ({ type: 'int', value });
const float = (value: number): AttrValue => ({ type: 'float', value: Math.fround(value) });
const str = (value: string): AttrValue => ({ type: 'string', value });

/** Names for the values and nodes QAT adds: node names are reserved too, as it names nodes with them. */
const freshNames = (model: Model) => freshNamer(model.graph, { reserve: model.graph.nodes.map((n) => n.name) });

const weightAxis = (node: Node) => (node.opType === 'Conv' || attrInt(node, 'transB', 0) === 1 ? 0 : 1);

/** Calibrates what prepareQat needs on `samples` items of batchAt (the float model on the GPU). */
export async function calibrateQat(
  ctx: GpuContext, model: Model, mode: QatMode, batchAt: (start: number, count: number) => Batch, samples = 256, opts: QatOptions = {},
): Promise<QatCalibration> {
  if (mode === 'int8') {
    const recipe = int8Recipe(opts);
    const plan = planInt8(model, recipe);
    const observers = await observeTensors(ctx, model, plan.targets, batchAt, samples, 64);
    return { ranges: Object.fromEntries(Object.entries(observers).map(([t, o]) => [t, o.range(recipe.calibration, recipe.percentile)])) };
  }
  const plan = planBinary(model, binaryRecipe(opts));
  const targets = [...new Set(plan.layers.map((l) => l.node.inputs[0]!))];
  return { means: await channelMeans(ctx, model, targets, batchAt, samples) };
}

/** Per-channel means (over the batch and any spatial dims) of `targets`, read back as extra outputs. */
async function channelMeans(
  ctx: GpuContext, model: Model, targets: string[], batchAt: (start: number, count: number) => Batch, samples: number,
): Promise<Record<string, Float32Array>> {
  const known = new Set(model.graph.outputs.map((o) => o.name));
  const observed: Model = {
    ...model,
    graph: { ...model.graph, outputs: [...model.graph.outputs, ...targets.filter((t) => !known.has(t)).map((name) => ({ name, dtype: 'float32' as const, shape: [] }))] },
  };
  const session = new InferenceSession(ctx, observed);
  const index = new Map(observed.graph.outputs.map((o, i) => [o.name, i]));
  const sums = new Map<string, Float64Array>();
  let items = 0;
  try {
    for (let start = 0; start < samples;) {
      const batch = batchAt(start, Math.min(64, samples - start));
      const real = batch.labels.length;
      if (real === 0) throw new ModelError(`calibration ran out of items at ${start} of ${samples}`);
      const { outputs } = await session.plan({ [session.input.name]: batch.shape }).run({ [session.input.name]: batch.input });
      for (const t of targets) {
        const out = outputs[index.get(t)!]!;
        const C = out.shape[1] ?? 1, inner = out.shape.slice(2).reduce((a, b) => a * b, 1);
        const s = sums.get(t) ?? new Float64Array(C);
        for (let n = 0; n < real; n++) for (let c = 0; c < C; c++) for (let j = 0; j < inner; j++) s[c]! += out.data[(n * C + c) * inner + j]! / inner;
        sums.set(t, s);
      }
      items += real;
      start += real;
    }
  } finally {
    session.destroy();
  }
  return Object.fromEntries([...sums].map(([t, s]) => [t, Float32Array.from(s, (v) => v / items)]));
}

function binaryRecipe(opts: QatOptions): BinaryRecipe {
  const recipe = opts.binary ?? DEFAULT_BINARY_RECIPE;
  if (recipe.activationScale) throw new ModelError('binary QAT trains without activation_scale (beta = 1); turn activationScale off');
  return recipe;
}

function int8Recipe(opts: QatOptions): Int8Recipe {
  const recipe = opts.int8 ?? DEFAULT_INT8_RECIPE;
  if (recipe.activations !== 'static' || !recipe.perChannel || !recipe.symmetricWeights) {
    throw new ModelError('int8 QAT trains static activation ranges with per-channel symmetric weights; dynamic activations, per-tensor or asymmetric weights are not supported');
  }
  return recipe;
}

/** The training model for `mode` (see the file comment); the original model is not changed. */
export function prepareQat(model: Model, mode: QatMode, opts: QatOptions = {}): Model {
  return mode === 'binary' ? prepareBinary(model, opts) : prepareInt8(model, opts);
}

function prepareBinary(model: Model, opts: QatOptions): Model {
  const plan = planBinary(model, binaryRecipe(opts));
  if (!plan.layers.length) throw new ModelError(`no layer of this model can be binarized (${plan.kept.map((k) => `'${k.node}': ${k.reason}`).join('; ') || 'it has no Conv or Gemm layers'})`);
  const g = model.graph;
  const fresh = freshNames(model);
  const init: Record<string, TensorData> = { ...g.initializers };
  const clip = opts.clip ?? 1;
  const signOf = new Map<string, string>(); // layer input -> its shifted sign
  const layers = new Set(plan.layers.map((l) => l.node));
  const nodes: Node[] = [];
  for (const node of g.nodes) {
    if (!layers.has(node)) { nodes.push(node); continue; }
    const [x, w, ...rest] = node.inputs as [string, string, ...string[]];
    const wt = init[w]!;
    if (!signOf.has(x)) {
      // Channels of the input: C of a conv's (N, C, H, W) (the weight's C/group times group), K of a Gemm's (N, K).
      const C = node.opType === 'Conv' ? wt.dims[1]! * attrInt(node, 'group', 1) : weightAxis(node) === 0 ? wt.dims[1]! : wt.dims[0]!;
      const mean = opts.calibration?.means?.[x];
      if (mean && mean.length !== C) throw new ModelError(`calibration of '${x}' has ${mean.length} channels, layer '${node.name}' reads ${C}`);
      const t = fresh(`${x}::qat_shift`), shifted = fresh(`${x}::qat_shifted`), sign = fresh(`${x}::qat_sign`);
      init[t] = { dtype: 'float32', dims: node.opType === 'Conv' ? [C, 1, 1] : [C], data: Float32Array.from({ length: C }, (_, c) => -(mean?.[c] ?? 0)) };
      nodes.push(
        { name: fresh(`${x}::qat_shift_add`), opType: 'Add', domain: '', inputs: [x, t], outputs: [shifted], attrs: {} },
        { name: fresh(`${x}::qat_sign_ste`), opType: SIGN_STE, domain: '', inputs: [shifted], outputs: [sign], attrs: { scaled: int(0), clip: float(clip) } },
      );
      signOf.set(x, sign);
    }
    const wSign = fresh(`${w}::qat_sign`);
    nodes.push({ name: fresh(`${node.name}::qat_weight_sign`), opType: SIGN_STE, domain: '', inputs: [w], outputs: [wSign], attrs: { scaled: int(1), axis: int(weightAxis(node)) } });
    nodes.push({ ...node, inputs: [signOf.get(x)!, wSign, ...rest] });
  }
  return { ...model, graph: { ...g, nodes, initializers: init } };
}

function prepareInt8(model: Model, opts: QatOptions): Model {
  const recipe = int8Recipe(opts);
  const ranges = opts.calibration?.ranges;
  if (!ranges) throw new ModelError('int8 QAT needs calibrated activation ranges (calibrateQat)');
  const plan = planInt8(model, recipe);
  if (!plan.layers.length) throw new ModelError(`no layer of this model can be quantized to int8 (${plan.skipped.map((s) => `'${s.node}': ${s.reason}`).join('; ') || 'it has no Conv or Gemm layers'})`);
  const params = activationParams(model, plan, ranges, recipe);
  const g = model.graph;
  const fresh = freshNames(model);
  const byNode = new Map(plan.layers.map((l) => [l.node, l]));
  const byWriter = new Map(plan.layers.map((l) => [l.relu ?? l.node, l]));
  const quantizedOutputs = new Set(plan.layers.map((l) => l.output));
  const inputFq = new Map<string, string>();
  const act = (tensor: string, from: string, to: string): Node => ({
    name: fresh(`${tensor}::qat_fake_quant`), opType: FAKE_QUANT_STE, domain: '', inputs: [from], outputs: [to],
    attrs: { kind: str('activation'), tensor: str(tensor), scale: float(params[tensor]!.scale), zero_point: int(params[tensor]!.zero) },
  });
  const nodes: Node[] = [];
  for (const original of g.nodes) {
    const node = { ...original, inputs: [...original.inputs], outputs: [...original.outputs] };
    const layer = byNode.get(original);
    if (layer) {
      const x = layer.input;
      if (!quantizedOutputs.has(x)) {
        if (!inputFq.has(x)) { const q = fresh(`${x}::qat`); nodes.push(act(x, x, q)); inputFq.set(x, q); }
        node.inputs[0] = inputFq.get(x)!;
      }
      const [w, b] = [node.inputs[1]!, node.inputs[2]];
      const axis = layer.weightRowsAreOutputs ? 0 : 1;
      const wq = fresh(`${w}::qat`);
      nodes.push({ name: fresh(`${w}::qat_fake_quant`), opType: FAKE_QUANT_STE, domain: '', inputs: [w], outputs: [wq], attrs: { kind: str('weight'), axis: int(axis) } });
      node.inputs[1] = wq;
      const bias = b ? g.initializers[b] : undefined;
      if (b && bias && bias.data.length === g.initializers[w]!.dims[axis]) {
        const bq = fresh(`${b}::qat`);
        nodes.push({
          name: fresh(`${b}::qat_fake_quant`), opType: FAKE_QUANT_STE, domain: '', inputs: [b, w], outputs: [bq],
          attrs: { kind: str('bias'), axis: int(axis), x_scale: float(params[x]!.scale) },
        });
        node.inputs[2] = bq;
      }
    }
    const writes = byWriter.get(original);
    if (writes) {
      const raw = fresh(`${writes.output}::qat_float`);
      node.outputs[0] = raw;
      nodes.push(node, act(writes.output, raw, writes.output));
      continue;
    }
    nodes.push(node);
  }
  return { ...model, graph: { ...g, nodes } };
}

/**
 * The deployable model of a trained QAT model: binary, the studio's XnorConv/XnorGemm format on
 * the trained weights (the shifts stay as Add nodes); int8, the quantizer's QDQ model with the
 * trained weights and the grids training used.
 */
export function finishQat(trained: Model, mode: QatMode): Model {
  const g = trained.graph;
  const ste = g.nodes.filter((n) => n.opType === (mode === 'binary' ? SIGN_STE : FAKE_QUANT_STE));
  if (!ste.length) throw new ModelError(`this model has no ${mode} QAT nodes (${mode === 'binary' ? SIGN_STE : FAKE_QUANT_STE}); prepare it with prepareQat(model, '${mode}')`);
  const other = g.nodes.find((n) => n.opType === (mode === 'binary' ? FAKE_QUANT_STE : SIGN_STE));
  if (other) throw new ModelError(`node '${other.name}' (${other.opType}) belongs to the other QAT mode`);

  // Drop the training nodes: consumers read the node's input again, except that an int8 output
  // grid gives the tensor name back to the op that wrote it.
  const rename = new Map<string, string>(); // value -> the value it stands for
  const outputName = new Map<string, string>(); // raw output -> grid tensor name
  const layers = new Set<string>(); // weights read through a training node: their layers are the quantized ones
  const params: Record<string, QuantParams> = {};
  for (const n of ste) {
    const kind = attrString(n, 'kind', '');
    if (mode === 'binary' && attrInt(n, 'scaled', 0) === 1) layers.add(n.outputs[0]!);
    if (mode === 'int8' && kind === 'weight') layers.add(n.outputs[0]!);
    if (mode === 'int8' && kind === 'activation') {
      const tensor = attrString(n, 'tensor', n.inputs[0]!);
      params[tensor] = { scale: attrFloat(n, 'scale', 0), zero: attrInt(n, 'zero_point', 0) };
      if (n.outputs[0] === tensor) { outputName.set(n.inputs[0]!, tensor); continue; }
    }
    rename.set(n.outputs[0]!, n.inputs[0]!);
  }
  const chosen = new Set<string>();
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (ste.includes(n)) continue;
    if ((n.opType === 'Conv' || n.opType === 'Gemm') && layers.has(n.inputs[1] ?? '')) chosen.add(n.name);
    nodes.push({ ...n, inputs: n.inputs.map((v) => rename.get(v) ?? v), outputs: n.outputs.map((v) => outputName.get(v) ?? v) });
  }
  const plain: Model = { ...trained, graph: { ...g, nodes } };
  const precision = (want: string) => Object.fromEntries(g.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => [n.name, chosen.has(n.name) ? want : 'fp32']));

  if (mode === 'binary') {
    const recipe: BinaryRecipe = { keepFirstLast: false, activationScale: false, layers: precision('binary') as BinaryRecipe['layers'] };
    const plan = planBinary(plain, recipe);
    const refused = plan.kept.filter((k) => chosen.has(k.node));
    if (refused.length) throw new ModelError(`cannot binarize ${refused.map((k) => `'${k.node}': ${k.reason}`).join('; ')}`);
    return applyBinary(plain, plan, recipe);
  }
  const recipe: Int8Recipe = { ...DEFAULT_INT8_RECIPE, layers: precision('int8') as Int8Recipe['layers'], defaultPrecision: 'fp32' };
  const plan = planInt8(plain, recipe);
  const missing = plan.targets.filter((t) => !params[t]);
  if (plan.layers.length !== chosen.size || missing.length) {
    throw new ModelError(`the trained model's int8 layers do not match its grids (layers ${plan.layers.length} of ${chosen.size}; no grid for ${missing.join(', ') || 'none'})`);
  }
  return applyInt8(plain, plan, params, recipe);
}
