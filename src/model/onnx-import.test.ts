import { describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { onnx } from 'onnx-proto';
import { ModelError } from '../core/errors';
import { makeRng } from '../core/rng';
import { compareClose } from '../core/allclose';
import type { TensorData } from './ir';
import { importOnnx } from './onnx-import';
import { decodeTensorProto, floatToHalf, halfToFloat, parseTensorProtoBytes } from './tensor-proto';

const DATA = '/usr/share/libonnx-testdata/data';
const read = (rel: string) => new Uint8Array(readFileSync(`${DATA}/${rel}`));
const ort = createRequire(import.meta.url)('onnxruntime-node');
const ORT_OPTS = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 };

function thrown(f: () => unknown): ModelError {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(ModelError); return e as ModelError; }
  throw new Error('expected a ModelError, nothing was thrown');
}

describe('importOnnx on real files', () => {
  test('node test case: Conv with strides and padding', () => {
    const m = importOnnx(read('node/test_conv_with_strides_padding/model.onnx'));
    expect(m.opset).toBe(11);
    expect(m.irVersion).toBe(6);
    expect(m.producer).toBe('backend-test');
    expect(m.graph.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [1, 1, 7, 5] },
      { name: 'W', dtype: 'float32', shape: [1, 1, 3, 3] },
    ]);
    expect(m.graph.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: [1, 1, 4, 3] }]);
    expect(m.graph.nodes).toEqual([{
      name: 'Conv_0', opType: 'Conv', domain: '', inputs: ['x', 'W'], outputs: ['y'],
      attrs: {
        kernel_shape: { type: 'ints', value: [3, 3] },
        pads: { type: 'ints', value: [1, 1, 1, 1] },
        strides: { type: 'ints', value: [2, 2] },
      },
    }]);
  });

  test('node test case: Gemm without bias has no attributes and no initializers', () => {
    const m = importOnnx(read('node/test_gemm_default_no_bias/model.onnx'));
    expect(m.opset).toBe(13);
    expect(m.graph.nodes.map((n) => [n.opType, n.inputs, n.attrs])).toEqual([['Gemm', ['a', 'b'], {}]]);
    expect(m.graph.initializers).toEqual({});
  });

  test('PyTorch 0.3 export: weights listed as inputs are dropped from graph.inputs', () => {
    const m = importOnnx(read('pytorch-converted/test_Conv2d_padding/model.onnx'));
    expect([m.irVersion, m.opset, m.producer]).toEqual([3, 6, 'pytorch']);
    expect(m.graph.inputs).toEqual([{ name: '0', dtype: 'float32', shape: [2, 3, 6, 6] }]);
    expect(Object.keys(m.graph.initializers).sort()).toEqual(['1', '2']);
    const w = m.graph.initializers['1']!;
    expect([w.dtype, w.dims, w.data.constructor, w.data.length]).toEqual(['float32', [4, 3, 3, 3], Float32Array, 108]);
    expect(m.graph.nodes[0]!.attrs.group).toEqual({ type: 'int', value: 1 });
    // Bias bytes "sNh7vd..." are f32 little-endian -0.06148...
    expect(m.graph.initializers['2']!.data[0]).toBeCloseTo(-0.061486, 5);
  });

  test('every model in the ONNX test data imports, or fails with a ModelError', () => {
    let imported = 0;
    const refused: string[] = [];
    for (const dir of ['node', 'pytorch-converted', 'pytorch-operator', 'simple']) {
      for (const c of readdirSync(`${DATA}/${dir}`)) {
        try {
          const m = importOnnx(read(`${dir}/${c}/model.onnx`));
          expect(m.graph.nodes.every((n) => n.name !== '' && n.opType !== '')).toBe(true);
          imported++;
        } catch (e) {
          if (!(e instanceof ModelError)) throw new Error(`${c}: ${(e as Error).stack}`);
          refused.push(c);
        }
      }
    }
    expect(imported).toBeGreaterThan(1000);
    // Only sequence/optional I/O and training-domain-only models are refused.
    expect(refused.every((c) => /sequence|optional|_opt|_seq|adagrad|adam|momentum/.test(c))).toBe(true);
  });
});

