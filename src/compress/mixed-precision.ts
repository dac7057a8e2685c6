/**
 * Mixed precision across schemes: each Conv/Gemm layer fp32, int8 or binary. Binary layers are
 * rewritten first (binarize needs no data); the int8 layers are then planned on that result, so
 * their calibration sees the activations the binary layers really produce. planInt8 only picks
 * default-domain Conv/Gemm, so the XnorConv/XnorGemm nodes the first step made are left alone.
 */
import type { Model, Node } from '../model/ir';
import { ModelError } from '../core/errors';
import { STUDIO_DOMAIN } from '../model/support';
import { applyBinary, planBinary, type BinaryRecipe } from './binarize';
import { DEFAULT_INT8_RECIPE, planInt8, type Int8Recipe, type Precision } from './quantize-plan';

/** One Conv/Gemm layer of a float model and what it can become (a reason where it cannot). */
export interface PrecisionLayer {
  name: string;
  opType: string;
  /** Weight and bias elements. */
  params: number;
  /** Why int8 cannot apply, or null. */
  int8: string | null;
  /** Why binary cannot apply, or null. */
  binary: string | null;
  /** The first or last weighted layer (the ones XNOR-Net keeps in float). */
  edge: 'first' | 'last' | null;
}

const weighted = (model: Model): Node[] => model.graph.nodes.filter((n) => n.domain === '' && (n.opType === 'Conv' || n.opType === 'Gemm'));

export function precisionLayers(model: Model): PrecisionLayer[] {
  const init = model.graph.initializers;
  const int8 = new Map(planInt8(model, { ...DEFAULT_INT8_RECIPE, defaultPrecision: 'int8', layers: {} }).skipped.map((s) => [s.node, s.reason]));
  const binary = new Map(planBinary(model, { keepFirstLast: false, activationScale: false, layers: {} }).kept.map((k) => [k.node, k.reason]));
  const nodes = weighted(model);
  return nodes.map((n, i) => ({
    name: n.name,
    opType: n.opType,
    params: [n.inputs[1], n.inputs[2]].reduce((s, t) => s + (t && init[t] ? init[t].data.length : 0), 0),
    int8: int8.get(n.name) ?? null,
    binary: binary.get(n.name) ?? null,
    edge: i === 0 ? 'first' : i === nodes.length - 1 ? 'last' : null,
  }));
}

export interface MixedPlan {
  /** Every Conv/Gemm layer's precision, in graph order (layers not named in the choices are fp32). */
  layers: Record<string, Precision>;
  int8: string[];
  binary: string[];
  /** Recipes that apply exactly these choices, for the binary step and the int8 step. */
  binaryRecipe: BinaryRecipe;
  int8Recipe: Int8Recipe;
}

/**
 * Checks per-layer choices against the model and splits them into the two steps. Refuses, naming
 * the layer and the reason, a choice that cannot apply, a layer the model lacks, and all-fp32.
 */
export function planMixed(model: Model, choices: Record<string, Precision>, recipe: Int8Recipe, activationScale: boolean): MixedPlan {
  const info = precisionLayers(model);
  const known = new Set(info.map((l) => l.name));
  const unknown = Object.keys(choices).filter((l) => !known.has(l));
  if (unknown.length) throw new ModelError(`the model has no Conv/Gemm layer named ${unknown.map((l) => `'${l}'`).join(', ')}; reload the layer table`);
  const problems: string[] = [];
  const layers: Record<string, Precision> = {};
  for (const l of info) {
    const want = choices[l.name] ?? 'fp32';
    const why = want === 'int8' ? l.int8 : want === 'binary' ? l.binary : null;
    if (why) problems.push(`'${l.name}' cannot be ${want}: ${why}`);
    layers[l.name] = want;
  }
  if (problems.length) throw new ModelError(`${problems.join('; ')}. Pick another precision for ${problems.length > 1 ? 'these layers' : 'that layer'}.`);
  const pick = (p: Precision) => info.filter((l) => layers[l.name] === p).map((l) => l.name);
  const int8 = pick('int8'), binary = pick('binary');
  if (!int8.length && !binary.length) throw new ModelError('every layer is fp32, which is the original model: choose int8 or binary for at least one layer');
  return {
    layers, int8, binary,
    // Every layer named, so keepFirstLast never applies: the table is the whole truth.
    binaryRecipe: { keepFirstLast: false, activationScale, layers: Object.fromEntries(info.map((l) => [l.name, layers[l.name] === 'binary' ? 'binary' : 'fp32'])) },
    int8Recipe: { ...recipe, defaultPrecision: 'fp32', layers: Object.fromEntries(int8.map((l) => [l, 'int8'])) },
  };
}

