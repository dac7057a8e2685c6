import { describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { onnx } from 'onnx-proto';
import { ModelError } from '../core/errors';
import { compareClose } from '../core/allclose';
import { randomFloats } from '../core/rng';
import type { Model, TensorData } from './ir';
import { GraphBuilder, int, ints, tensor } from './builder';
import { importOnnx } from './onnx-import';
import { exportOnnx } from './onnx-export';
import { floatToHalf, halfToFloat, parseTensorProtoBytes } from './tensor-proto';

const DATA = '/usr/share/libonnx-testdata/data';
const ort = createRequire(import.meta.url)('onnxruntime-node');
const ORT_OPTS = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 };

/** What onnxruntime says when it will not run a model: ops, types or attributes it does not implement. */
const ORT_LACKS = /Could not find an implementation|Unsupported data type|is not a registered function\/op|Exception during initialization/;
/** An onnxruntime error's text without the quoted names (our exporter names nodes the original left unnamed). */
const ortRefusal = (e: unknown) => String((e as Error)?.message ?? e).replace(/'[^']*'/g, "''");

async function runOrt(bytes: Uint8Array, feeds: Record<string, TensorData>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(bytes, ORT_OPTS);
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype, t.data, t.dims)]));
  const out = await session.run(ortFeeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from((v as { data: ArrayLike<number> }).data, Number)]));
}

// Plain-loop references. Gemm with transB: y[n, o] = sum_i x[n, i] * w[o, i] + b[o]
function gemmTransB(x: Float32Array, w: Float32Array, b: Float32Array, n: number, inF: number, outF: number): Float32Array {
  const y = new Float32Array(n * outF);
  for (let r = 0; r < n; r++) for (let o = 0; o < outF; o++) {
    let s = b[o]!;
    for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
    y[r * outF + o] = s;
  }
  return y;
}
const relu = (a: Float32Array) => a.map((v) => Math.max(v, 0));

/** Conv2d, one image: x (C, H, W), w (O, C, K, K), symmetric pad p, stride s -> (O, Ho, Wo). */
function conv2d(x: Float32Array, c: number, h: number, wd: number, w: Float32Array, b: Float32Array, o: number, k: number, p: number, s: number) {
  const ho = Math.floor((h + 2 * p - k) / s) + 1, wo = Math.floor((wd + 2 * p - k) / s) + 1;
  const y = new Float32Array(o * ho * wo);
  for (let oc = 0; oc < o; oc++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    let acc = b[oc]!;
    for (let ic = 0; ic < c; ic++) for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
      const yy = i * s - p + ki, xx = j * s - p + kj;
      if (yy >= 0 && yy < h && xx >= 0 && xx < wd) acc += x[(ic * h + yy) * wd + xx]! * w[((oc * c + ic) * k + ki) * k + kj]!;
    }
    y[(oc * ho + i) * wo + j] = acc;
  }
  return { y, ho, wo };
}

function buildMlp() {
  const w1 = randomFloats(8 * 4, 1), b1 = randomFloats(8, 2), w2 = randomFloats(3 * 8, 3), b2 = randomFloats(3, 4);
  const b = new GraphBuilder('mlp', 13);
  const x = b.input('x', 'float32', ['N', 4]);
  const h = b.node('Gemm', [x, b.initializer('w1', tensor('float32', [8, 4], w1)), b.initializer('b1', tensor('float32', [8], b1))], { transB: int(1) });
  const r = b.node('Relu', [h]);
  const y = b.node('Gemm', [r, b.initializer('w2', tensor('float32', [3, 8], w2)), b.initializer('b2', tensor('float32', [3], b2))], { transB: int(1) }, { outputs: ['logits'] });
  b.output(y, 'float32', ['N', 3]);
  b.valueInfo(h, 'float32', ['N', 8]);
  return { model: b.build(), ref: (xs: Float32Array, n: number) => gemmTransB(relu(gemmTransB(xs, w1, b1, n, 4, 8)), w2, b2, n, 8, 3) };
}

