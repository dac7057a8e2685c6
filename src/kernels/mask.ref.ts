/** applyMask on the CPU: pruned weights become exactly zero (also when they were NaN). */
export function applyMaskRef(param: Float32Array, mask: ArrayLike<number>): void {
  for (let i = 0; i < param.length; i++) if (mask[i] === 0) param[i] = 0;
}
