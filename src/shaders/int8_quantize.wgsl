// Quantize-on-load, shared by the int8 kernels that read f32 x (composed in front of them by
// kernels/int8.ts `int8Module`). The kernel declares `params` with an i32 `xShift` and binds
// `xq` = (xScale, xZero, invXScale, unused); its entry point calls loadInputGrid() first.

var<private> xZero: i32;
var<private> invXScale: f32;

fn loadInputGrid() {
  xZero = i32(xq[1]) + params.xShift;
  invXScale = xq[2];
}

fn quantize(v: f32) -> i32 {
  // Clamp before converting: a huge or infinite x must not overflow the i32 conversion.
  let r = clamp(round(v * invXScale), -512.0, 512.0);
  return clamp(i32(r) + xZero, -128, 127);
}

fn pack4(q: vec4<i32>) -> u32 {
  let b = bitcast<vec4<u32>>(q) & vec4<u32>(0xffu);
  return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}
