/** Element types the IR can hold. Compute on the GPU is f32; the others appear in initializers and shape chains. */
export type DType = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string' | 'bfloat16';

/** ONNX TensorProto.DataType enum values. */
export const ONNX_DTYPE: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

export const DTYPE_ONNX: Record<DType, number> = Object.fromEntries(
  Object.entries(ONNX_DTYPE).map(([k, v]) => [v, Number(k)]),
) as Record<DType, number>;

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2,
  int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1, string: 0,
};

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** The array type that holds each dtype in memory (float16/bfloat16 are widened to f32 on import). */
export function arrayFor(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32': case 'float16': case 'bfloat16': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int8': return new Int8Array(length);
    case 'uint8': case 'bool': return new Uint8Array(length);
    case 'int16': return new Int16Array(length);
    case 'uint16': return new Uint16Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint32': return new Uint32Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'uint64': return new BigUint64Array(length);
    case 'string': throw new Error('string tensors have no numeric array');
  }
}
