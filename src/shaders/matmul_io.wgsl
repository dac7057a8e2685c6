// Uses stridedOffset2() from strided.wgsl (kernels/common.ts withStrided).
// The f32 matmul kernels' params and bindings (matmul.wgsl, matmul_small.wgsl share them; kernels/matmul.ts
// writes the uniform and composes this file in front of either).

struct Params {
  M: u32, N: u32, K: u32, batchRank: u32,
  aM: u32, aK: u32, bK: u32, bN: u32, // element strides of op(A) (M, K) and op(B) (K, N)
  cM: u32, cN: u32, hasC: u32, _pad: u32, // C strides, 0 along broadcast axes
  alpha: f32, beta: f32,
  a: f32, // LeakyRelu alpha or Clip min
  b: f32, // Clip max
  batchShape: array<vec4<u32>, 2>, // y's batch dims
  aBatch: array<vec4<u32>, 2>, // A's batch strides, 0 where broadcast
  bBatch: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> lhs: array<f32>;
@group(0) @binding(2) var<storage, read> rhs: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>; // C; any buffer when hasC == 0
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

/** Batch index -> element offsets (A, B) of that batch's operands (innermost batch dim last; 0 where broadcast). */
fn batchOffsets(batch: u32) -> vec2<u32> {
  return stridedOffset2(batch, params.batchRank, params.batchShape, params.aBatch, params.bBatch);
}