function toOrt(t: TensorData) {
  if (t.dtype === 'float16') return new ort.Tensor('float16', Uint16Array.from(t.data as Float32Array, floatToHalf), t.dims);
  return new ort.Tensor(t.dtype, t.data, t.dims);
}
const ortValues = (x: { type: string; data: ArrayLike<number | bigint> }) =>
  x.type === 'float16' ? Array.from(x.data as Uint16Array, halfToFloat) : Array.from(x.data, Number);

// onnxruntime itself disagrees with these reference outputs (random ops, known deviations).
const ORT_DIFFERS = /bernoulli|training_dropout|maxunpool_export_with_output_shape|align_corners/;

test('decoded test_data_set inputs, run in onnxruntime, reproduce the decoded expected outputs', async () => {
  const matchedDtypes = new Set<string>();
  let matched = 0;
  const failures: string[] = [];
  for (const dir of ['node', 'pytorch-operator']) {
    for (const c of readdirSync(`${DATA}/${dir}`)) {
      const ds = `${DATA}/${dir}/${c}/test_data_set_0`;
      if (!existsSync(ds) || ORT_DIFFERS.test(c)) continue;
      const bytes = read(`${dir}/${c}/model.onnx`);
      try { importOnnx(bytes); } catch { continue; } // sequence/optional cases: their .pb files are not tensors
      let session;
      try { session = await ort.InferenceSession.create(bytes, ORT_OPTS); } catch { continue; }
      const files = readdirSync(ds).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      let inputs, outputs;
      try {
        inputs = files.filter((f) => f.startsWith('input')).map((f) => parseTensorProtoBytes(readFileSync(`${ds}/${f}`)));
        outputs = files.filter((f) => f.startsWith('output')).map((f) => parseTensorProtoBytes(readFileSync(`${ds}/${f}`)));
      } catch (e) {
        if (e instanceof ModelError && /strings/.test(e.message)) continue; // string tensors are refused by design
        throw e;
      }
      const feeds = Object.fromEntries(inputs.map((p, i) => [p.name || session.inputNames[i], toOrt(p.tensor)]));
      let got;
      try { got = await session.run(feeds); } catch { continue; }
      const ok = outputs.every((p, i) => {
        const r = compareClose(ortValues(got[p.name || session.outputNames[i]]), Array.from(p.tensor.data, Number), 1e-3, /dft/.test(c) ? 1e-3 : 1e-4);
        return r.ok;
      });
      if (!ok) { failures.push(c); continue; }
      matched++;
      for (const p of [...inputs, ...outputs]) matchedDtypes.add(p.tensor.dtype);
    }
  }
  expect(failures).toEqual([]);
  expect(matched).toBeGreaterThan(850);
  for (const d of ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'int32', 'int64', 'uint32', 'uint64', 'bool']) {
    expect(matchedDtypes, d).toContain(d);
  }
});

describe('broken files give a ModelError a person can act on', () => {
  test('empty file', () => {
    expect(thrown(() => importOnnx(new Uint8Array(0), 'net.onnx')).message).toMatch(/'net\.onnx' is empty/);
  });

  test('random bytes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = makeRng(seed);
      const bytes = Uint8Array.from({ length: 64 + seed * 37 }, () => Math.floor(r() * 256));
      expect(thrown(() => importOnnx(bytes)).message).toMatch(/is not (a readable ONNX|an ONNX) model/);
    }
  });

  test('truncated model, cut anywhere', () => {
    const full = read('pytorch-converted/test_Conv2d_padding/model.onnx');
    for (let len = 1; len < full.length; len += 7) {
      expect(thrown(() => importOnnx(full.subarray(0, len))).message).toMatch(/ONNX model|opset/);
    }
    expect(thrown(() => importOnnx(full.subarray(0, 300))).message).toMatch(/truncated or corrupt/);
  });

  test('a text file and look-alike formats', () => {
    const text = new TextEncoder().encode('# My model\nThis is a README, not a model.\n');
    expect(thrown(() => importOnnx(text)).message).toMatch(/not (a readable ONNX|an ONNX) model/);
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
    expect(thrown(() => importOnnx(zip, 'net.pt')).message).toMatch(/'net\.pt' is not an ONNX model.*torch\.onnx\.export/);
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect(thrown(() => importOnnx(png)).message).toMatch(/PNG image/);
  });

  test('valid protobuf without a graph, or without a default-domain opset', () => {
    const noGraph = onnx.ModelProto.encode({ irVersion: 7, producerName: 'x' }).finish();
    expect(thrown(() => importOnnx(noGraph)).message).toMatch(/not an ONNX model \(it has no graph nodes\)/);
    const graph = { node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] };
    const noOpset = onnx.ModelProto.encode({ irVersion: 7, graph, opsetImport: [{ domain: 'com.microsoft', version: 1 }] }).finish();
    expect(thrown(() => importOnnx(noOpset)).message).toMatch(/no opset for the default ONNX domain/);
    const aiOnnx = onnx.ModelProto.encode({ irVersion: 7, graph, opsetImport: [{ domain: 'ai.onnx', version: 12 }] }).finish();
    expect(importOnnx(aiOnnx).opset).toBe(12);
  });

  test('a sequence-typed graph input is refused by name', () => {
    const m = read('node/test_identity_sequence/model.onnx');
    expect(thrown(() => importOnnx(m)).message).toBe("graph input 'x' is a sequence; the studio handles numeric tensors only");
  });
});

