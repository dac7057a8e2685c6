/** Round to nearest, ties to even: what WGSL round() and ONNX QuantizeLinear do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +inf
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
