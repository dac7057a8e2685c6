/**
 * Decides, right after import, whether the studio can run a model, so a person learns everything
 * that is missing from one message instead of from the first kernel that fails mid-evaluation.
 */
import { ModelError } from '../core/errors';
import { ONNX_DTYPE } from '../core/dtype';
import type { AttrValue, Model, Node } from './ir';

/** Integer tensors the engine carries as float32 holding their values (exact below 2^24). */
const INTEGER_VALUES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32']);

export const MIN_OPSET = 7;
/** ONNX 1.20's opset; every op change in 22–25 is listed with how the studio handles it in docs/opsets.md. */
export const MAX_OPSET = 25;
const RANGE = `${MIN_OPSET}–${MAX_OPSET}`;

/**
 * The IR version ONNX released with each opset (docs/Versioning.md): 22 came with IR 10 (ONNX 1.17),
 * 23 with 11, 24 with 12, 25 with 13. Older opsets get 8, which every onnxruntime since 1.10 loads.
 */
export function irVersionForOpset(opset: number): number {
  if (opset >= 25) return 13;
  if (opset >= 19) return ({ 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 12 } as Record<number, number>)[opset]!;
  return 8;
}

/**
 * Names of the element types ONNX added after the onnx-proto package's schema (float8 in IR 9, 4-bit
 * in IR 10, float4/float8e8m0 in IR 11–12, 2-bit in IR 13), so refusals name them instead of a number.
 */
export const NEWER_ONNX_TYPES: Readonly<Record<number, string>> = {
  17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4',
  23: 'FLOAT4E2M1', 24: 'FLOAT8E8M0', 25: 'UINT2', 26: 'INT2',
};

/**
 * Attributes whose other values change what an op computes in ways the studio does not (it
 * quantizes, divides and dequantizes in float32). Attributes that only concern element types the
 * studio cannot hold at all (Cast's round_mode and saturate for float8, Q's saturate) are not listed:
 * a tensor of those types is already refused when the file is read.
 */
const ATTRIBUTE_LIMITS: readonly { op: string; attr: string; allowed: readonly number[]; why: string }[] = [
  { op: 'QuantizeLinear', attr: 'precision', allowed: [0, 1], why: 'the studio divides by the scale in float32; remove the attribute or set it to 1 (float)' },
  { op: 'DequantizeLinear', attr: 'output_dtype', allowed: [0, 1], why: 'the studio dequantizes to float32; remove the attribute or set it to 1 (float)' },
  { op: 'QuantizeLinear', attr: 'block_size', allowed: [0], why: 'blocked quantization is not supported; quantize per tensor or per axis' },
  { op: 'DequantizeLinear', attr: 'block_size', allowed: [0], why: 'blocked quantization is not supported; quantize per tensor or per axis' },
];

/** The studio's own ONNX domain: its binary format (docs/binary-format.md), which onnxruntime cannot run. */
export const STUDIO_DOMAIN = 'ai.compression-studio';
/** The only custom-domain ops accepted, as 'domain.op'; engine/lower-binary.ts lowers them before shapes are resolved. */
export const STUDIO_CUSTOM_OPS: ReadonlySet<string> = new Set(['XnorConv', 'XnorGemm'].map((op) => `${STUDIO_DOMAIN}.${op}`));

/** Throws one ModelError naming every reason the model cannot run; returns when it can. */
export function checkSupport(model: Model, runnableOps: ReadonlySet<string>, foldableOps: ReadonlySet<string>): void {
  const problems = supportProblems(model, runnableOps, foldableOps);
  if (problems.length > 0) throw new ModelError(problems.join('\n'));
}

/**
 * Each problem as one actionable sentence (for a list in the UI). Ops in `foldableOps` pass: the
 * engine folds them away when their inputs are constant (shape chains such as Shape→Gather→Concat).
 */
