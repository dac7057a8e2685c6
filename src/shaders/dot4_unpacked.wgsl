// dot4() for the int8 kernels without packed_4x8_integer_dot_product (kernels/int8.ts `withDot4`):
// the same function as dot4_builtin.wgsl, bit for bit, by unpacking each byte into an i32.

// Sum of a[i] * b[i] over the four bytes of a and b, each read as a signed int8 (byte 0 = bits 0..7).
fn dot4(a: u32, b: u32) -> i32 {
  // Shift byte i to the top, then arithmetic-shift it back down: sign extension in two vector ops.
  let up = vec4<u32>(24u, 16u, 8u, 0u);
  let av = (vec4<i32>(bitcast<i32>(a)) << up) >> vec4<u32>(24u);
  let bv = (vec4<i32>(bitcast<i32>(b)) << up) >> vec4<u32>(24u);
  return dot(av, bv);
}
