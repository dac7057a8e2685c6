// One output of an int8 kernel from its i32 accumulator (bias excluded) and its channel's table
// entry `ch` (kernels/int8.ts channelTable), shared by the int8 GEMM and conv kernels (composed in
// front of them by `int8Module`). The kernel declares `params` with floatOut, yScale, yMin, yMax,
// silu, yZero, lo, hi and binds `xq`.
//   requant: yq = clamp(round(f32(acc + bias) * mult) + yZero, lo, hi), stored as (yq - yZero) * yScale
//   float:   y = fround(f32(acc) * fround(xScale * wScale)) + biasF, then clamped to [yMin, yMax]
//            (a fused ReLU or Clip as data, so it specialises no pipeline; ±f32 max when none),
//            then y * sigmoid(y) where a SiLU is fused (data too)

fn epilogue(acc: i32, ch: vec4<u32>) -> f32 {
  if (params.floatOut != 0u) {
    // params.yScale is 1 here but unknown to the compiler: should it contract the multiply and add
    // into an fma, fma(p, 1, bias) still adds the rounded product p, as the reference does.
    let p = f32(acc) * (xq[0] * bitcast<f32>(ch.w));
    let y = clamp(p * params.yScale + bitcast<f32>(ch.z), params.yMin, params.yMax);
    if (params.silu != 0u) { return y * (1.0 / (1.0 + exp(-y))); } // as activation.wgsl's ACT 8
    return y;
  }
  let r = clamp(round(f32(acc + bitcast<i32>(ch.z)) * bitcast<f32>(ch.w)), -512.0, 512.0);
  let q = clamp(i32(r) + params.yZero, params.lo, params.hi);
  return f32(q - params.yZero) * params.yScale;
}
