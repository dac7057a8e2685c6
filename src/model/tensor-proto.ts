/**
 * ONNX TensorProto <-> TensorData. Reads both raw_data and the typed repeated fields (older
 * exporters and hand-written test files use the latter); always writes raw_data.
 * float16/bfloat16 are widened to float32 on read and narrowed back on write.
 */
import { onnx } from 'onnx-proto';
import type { Long } from 'protobufjs';
import { ONNX_DTYPE, DTYPE_ONNX, DTYPE_BYTES, arrayFor, type DType, type TypedArray } from '../core/dtype';
import { ModelError } from '../core/errors';
import { NEWER_ONNX_TYPES } from './support';
import type { TensorData } from './ir';

/** A protobuf int64/uint64 field as protobufjs hands it over (a Long when long.js is present). */
export type LongLike = number | Long;

/** int64 -> JS number (exact up to 2^53; INT64_MAX reads as 2^63, which toLong writes back as INT64_MAX). */
export function longToNumber(v: LongLike | null | undefined): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  return (v.unsigned ? v.high >>> 0 : v.high) * 4294967296 + (v.low >>> 0);
}

function longToBigInt(v: LongLike): bigint {
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/** JS number -> int64 for protobufjs; saturates so 2^63 (INT64_MAX read as a double) does not wrap to INT64_MIN. */
export function toLong(n: number): LongLike {
  if (n >= 2 ** 63) return { low: -1, high: 0x7fffffff, unsigned: false };
  if (n <= -(2 ** 63)) return { low: 0, high: -0x80000000, unsigned: false };
  return n;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float -> IEEE half bits, round to nearest even (what numpy's astype(float16) does). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40; // keep NaN a NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function widen(bits: ArrayLike<number>, dtype: DType): Float32Array {
  const conv = dtype === 'float16' ? halfToFloat : bf16ToFloat;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = conv(bits[i]!);
  return out;
}

function dtypeOf(p: onnx.ITensorProto, name: string): DType {
  const code = p.dataType ?? 0;
  const dtype = ONNX_DTYPE[code];
  if (!dtype) {
    const label = onnx.TensorProto.DataType[code] ?? NEWER_ONNX_TYPES[code] ?? `#${code}`;
    throw new ModelError(`tensor '${name}' has element type ${label}, which the studio cannot read`);
  }
  return dtype;
}

/** `fallbackName` names tensors that carry none (a Constant's value attribute) in error messages. */
export function decodeTensorProto(p: onnx.ITensorProto, fallbackName = '(unnamed)'): TensorData {
  const name = p.name || fallbackName;
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (p.externalData?.length ?? 0) > 0) {
    throw new ModelError(
      `tensor '${name}' stores its data in an external file; re-export the model with the weights embedded ` +
        `(onnx.save_model(model, path, save_as_external_data=False))`,
    );
  }
  const dtype = dtypeOf(p, name);
  if (dtype === 'string') {
    throw new ModelError(`tensor '${name}' holds strings; the studio works on numeric tensors only`);
  }
  const dims = (p.dims ?? []).map(longToNumber);
  const count = dims.reduce((a, d) => a * d, 1);
  const data = readValues(p, name, dtype, count);
  if (data.length !== count) {
    throw new ModelError(
      `tensor '${name}' holds ${data.length} values but its shape [${dims.join(', ')}] needs ${count}; the file is corrupt`,
    );
  }
  return { dtype, dims, data };
}

function readValues(p: onnx.ITensorProto, name: string, dtype: DType, count: number): TypedArray {
  const raw = p.rawData;
  if (raw && raw.length > 0) {
    const bytes = DTYPE_BYTES[dtype];
    if (raw.length !== count * bytes) {
      throw new ModelError(
        `tensor '${name}' has ${raw.length} bytes of data but its shape needs ${count * bytes}; the file is corrupt`,
      );
    }
    // Copy: protobufjs hands out views into the file buffer at arbitrary (unaligned) offsets.
    // ONNX raw_data is little-endian, as is every host that runs WebGPU.
    const buf = new Uint8Array(raw).buffer;
    if (dtype === 'float16' || dtype === 'bfloat16') return widen(new Uint16Array(buf), dtype);
    const out = arrayFor(dtype, 0);
    return new (out.constructor as new (b: ArrayBuffer) => TypedArray)(buf);
  }
  const typed = typedField(p, dtype);
  if (dtype === 'float16' || dtype === 'bfloat16') return widen(typed as number[], dtype);
  const out = arrayFor(dtype, typed.length);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    const signed = out instanceof BigInt64Array;
    typed.forEach((v, i) => {
      const b = longToBigInt(v);
      out[i] = signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
    });
  } else {
    typed.forEach((v, i) => { out[i] = longToNumber(v); });
  }
  return out;
}

/** The repeated field each dtype uses when raw_data is absent (see onnx.proto's TensorProto). */
function typedField(p: onnx.ITensorProto, dtype: DType): LongLike[] {
  switch (dtype) {
    case 'float32': return p.floatData ?? [];
    case 'float64': return p.doubleData ?? [];
    case 'int64': return p.int64Data ?? [];
    case 'uint32': case 'uint64': return p.uint64Data ?? [];
    default: return p.int32Data ?? []; // int8..uint16, int32, bool, and float16/bfloat16 bit patterns
  }
}

export function encodeTensorData(name: string, t: TensorData): onnx.ITensorProto {
  if (t.dtype === 'string') throw new ModelError(`tensor '${name}' holds strings, which cannot be exported`);
  const count = t.dims.reduce((a, d) => a * d, 1);
  if (t.data.length !== count) {
    throw new ModelError(`tensor '${name}' has ${t.data.length} values but shape [${t.dims.join(', ')}]`);
  }
  let data: TypedArray = t.data;
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const conv = t.dtype === 'float16' ? floatToHalf : floatToBf16;
    const bits = new Uint16Array(count);
    for (let i = 0; i < count; i++) bits[i] = conv(Number(t.data[i]));
    data = bits;
  }
  return {
    name,
    dims: t.dims.slice(),
    dataType: DTYPE_ONNX[t.dtype],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Reads a bare TensorProto file, such as an ONNX test case's test_data_set_0/input_0.pb. */
export function parseTensorProtoBytes(bytes: Uint8Array): { name: string; tensor: TensorData } {
  let p: onnx.TensorProto;
  try {
    p = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new ModelError(`not a readable ONNX tensor file (${(e as Error).message})`);
  }
  return { name: p.name, tensor: decodeTensorProto(p) };
}
