// The fold both range kernels share (dynamic_quant_params.wgsl over a tensor or the partials,
// range_partials.wgsl over one chunk), composed in front of them by kernels/dynamic-quant.ts. The
// kernel declares const WG and binds x.

var<workgroup> mins: array<f32, WG>;
var<workgroup> maxs: array<f32, WG>;

// (min(0, x[start..end)), max(0, x[start..end))) of the workgroup, to every invocation: invocation li
// folds x[start + li], x[start + li + WG], ..., then a tree combines them. Starting from 0 folds in
// the ONNX range's own min(0, .) and max(0, .). Call it from uniform control flow (it has barriers).
fn foldRange(li: u32, start: u32, end: u32) -> vec2<f32> {
  var lo = 0.0;
  var hi = 0.0;
  for (var i = start + li; i < end; i += WG) {
    let v = x[i];
    lo = min(lo, v);
    hi = max(hi, v);
  }
  mins[li] = lo;
  maxs[li] = hi;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (li < s) {
      mins[li] = min(mins[li], mins[li + s]);
      maxs[li] = max(maxs[li], maxs[li + s]);
    }
  }
  workgroupBarrier();
  return vec2<f32>(mins[0], maxs[0]);
}
