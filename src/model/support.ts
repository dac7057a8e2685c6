/**
 * Decides, right after import, whether the studio can run a model, so a person learns everything
 * that is missing from one message instead of from the first kernel that fails mid-evaluation.
 */
import { ModelError } from '../core/errors';
import type { Model } from './ir';

/** Integer tensors the engine carries as float32 holding their values (exact below 2^24). */
const INTEGER_VALUES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32']);

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;
const RANGE = `${MIN_OPSET}–${MAX_OPSET}`;

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