test('shapes: dim_value, dim_param and unknown dims; value_info is kept', () => {
  const t = (dim: onnx.TensorShapeProto.IDimension[]) => ({ tensorType: { elemType: 1, shape: { dim } } });
  const bytes = onnx.ModelProto.encode({
    irVersion: 8, opsetImport: [{ version: 17 }],
    graph: {
      node: [{ name: 'r', opType: 'Relu', input: ['x'], output: ['h'] }, { opType: 'Relu', input: ['h'], output: ['y'] }],
      input: [{ name: 'x', type: t([{ dimParam: 'N' }, {}, { dimValue: 3 }]) }],
      output: [{ name: 'y', type: t([{ dimParam: 'N' }, { dimValue: 0 }, { dimValue: 3 }]) }],
      valueInfo: [{ name: 'h', type: t([{ dimValue: 2 }]) }, { name: 's', type: { sequenceType: {} } }],
    },
  }).finish();
  const g = importOnnx(bytes).graph;
  expect(g.inputs[0]!.shape).toEqual(['N', '?', 3]);
  expect(g.outputs[0]!.shape).toEqual(['N', 0, 3]);
  expect(g.valueInfo).toEqual({ h: { name: 'h', dtype: 'float32', shape: [2] } });
  expect(g.nodes.map((n) => n.name)).toEqual(['r', 'Relu_1']);
});

