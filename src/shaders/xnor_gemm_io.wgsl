// The XNOR GEMM kernels' params, bindings and output (xnor_matmul.wgsl and xnor_matmul_reg.wgsl share
// them; kernels/binary-net.ts writes the uniform and composes this file in front of either).
// Uses activate() and override ACT from activation.wgsl.
override HAS_BIAS: bool = false;

struct Params {
  Pb: u32, Nc: u32, K32: u32, rows: u32, // rows and output channels per group; rows = G * Pb
  Pdiv: u32, yOuter: u32, yRow: u32, yCol: u32, // y index = (r / Pdiv) * yOuter + (r % Pdiv) * yRow + ch * yCol
  a: f32, b: f32, // LeakyRelu alpha or Clip min; Clip max
  zero: u32, chBlocks: u32, // zero: always 0, see opaque(); chBlocks = ceil(Nc / 8), read by the register form
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> packed: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> wbits: array<u32>; // (Nout, K32)
@group(0) @binding(3) var<storage, read> alpha: array<f32>; // (Nout)
@group(0) @binding(4) var<storage, read> bias: array<f32>;  // (Nout), or a dummy when !HAS_BIAS
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

// The value unchanged, hidden from the optimiser (zero is 0 only at run time), so alpha*beta*dot +
// bias is never fused into an fma or reassociated: each f32 op rounds once, as in the reference.
fn opaque(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) | params.zero); }

// Stores output (row r of group g's rows, channel ch) from the row's header (valid count, beta bits)
// and its mismatch count: dot = count - 2 * misses, y = act(alpha * beta * dot + bias).
fn storeOutput(r: u32, hdr: vec2<u32>, ch: u32, misses: u32) {
  let dot = i32(hdr.x) - 2 * i32(misses);
  let s = opaque(alpha[ch] * bitcast<f32>(hdr.y));
  var v = opaque(s * f32(dot));
  if (HAS_BIAS) { v = v + bias[ch]; }
  y[(r / params.Pdiv) * params.yOuter + (r % params.Pdiv) * params.yRow + ch * params.yCol] = activate(v, params.a, params.b);
}