/** The binary step: the model with the plan's binary layers rewritten (the model itself when there are none). */
export function applyMixedBinary(model: Model, plan: MixedPlan): Model {
  if (!plan.binary.length) return model;
  const bp = planBinary(model, plan.binaryRecipe);
  const refused = bp.kept.filter((k) => plan.binary.includes(k.node));
  if (refused.length) throw new ModelError(refused.map((k) => `'${k.node}' cannot be binary: ${k.reason}`).join('; '));
  return applyBinary(model, bp, plan.binaryRecipe);
}

/** A model with only `layer` binarized, for sensitivity. */
export function binarizeOnly(model: Model, layer: string, activationScale: boolean): Model {
  const layers = Object.fromEntries(weighted(model).map((n) => [n.name, n.name === layer ? 'binary' as const : 'fp32' as const]));
  const recipe: BinaryRecipe = { keepFirstLast: false, activationScale, layers };
  const plan = planBinary(model, recipe);
  if (!plan.layers.length) throw new ModelError(`'${layer}' cannot be binary: ${plan.kept.find((k) => k.node === layer)?.reason ?? 'no such layer'}`);
  return applyBinary(model, plan, recipe);
}

/**
 * A short, stable tag for a set of choices, one letter per layer in graph order (f fp32, 8 int8,
 * b binary), so the same choices name the same variant; long models get counts and a hash.
 */
export function precisionTag(layers: Record<string, Precision>): string {
  const letters = Object.values(layers).map((p) => (p === 'int8' ? '8' : p === 'binary' ? 'b' : 'f')).join('');
  if (letters.length <= 12) return letters;
  let h = 2166136261;
  for (const c of letters) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  const count = (c: string) => [...letters].filter((x) => x === c).length;
  return `${count('8')}i8-${count('b')}bin-${count('f')}fp-${(h >>> 0).toString(16).slice(0, 6)}`;
}

/** Whether a model holds studio-domain ops, so its file only the studio can run. */
export function usesStudioFormat(model: Model): boolean {
  return model.graph.nodes.some((n) => n.domain === STUDIO_DOMAIN);
}

/**
 * A binarized layer's effective weights, alpha[n] · sign(W[n, k]) in (N, K) order, for histograms
 * (docs/binary-format.md: bit j of word k is W[n, 32k + j] ≥ 0).
 */
export function binaryLayerWeights(model: Model, layer: string): Float32Array | null {
  const g = model.graph;
  const node = g.nodes.find((n) => n.name === layer && n.domain === STUDIO_DOMAIN);
  if (!node) return null;
  const bits = g.initializers[node.inputs[1] ?? ''], alpha = g.initializers[node.inputs[2] ?? ''];
  const shape = node.attrs.weight_shape;
  if (!bits || !alpha || shape?.type !== 'ints') return null;
  const N = shape.value[0]!, K = shape.value.slice(1).reduce((a, b) => a * b, 1), K32 = Math.ceil(K / 32);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    const a = Number(alpha.data[n]);
    for (let k = 0; k < K; k++) {
      const word = Number(bits.data[n * K32 + (k >> 5)]);
      out[n * K + k] = (word >>> (k & 31)) & 1 ? a : -a;
    }
  }
  return out;
}