export function supportProblems(
  model: Model,
  runnableOps: ReadonlySet<string>,
  foldableOps: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const { opset, graph } = model;
  if (opset < MIN_OPSET) {
    problems.push(`opset ${opset} is older than the studio supports (${RANGE}); convert it with onnx.version_converter`);
  } else if (opset > MAX_OPSET) {
    problems.push(
      `opset ${opset} is newer than the studio supports (${RANGE}); re-export with opset_version=${MAX_OPSET} ` +
        `or convert it with onnx.version_converter`,
    );
  }

  for (const [kind, values] of [['input', graph.inputs], ['output', graph.outputs]] as const) {
    for (const v of values) {
      // Quantized tensors (int8/uint8, int32 accumulators) travel as float32 holding integers; int64
      // outputs can only come from folded shape arithmetic (Shape, Gather, ...), returned as constants.
      const ok = v.dtype === 'float32' || INTEGER_VALUES.has(v.dtype) || (kind === 'output' && v.dtype === 'int64');
      if (!ok) {
        problems.push(`graph ${kind} '${v.name}' is ${v.dtype}; the studio takes and returns float32, and int8/uint8/int16/uint16/int32 as quantized values`);
      }
    }
  }

  const foreign = new Map<string, string[]>(); // 'domain.op' -> node names
  const missing = new Map<string, string[]>(); // op -> node names
  for (const n of graph.nodes) {
    if (n.domain === '') {
      if (!runnableOps.has(n.opType) && !foldableOps.has(n.opType)) add(missing, n.opType, n.name);
    } else if (!STUDIO_CUSTOM_OPS.has(`${n.domain}.${n.opType}`)) add(foreign, `${n.domain}.${n.opType}`, n.name);
    if (n.domain === '') problems.push(...attributeProblems(n), ...halfScaleProblems(n, model));
    for (const [attr, a] of Object.entries(n.attrs)) {
      if (a.type === 'graph') {
        problems.push(
          `node '${n.name}' (${n.opType}) has a subgraph (attribute '${attr}'); the studio does not run control flow (If, Loop, Scan)`,
        );
      }
    }
  }
  if (foreign.size > 0) {
    problems.push(
      `This model uses ops outside the standard ONNX domain: ${list(foreign)}. They come from ONNX Runtime's ` +
        `graph optimiser or a custom exporter; export the original model with standard ops only.`,
    );
  }
  if (missing.size > 0) {
    const supported = [...new Set([...runnableOps, ...foldableOps])].sort().join(', ');
    problems.push(`This model uses ops the studio does not run yet: ${list(missing)}. Supported: ${supported}.`);
  }
  return problems;
}

function attributeProblems(n: Node): string[] {
  const out: string[] = [];
  for (const { op, attr, allowed, why } of ATTRIBUTE_LIMITS) {
    const a: AttrValue | undefined = Object.hasOwn(n.attrs, attr) ? n.attrs[attr] : undefined;
    if (n.opType !== op || !a) continue;
    if (a.type === 'int' && allowed.includes(a.value)) continue;
    const shown = a.type === 'int' ? `${a.value}${ONNX_DTYPE[a.value] && attr !== 'block_size' ? ` (${ONNX_DTYPE[a.value]})` : ''}` : `a ${a.type}`;
    out.push(`node '${n.name}' (${op}) has ${attr}=${shown}; ${why}`);
  }
  return out;
}

/**
 * A float16/bfloat16 scale makes ONNX divide (Q) or multiply and output (DQ) in that type, unless
 * opset 23's precision / output_dtype asks for float; the studio always works in float32.
 */
function halfScaleProblems(n: Node, model: Model): string[] {
  if (n.opType !== 'QuantizeLinear' && n.opType !== 'DequantizeLinear') return [];
  const name = n.inputs[1] ?? '';
  const scale = Object.hasOwn(model.graph.initializers, name) ? model.graph.initializers[name] : undefined;
  if (scale?.dtype !== 'float16' && scale?.dtype !== 'bfloat16') return [];
  const quantize = n.opType === 'QuantizeLinear';
  const asked = n.attrs[quantize ? 'precision' : 'output_dtype'];
  if (model.opset >= 23 && asked?.type === 'int' && asked.value === 1) return [];
  const does = quantize ? 'divides by it in' : 'outputs';
  return [`node '${n.name}' (${n.opType}) has a ${scale.dtype} scale '${name}', so ONNX ${does} ${scale.dtype}; the studio computes in float32: ` +
    `store the scale as float32${model.opset >= 23 ? ` or set ${quantize ? 'precision' : 'output_dtype'}=1 (float)` : ''}`];
}

function add(map: Map<string, string[]>, key: string, node: string): void {
  const names = map.get(key);
  if (names) names.push(node);
  else map.set(key, [node]);
}

/** "LSTM (nodes 'a', 'b'), Resize (node 'up1')"; long node lists are cut after three names. */
function list(map: Map<string, string[]>): string {
  return [...map]
    .map(([op, nodes]) => {
      const shown = nodes.slice(0, 3).map((s) => `'${s}'`).join(', ');
      const more = nodes.length > 3 ? ` and ${nodes.length - 3} more` : '';
      return `${op} (${nodes.length === 1 ? 'node' : 'nodes'} ${shown}${more})`;
    })
    .join(', ');
}