describe('decodeTensorProto', () => {
  // Encodes then decodes, so int64 fields arrive as real protobufjs Long objects.
  const viaWire = (p: onnx.ITensorProto) => decodeTensorProto(onnx.TensorProto.decode(onnx.TensorProto.encode(p).finish()));
  const rawOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const T = onnx.TensorProto.DataType;

  const cases: [string, number, onnx.ITensorProto, ArrayBufferView, unknown[]][] = [
    ['float32', T.FLOAT, { floatData: [1.5, -2, 0.1] }, Float32Array.of(1.5, -2, 0.1), [1.5, -2, Math.fround(0.1)]],
    ['float64', T.DOUBLE, { doubleData: [0.1, -1e300, 3] }, Float64Array.of(0.1, -1e300, 3), [0.1, -1e300, 3]],
    ['int8', T.INT8, { int32Data: [-128, 5, 127] }, Int8Array.of(-128, 5, 127), [-128, 5, 127]],
    ['uint8', T.UINT8, { int32Data: [0, 200, 255] }, Uint8Array.of(0, 200, 255), [0, 200, 255]],
    ['int16', T.INT16, { int32Data: [-32768, 7, 32767] }, Int16Array.of(-32768, 7, 32767), [-32768, 7, 32767]],
    ['uint16', T.UINT16, { int32Data: [0, 40000, 65535] }, Uint16Array.of(0, 40000, 65535), [0, 40000, 65535]],
    ['int32', T.INT32, { int32Data: [-(2 ** 31), 1, 2 ** 31 - 1] }, Int32Array.of(-(2 ** 31), 1, 2 ** 31 - 1), [-(2 ** 31), 1, 2 ** 31 - 1]],
    ['bool', T.BOOL, { int32Data: [1, 0, 1] }, Uint8Array.of(1, 0, 1), [1, 0, 1]],
    ['uint32', T.UINT32, { uint64Data: [0, 4e9, 2 ** 32 - 1] }, Uint32Array.of(0, 4e9, 2 ** 32 - 1), [0, 4e9, 2 ** 32 - 1]],
    ['int64', T.INT64, { int64Data: [-1, 2 ** 40 + 3, -(2 ** 33)] }, BigInt64Array.of(-1n, 2n ** 40n + 3n, -(2n ** 33n)), [-1n, 2n ** 40n + 3n, -(2n ** 33n)]],
    ['uint64', T.UINT64, { uint64Data: [0, 2 ** 40, 7] }, BigUint64Array.of(0n, 2n ** 40n, 7n), [0n, 2n ** 40n, 7n]],
    ['float16', T.FLOAT16, { int32Data: [0x3c00, 0xc000, 0x0001] }, Uint16Array.of(0x3c00, 0xc000, 0x0001), [1, -2, 2 ** -24]],
    ['bfloat16', T.BFLOAT16, { int32Data: [0x3f80, 0xc0a0, 0x7f80] }, Uint16Array.of(0x3f80, 0xc0a0, 0x7f80), [1, -5, Infinity]],
  ];
  test.each(cases)('%s: typed field and raw_data decode to the same values', (dtype, dataType, typed, raw, want) => {
    // An odd-length name shifts raw_data to an unaligned offset inside the encoded buffer.
    const a = viaWire({ name: 'abc', dims: [3], dataType, ...typed });
    const b = viaWire({ name: 'abc', dims: [3], dataType, rawData: rawOf(raw) });
    expect(a).toEqual(b);
    expect(a.dtype).toBe(dtype);
    expect(Array.from(a.data as ArrayLike<unknown>)).toEqual(want);
  });

  test('int64 extremes survive the typed field (Long) path', () => {
    const t = viaWire({ dims: [2], dataType: T.INT64, int64Data: [{ low: -1, high: 0x7fffffff, unsigned: false }, { low: 0, high: -0x80000000, unsigned: false }] });
    expect(Array.from(t.data as BigInt64Array)).toEqual([2n ** 63n - 1n, -(2n ** 63n)]);
  });

  test('half-precision bits decode exactly, and every finite half survives float -> half', () => {
    expect([0x7bff, 0x7c00, 0xfc00, 0x8000, 0x0400].map(halfToFloat)).toEqual([65504, Infinity, -Infinity, -0, 2 ** -14]);
    expect(halfToFloat(0x7e00)).toBeNaN();
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN payloads
      if (floatToHalf(halfToFloat(h)) !== h) throw new Error(`half 0x${h.toString(16)} does not round trip`);
    }
    expect([65520, 2 ** -25, 3 * 2 ** -25, 1 + 2 ** -11].map(floatToHalf)).toEqual([0x7c00, 0, 0x0002, 0x3c00]);
  });

  test('refuses external data, strings, unknown types and wrong sizes', () => {
    expect(thrown(() => decodeTensorProto({ name: 'w', dims: [2], dataType: T.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] })).message)
      .toMatch(/tensor 'w' stores its data in an external file; re-export the model with the weights embedded/);
    expect(thrown(() => decodeTensorProto({ name: 's', dims: [1], dataType: T.STRING, stringData: [new Uint8Array([104])] })).message)
      .toMatch(/tensor 's' holds strings/);
    expect(thrown(() => decodeTensorProto({ name: 'q', dims: [1], dataType: 17, rawData: new Uint8Array(1) })).message)
      .toMatch(/tensor 'q' has element type .*cannot read/);
    expect(thrown(() => decodeTensorProto({ name: 'w', dims: [2, 2], dataType: T.FLOAT, rawData: new Uint8Array(12) })).message)
      .toMatch(/tensor 'w' has 12 bytes of data but its shape needs 16/);
    expect(thrown(() => decodeTensorProto({ name: 'w', dims: [3], dataType: T.FLOAT, floatData: [1] })).message)
      .toMatch(/holds 1 values but its shape \[3\] needs 3/);
  });

  test('parseTensorProtoBytes reads a test_data_set file, and refuses garbage', () => {
    const { name, tensor } = parseTensorProtoBytes(read('node/test_conv_with_strides_padding/test_data_set_0/input_0.pb'));
    expect(name).toBe('x');
    expect([tensor.dtype, tensor.dims]).toEqual(['float32', [1, 1, 7, 5]]);
    expect(Array.from(tensor.data as Float32Array)).toEqual(Array.from({ length: 35 }, (_, i) => i)); // np.arange(35)
    expect(thrown(() => parseTensorProtoBytes(Uint8Array.of(0x0a, 0xff, 0xff)))).toBeInstanceOf(ModelError);
  });
});
