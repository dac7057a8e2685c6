// Pruning's mask, held during fine-tuning: after each optimizer step every pruned weight is set back
// to exactly zero (w *= mask, mask 0 or 1), so what the optimizer's momentum would regrow never
// reaches the next forward. One invocation per element; the grid may fold into y.

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  // select, not a multiply: a weight that went non-finite is still cleared where the mask is 0.
  param[i] = select(0.0, param[i], mask[i] != 0.0);
}
