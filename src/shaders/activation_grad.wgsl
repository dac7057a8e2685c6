// Listed after activation.wgsl for its override ACT (same codes, one pipeline per ACT).
// Backward of the elementwise activation: dx = dy * act'(x), x being the activation's input.
// At a kink the derivative takes the side the forward's select/clamp takes (relu 0 at 0, leaky
// relu 1 at 0, clip 1 on [min, max] inclusive as ONNX Clip / torch.clamp).
override WG: u32 = 256u;

struct Params {
  count: u32,
  a: f32, // LeakyRelu alpha, Clip min or HardSigmoid alpha
  b: f32, // Clip max or HardSigmoid beta
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn derivative(v: f32, a: f32, b: f32) -> f32 {
  switch ACT {
    case 1u: { return select(0.0, 1.0, v > 0.0); }
    case 2u: { return select(a, 1.0, v >= 0.0); }
    case 3u: { return select(0.0, 1.0, v >= a && v <= b); }
    // sigmoid' = s (1 - s) = e / (1 + e)^2 with e = exp(-|x|), and tanh' = 1 - t^2 = 4e / (1 + e)^2
    // with e = exp(-2|x|): s (1 - s) and 1 - t^2 in f32 lose most digits once s or t nears 1.
    case 4u: { let e = exp(-abs(v)); return e / ((1.0 + e) * (1.0 + e)); }
    case 5u: { let e = exp(-2.0 * abs(v)); return 4.0 * e / ((1.0 + e) * (1.0 + e)); }
    case 6u: { let h = a * v + b; return select(0.0, a, h > 0.0 && h < 1.0); }
    // HardSwish x * clamp(x/6 + 1/2, 0, 1): 0 below -3, 1 above 3, x/3 + 1/2 between.
    case 7u: {
      if (v < -3.0) { return 0.0; }
      if (v > 3.0) { return 1.0; }
      return v / 3.0 + 0.5;
    }
    // SiLU x s(x): s + x s (1 - s).
    case 8u: { let s = 1.0 / (1.0 + exp(-v)); return s + v * s * (1.0 - s); }
    default: { return 1.0; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  dx[i] = dy[i] * derivative(x[i], params.a, params.b);
}