function buildCnn() {
  const wc = randomFloats(3 * 2 * 3 * 3, 5), bc = randomFloats(3, 6), shift = randomFloats(3, 7), wf = randomFloats(4 * 27, 8), bf = randomFloats(4, 9);
  const b = new GraphBuilder('cnn', 13);
  const x = b.input('image', 'float32', [1, 2, 5, 5]);
  const conv = b.node('Conv', [x, b.initializer('wc', tensor('float32', [3, 2, 3, 3], wc)), b.initializer('bc', tensor('float32', [3], bc))],
    { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) });
  const added = b.node('Add', [b.node('Relu', [conv]), b.initializer('shift', tensor('float32', [3, 1, 1], shift))]);
  const flat = b.node('Flatten', [added], { axis: int(1) });
  const y = b.node('Gemm', [flat, b.initializer('wf', tensor('float32', [4, 27], wf)), b.initializer('bf', tensor('float32', [4], bf))], { transB: int(1) });
  b.output(y, 'float32', [1, 4]);
  const ref = (xs: Float32Array) => {
    const { y: c, ho, wo } = conv2d(xs, 2, 5, 5, wc, bc, 3, 3, 1, 2);
    const a = relu(c).map((v, i) => v + shift[Math.floor(i / (ho * wo))]!);
    return gemmTransB(a, wf, bf, 1, 27, 4);
  };
  return { model: b.build(), ref };
}

describe('models built in code run in onnxruntime', () => {
  test('MLP: Gemm(transB) -> Relu -> Gemm matches a plain-loop reference', async () => {
    const { model, ref } = buildMlp();
    const xs = randomFloats(2 * 4, 10);
    const out = await runOrt(exportOnnx(model), { x: { dtype: 'float32', dims: [2, 4], data: xs } });
    expect(Object.keys(out)).toEqual(['logits']);
    const r = compareClose(out.logits!, ref(xs, 2), 1e-5, 1e-6);
    expect(r.ok, r.message).toBe(true);
  });

  test('CNN: Conv(pads, strides) -> Relu -> Add -> Flatten -> Gemm matches a plain-loop reference', async () => {
    const { model, ref } = buildCnn();
    const xs = randomFloats(2 * 5 * 5, 11);
    const out = await runOrt(exportOnnx(model), { image: { dtype: 'float32', dims: [1, 2, 5, 5], data: xs } });
    const want = ref(xs);
    expect(want.some((v) => v !== 0)).toBe(true);
    const r = compareClose(out[model.graph.outputs[0]!.name]!, want, 1e-5, 1e-6);
    expect(r.ok, r.message).toBe(true);
  });

  test('importOnnx(exportOnnx(m)) deep-equals m, and re-export is byte-identical', () => {
    for (const { model } of [buildMlp(), buildCnn()]) {
      const bytes = exportOnnx(model);
      expect(importOnnx(bytes)).toEqual(model);
      expect(exportOnnx(importOnnx(bytes))).toEqual(bytes);
    }
  });

  test('float16 weights are narrowed on export exactly as onnxruntime rounds them', async () => {
    const tricky = [0.1, 1 / 3, 65504, 65519, 65520, 1e-7, 2 ** -25, 3 * 2 ** -25, -2.5e-6, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -0];
    // onnxruntime's Cast float32 -> float16 is the oracle for floatToHalf.
    const b = new GraphBuilder('cast', 13);
    b.output(b.node('Cast', [b.input('x', 'float32', [tricky.length])], { to: int(10) }), 'float16', [tricky.length]);
    const out = await runOrt(exportOnnx(b.build()), { x: { dtype: 'float32', dims: [tricky.length], data: Float32Array.from(tricky) } });
    expect(Object.values(out)[0]).toEqual(tricky.map(floatToHalf));

    // A float16 initializer, widened on import, round trips through export unchanged.
    const halves = tensor('float16', [tricky.length], tricky.map((v) => halfToFloat(floatToHalf(v))));
    const g = new GraphBuilder('f16', 13);
    const y = g.node('Add', [g.input('x', 'float32', [tricky.length]), g.node('Cast', [g.initializer('h', halves)], { to: int(1) })]);
    g.output(y, 'float32', [tricky.length]);
    const m = g.build();
    expect(importOnnx(exportOnnx(m))).toEqual(m);
    const sum = await runOrt(exportOnnx(m), { x: { dtype: 'float32', dims: [tricky.length], data: new Float32Array(tricky.length).fill(-0) } });
    expect(Object.values(sum)[0]).toEqual(Array.from(halves.data as Float32Array));
  });

  test('INT64_MAX in an ints attribute (Slice ends) is written as INT64_MAX, not wrapped negative', async () => {
    const b = new GraphBuilder('slice', 9); // opset 9 Slice takes starts/ends as attributes
    b.output(b.node('Slice', [b.input('x', 'float32', [5])], { starts: ints([1]), ends: ints([2 ** 63]), axes: ints([0]) }), 'float32', [4]);
    const bytes = exportOnnx(b.build());
    const ends = onnx.ModelProto.decode(bytes).graph!.node![0]!.attribute!.find((a) => a.name === 'ends')!.ints![0]!;
    expect(ends).toMatchObject({ low: -1, high: 0x7fffffff });
    const out = await runOrt(bytes, { x: { dtype: 'float32', dims: [5], data: Float32Array.of(0, 1, 2, 3, 4) } });
    expect(Object.values(out)[0]).toEqual([1, 2, 3, 4]);
    expect(importOnnx(bytes).graph.nodes[0]!.attrs.ends).toEqual({ type: 'ints', value: [2 ** 63] });
  });
});

