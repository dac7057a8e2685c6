// x quantised once for int8_conv_dw.wgsl: d = quantize(x) - xZero, an integer in [-255, 255] held
// as f32, one per input element. The depthwise kernel then reads each tap's difference instead of
// quantising every input it loads once per tap (9 or 25 times). Uses quantize() and loadInputGrid()
// from int8_quantize.wgsl.

const WG = 64u;
const PER = 16u; // elements an invocation quantises at most: SwiftShader pays a lot per invocation

struct Params {
  total: u32, xShift: i32,
  invocations: u32, // T = ceil(total / PER), from the host: no division here
  _p0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> d: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<f32>; // xScale, xZero, invXScale, unused

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Invocation j of T = ceil(total / PER) takes elements j, j + T, j + 2T, ...: neighbouring
  // invocations read neighbouring elements on each step, as a GPU coalesces best.
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= params.invocations) { return; }
  loadInputGrid();
  for (var i = j; i < params.total; i += params.invocations) { d[i] = f32(quantize(x[i]) - xZero); }
}
