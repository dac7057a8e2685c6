// The fused activation shared by unary, conv2d, matmul and channel_affine, which list this file
// beside their own (kernels/common.ts `withActivation`). ACT codes as in kernels/common.ts `ACT`;
// a = LeakyRelu alpha, Clip min or HardSigmoid alpha; b = Clip max or HardSigmoid beta.
override ACT: u32 = 0u;

fn activate(v: f32, a: f32, b: f32) -> f32 {
  switch ACT {
    case 1u: { return max(v, 0.0); }
    case 2u: { return select(v * a, v, v >= 0.0); }
    case 3u: { return clamp(v, a, b); }
    case 4u: { return 1.0 / (1.0 + exp(-v)); }
    case 5u: { return tanh(clamp(v, -30.0, 30.0)); }
    case 6u: { return clamp(a * v + b, 0.0, 1.0); }
    case 7u: { return v * clamp(v / 6.0 + 0.5, 0.0, 1.0); } // HardSwish = x * HardSigmoid(1/6, 1/2)
    case 8u: { return v * (1.0 / (1.0 + exp(-v))); } // SiLU: Mul(x, Sigmoid(x)) as exporters write it, one rounding apart
    default: { return v; }
  }
}