describe('exporting imported files', () => {
  const cases = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'].flatMap((dir) =>
    readdirSync(`${DATA}/${dir}`).map((c) => `${dir}/${c}`));
  const importable = cases.flatMap((c) => {
    try { return [[c, importOnnx(new Uint8Array(readFileSync(`${DATA}/${c}/model.onnx`)))] as [string, Model]]; } catch { return []; }
  });

  test('every importable test model round trips: importOnnx(exportOnnx(m)) deep-equals m', () => {
    expect(importable.length).toBeGreaterThan(1000);
    const subgraphs: string[] = [];
    for (const [c, m] of importable) {
      let bytes: Uint8Array;
      try { bytes = exportOnnx(m); } catch (e) {
        expect(e, c).toBeInstanceOf(ModelError);
        expect(m.graph.nodes.some((n) => Object.values(n.attrs).some((a) => a.type === 'graph')), c).toBe(true);
        subgraphs.push(c);
        continue;
      }
      expect(importOnnx(bytes), c).toEqual(m);
    }
    expect(subgraphs.length).toBeLessThan(10);
  });

  test('exported test models, run in onnxruntime, reproduce the expected outputs', async () => {
    const ORT_DIFFERS = /bernoulli|training_dropout|maxunpool_export_with_output_shape|align_corners/;
    let ran = 0, legacyRan = 0, lacking = 0;
    const failures: string[] = [], refused: string[] = [];
    for (const [c, m] of importable) {
      const ds = `${DATA}/${c}/test_data_set_0`;
      if (!existsSync(ds) || ORT_DIFFERS.test(c) || m.graph.nodes.some((n) => n.attrs && Object.values(n.attrs).some((a) => a.type === 'graph'))) continue;
      const files = readdirSync(ds).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      const load = (prefix: string) => files.filter((f) => f.startsWith(prefix)).map((f) => parseTensorProtoBytes(readFileSync(`${ds}/${f}`)));
      let inputs, outputs;
      try { inputs = load('input'); outputs = load('output'); } catch { continue; } // string tensors
      if ([...inputs, ...outputs].some((p) => p.tensor.dtype === 'float16' || p.tensor.dtype === 'bfloat16')) continue;
      const feeds = Object.fromEntries(inputs.map((p, i) => [p.name || m.graph.inputs[i]!.name, p.tensor]));
      let got;
      try { got = await runOrt(exportOnnx(m), feeds); } catch (e) {
        // Excused only when onnxruntime refuses the original file in the same words: then it lacks the
        // op or type (opset 6 legacy kernels, bfloat16 Cast, ...). Refusing only our bytes is our bug.
        const ours = ortRefusal(e);
        let theirs: string | null = null;
        try { await runOrt(new Uint8Array(readFileSync(`${DATA}/${c}/model.onnx`)), feeds); } catch (e2) { theirs = ortRefusal(e2); }
        if (theirs === ours && ORT_LACKS.test(ours)) lacking++;
        else refused.push(`${c}: ${ours}${theirs === null ? ' (onnxruntime runs the original file)' : ` (the original: ${theirs})`}`);
        continue;
      }
      const ok = outputs.every((p, i) => compareClose(got[p.name || m.graph.outputs[i]!.name] ?? [], Array.from(p.tensor.data, Number), 1e-3, /dft/.test(c) ? 1e-3 : 1e-4).ok);
      if (!ok) failures.push(c);
      ran++;
      if (m.irVersion < 4) legacyRan++; // PyTorch 0.3 files: initializers must be re-listed as inputs
    }
    expect(refused).toEqual([]);
    expect(failures).toEqual([]);
    expect(lacking).toBeLessThan(60); // 53 today: BitShift/Min/Max on 16-bit ints, opset 1/6 kernels, bfloat16, batchwise RNNs
    expect(ran).toBeGreaterThan(850);
    expect(legacyRan).toBeGreaterThan(20);
  });
});

