// The int8 matmul kernels' params and bindings (int8_matmul.wgsl, int8_matmul_small.wgsl share them;
// kernels/int8-matmul.ts writes the uniform and composes this file in front of either).

struct Params {
  M: u32, N: u32,
  K: u32, K4: u32,
  xShift: i32, yZero: i32, // xShift: added to xq's zero point
  lo: i32, hi: i32, // output clamp in yq units (requant)
  floatOut: u32, yScale: f32, // yScale: 1 for float output
  asym: u32, // some wZero != 0: the kernel needs sum xq per row
  yMin: f32, yMax: f32, // float output: the fused ReLU or Clip as a clamp (requant clamps ReLU at lo)
  silu: u32, // float output: SiLU after the clamp (efficientnet's Mul(y, Sigmoid(y)), fused)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (M, K)
@group(0) @binding(2) var<storage, read> w: array<u32>;         // (N, K4) packed int8
@group(0) @binding(3) var<storage, read> chan: array<vec4<u32>>; // (N): wSum, wZero (i32), then bias (i32), mult (f32 bits)
                                                                 // or, float output, biasF, wScale (f32 bits)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;   // (M, N)
@group(0) @binding(5) var<storage, read> xq: array<f32>;        // xScale, xZero, invXScale, unused
