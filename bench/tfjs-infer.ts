/**
 * TensorFlow.js (webgpu backend) running the same ONNX file as the other contenders: the graph is
 * rebuilt from TF.js ops with the file's own weights, in TF.js's native NHWC layout, with each
 * Conv/Gemm and the Relu or ReLU6 after it as one fused op (what a converted TF.js graph model runs).
 * It covers the ops of the bench's models (LeNet, the MLP, torchvision's resnet18, mobilenet_v2,
 * efficientnet_b0, squeezenet1_0); any other op or form is refused at load, and the bench then
 * records TF.js as not run on that model. Outputs are checked against onnxruntime-node like every
 * contender's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { attrFloat, attrInt, attrInts, type Model, type Node, type TensorData } from '../src/model/ir';
import { importOnnx } from '../src/model/onnx-import';
import { initTf } from './training-contenders';
import type { Contender } from './contenders';

type Activation = 'linear' | 'relu' | 'relu6';
/** A value as TF.js holds it: 4-D values in NHWC, every other rank as in ONNX. */
type Value = tf.Tensor;
type Step = (get: (name: string) => Value) => Value;

const toNhwc = (t: tf.Tensor) => (t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t);
const toNchw = (t: tf.Tensor) => (t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t);

function floats(t: TensorData): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export class TfInfer implements Contender {
  readonly name = 'tfjs' as const;
  private weights: tf.Tensor[] = [];
  private steps: { outputs: string[]; run: Step }[] = [];
  private inputName = '';
  private outputName = '';

  async load(bytes: Uint8Array, fileName: string): Promise<void> {
    await initTf();
    this.build(importOnnx(bytes, fileName));
  }

  private build(model: Model): void {
    const g = model.graph;
    const consts = new Map<string, TensorData>(Object.entries(g.initializers));
    const consumers = new Map<string, Node[]>();
    for (const n of g.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    // Constants first: Constant nodes and Identity of a constant (torch's exports hide weights behind Identity).
    for (const n of g.nodes) {
      const v = n.attrs.value;
      if (n.opType === 'Constant' && v?.type === 'tensor') consts.set(n.outputs[0]!, v.value);
      else if (n.opType === 'Identity' && consts.has(n.inputs[0]!)) consts.set(n.outputs[0]!, consts.get(n.inputs[0]!)!);
    }
    const keep = (t: tf.Tensor) => { this.weights.push(t); return t; };
    const constOf = (name: string) => {
      const c = consts.get(name);
      if (!c) throw new Error(`TF.js bench: '${name}' is not a constant`);
      return c;
    };
    const clipRange = (n: Node): [number, number] => n.inputs.length > 1
      ? [n.inputs[1] ? floats(constOf(n.inputs[1]))[0]! : -Infinity, n.inputs[2] ? floats(constOf(n.inputs[2]))[0]! : Infinity]
      : [attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity)];
    // A Relu, or a Clip to [0, 6], that is the only reader of a Conv or Gemm output runs inside it.
    const fusedInto = new Map<string, Node>();
    const activationAfter = (n: Node): Activation => {
      const readers = consumers.get(n.outputs[0]!) ?? [];
      const next = readers.length === 1 ? readers[0]! : null;
      if (!next || g.outputs.some((o) => o.name === n.outputs[0])) return 'linear';
      const act: Activation | null = next.opType === 'Relu' ? 'relu'
        : next.opType === 'Clip' && clipRange(next)[0] === 0 && clipRange(next)[1] === 6 ? 'relu6' : null;
      if (!act) return 'linear';
      fusedInto.set(next.name, n);
      return act;
    };

    this.inputName = g.inputs[0]!.name;
    this.outputName = g.outputs[0]!.name;
    for (const n of g.nodes) {
      if (consts.has(n.outputs[0]!)) continue;
      const [a, b] = n.inputs;
      const out = n.outputs;
      const add = (run: Step, outputs = out) => this.steps.push({ outputs, run });
      switch (n.opType) {
        case 'Conv': {
          if (attrInts(n, 'dilations', [1, 1]).some((d) => d !== 1) || (n.attrs.auto_pad && n.attrs.auto_pad.type === 'string' && n.attrs.auto_pad.value !== 'NOTSET')) {
            throw new Error(`TF.js bench: Conv '${n.name}' uses dilations or auto_pad, not built here`);
          }
          const w = constOf(b!);
          const [cOut, cInPerGroup, kh, kw] = w.dims as [number, number, number, number];
          const group = attrInt(n, 'group', 1);
          const [st, sl, sb, sr] = attrInts(n, 'pads', [0, 0, 0, 0]);
          const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [st!, sb!], [sl!, sr!], [0, 0]];
          const strides = attrInts(n, 'strides', [1, 1]) as [number, number];
          const bias = n.inputs[2] ? keep(tf.tensor1d(floats(constOf(n.inputs[2])))) : undefined;
          const activation = activationAfter(n);
          const wt = tf.tensor4d(floats(w), [cOut, cInPerGroup, kh, kw]);
          if (group === 1) {
            const filter = keep(tf.transpose(wt, [2, 3, 1, 0])) as tf.Tensor4D;
            add((get) => tf.fused.conv2d({ x: get(a!) as tf.Tensor4D, filter, strides, pad, dataFormat: 'NHWC', bias, activation }));
          } else if (cInPerGroup === 1) {
            // Depthwise: output channel c·m + j reads input channel c; TF.js wants [kh, kw, C, m].
            // Its fused form takes one pad for all sides.
            if (![sl, sb, sr].every((p) => p === st)) throw new Error(`TF.js bench: depthwise Conv '${n.name}' with uneven pads, not built here`);
            const filter = keep(tf.transpose(tf.reshape(wt, [group, cOut / group, kh, kw]), [2, 3, 0, 1])) as tf.Tensor4D;
            add((get) => tf.fused.depthwiseConv2d({ x: get(a!) as tf.Tensor4D, filter, strides, pad: st!, dataFormat: 'NHWC', bias, activation }));
          } else {
            throw new Error(`TF.js bench: Conv '${n.name}' has ${group} groups of ${cInPerGroup} channels, not built here`);
          }
          wt.dispose();
          break;
        }
        case 'Gemm': {
          if (attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1 || attrInt(n, 'transA', 0)) throw new Error(`TF.js bench: Gemm '${n.name}' with alpha, beta or transA, not built here`);
          const w = constOf(b!);
          const weight = keep(tf.tensor2d(floats(w), w.dims as [number, number]));
          const transposeB = attrInt(n, 'transB', 0) === 1;
          const bias = n.inputs[2] ? keep(tf.tensor1d(floats(constOf(n.inputs[2])))) : undefined;
          const activation = activationAfter(n);
          add((get) => tf.fused.matMul({ a: get(a!) as tf.Tensor2D, b: weight as tf.Tensor2D, transposeB, bias, activation }));
          break;
        }
        case 'Relu': case 'Clip': {
          const from = fusedInto.get(n.name);
          if (from) { add((get) => get(from.outputs[0]!)); break; }
          if (n.opType === 'Relu') add((get) => tf.relu(get(a!)));
          else { const [lo, hi] = clipRange(n); add((get) => tf.clipByValue(get(a!), lo, hi)); }
          break;
        }
        case 'Sigmoid': add((get) => tf.sigmoid(get(a!))); break;
        case 'Add': case 'Mul': {
          const [ca, cb] = [a!, b!].map((x) => {
            if (!consts.has(x)) return null;
            if (constOf(x).dims.length === 4) throw new Error(`TF.js bench: ${n.opType} '${n.name}' with a 4-D constant, not built here`);
            return keep(tf.tensor(floats(constOf(x)), constOf(x).dims));
          });
          const op = n.opType === 'Add' ? tf.add : tf.mul;
          add((get) => op(ca ?? get(a!), cb ?? get(b!)));
          break;
        }
        case 'GlobalAveragePool': add((get) => tf.mean(get(a!), [1, 2], true)); break;
        case 'MaxPool': {
          const pads = attrInts(n, 'pads', [0, 0, 0, 0]);
          if (pads.some((p) => p !== pads[0])) throw new Error(`TF.js bench: MaxPool '${n.name}' with uneven pads, not built here`);
          const k = attrInts(n, 'kernel_shape', []) as [number, number];
          const s = attrInts(n, 'strides', [1, 1]) as [number, number];
          // ONNX's ceil_mode is TF.js's 'ceil' rounding of the output size (squeezenet's pools).
          const rounding = attrInt(n, 'ceil_mode', 0) ? 'ceil' : undefined;
          add((get) => tf.maxPool(get(a!) as tf.Tensor4D, k, s, pads[0]!, rounding));
          break;
        }
        case 'Concat': {
          const axis = attrInt(n, 'axis', 1);
          add((get) => {
            const xs = n.inputs.map((x) => get(x));
            // Channels (ONNX axis 1) are TF.js's last axis in NHWC.
            return tf.concat(xs, xs[0]!.rank === 4 ? [0, 3, 1, 2][axis < 0 ? axis + 4 : axis]! : axis);
          });
          break;
        }
        case 'Flatten': {
          if (attrInt(n, 'axis', 1) !== 1) throw new Error(`TF.js bench: Flatten '${n.name}' at an axis other than 1, not built here`);
          // In ONNX's NCHW order, so the Gemm after it reads its weights' columns as they were trained.
          add((get) => { const x = toNchw(get(a!)); return tf.reshape(x, [x.shape[0]!, -1]); });
          break;
        }
        case 'Identity': add((get) => get(a!)); break;
        default: throw new Error(`TF.js bench: op ${n.opType} ('${n.name}') is not built here`);
      }
    }
  }

  async run(input: Float32Array, shape: number[]): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const values = new Map<string, Value>([[this.inputName, toNhwc(tf.tensor(input, shape))]]);
      const get = (name: string) => {
        const v = values.get(name);
        if (!v) throw new Error(`TF.js bench: '${name}' read before it is computed`);
        return v;
      };
      for (const s of this.steps) values.set(s.outputs[0]!, s.run(get));
      return toNchw(get(this.outputName));
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  async gpuMs(): Promise<number | null> { return null; }

  async dispose(): Promise<void> {
    for (const t of this.weights) t.dispose();
    this.weights = [];
    this.steps = [];
  }
}