describe('export details', () => {
  test('IR < 4 re-lists initializers as graph inputs; custom domains get an opset entry', () => {
    const b = new GraphBuilder('g', 13);
    const y = b.node('FusedConv', [b.input('x', 'float32', [1]), b.initializer('w', tensor('float32', [1], [2]))], {}, { domain: 'com.microsoft' });
    b.output(y, 'float32', [1]);
    const m = { ...b.build(), irVersion: 3 };
    const p = onnx.ModelProto.decode(exportOnnx(m));
    expect(p.graph!.input!.map((v) => v.name)).toEqual(['x', 'w']);
    expect(p.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13], ['com.microsoft', 1]]);
    expect(importOnnx(exportOnnx(m))).toEqual(m);
  });

  test('a subgraph attribute cannot be exported', () => {
    const b = new GraphBuilder('g', 13);
    b.output(b.node('If', [b.input('c', 'bool', [])], { then_branch: { type: 'graph', value: null } }, { name: 'if_1' }), 'float32', [1]);
    expect(() => exportOnnx(b.build())).toThrow(/node 'if_1' \(If\) has a subgraph attribute 'then_branch'/);
  });
});

describe('GraphBuilder', () => {
  test('generates unique node, value and initializer names', () => {
    const b = new GraphBuilder('g', 13);
    const x = b.input('x', 'float32', [2]);
    const r1 = b.node('Relu', [x]);
    const r2 = b.node('Relu', [r1]);
    const w1 = b.initializer('w', tensor('float32', [2]));
    const w2 = b.initializer('w', tensor('float32', [2]));
    const [a, c] = b.nodeN('Split', [r2], 2, { axis: int(0) });
    const m = b.build();
    expect(m.graph.nodes.map((n) => n.name)).toEqual(['relu', 'relu_1', 'split']);
    expect([r1, r2, w1, w2, a, c]).toEqual(['relu_out', 'relu_1_out', 'w', 'w_1', 'split_out0', 'split_out1']);
    expect(() => b.input('x', 'float32', [2])).toThrow(/already used/);
    expect(() => tensor('float32', [2, 2], [1, 2, 3])).toThrow(/needs 4 values, got 3/);
  });

  test('from(model) continues a copy without reusing names or touching the original', () => {
    const { model } = buildMlp();
    const b = GraphBuilder.from(model);
    const name = b.node('Relu', ['logits']);
    expect(name).not.toBe('relu_out'); // taken by the first Relu
    const m2 = b.build();
    expect(m2.graph.nodes.length).toBe(model.graph.nodes.length + 1);
    expect(model.graph.nodes.length).toBe(3);
    expect(new Set(m2.graph.nodes.map((n) => n.name)).size).toBe(4);
    expect(tensor('int64', [2], [-1, 3]).data).toEqual(BigInt64Array.of(-1n, 3n));
  });
});

test('exported bytes own their whole ArrayBuffer (safe to post to a worker or wrap in a Blob)', () => {
  const bytes = exportOnnx(buildMlp().model);
  expect([bytes.byteOffset, bytes.buffer.byteLength]).toEqual([0, bytes.byteLength]);
  expect(importOnnx(new Uint8Array(bytes.buffer))).toEqual(buildMlp().model);
});
