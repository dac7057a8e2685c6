// dot4() for the int8 kernels, listed in front of them by kernels/int8.ts `withDot4`: the
// hardware 4x8-bit dot product, chosen when the adapter offers the packed_4x8_integer_dot_product
// WGSL language feature. dot4_unpacked.wgsl defines the same function without it; the two give
// bit-identical results (no intermediate can overflow: |sum| <= 4 * 128 * 128).
requires packed_4x8_integer_dot_product;

// Sum of a[i] * b[i] over the four bytes of a and b, each read as a signed int8 (byte 0 = bits 0..7).
fn dot4(a: u32, b: u32) -> i32 { return dot4I8Packed(a, b); }
