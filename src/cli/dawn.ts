/**
 * WebGPU in Node through Dawn (npm `webgpu`), so the CLI runs the studio's own WGSL kernels.
 * Without a GPU driver, Chromium's SwiftShader Vulkan ICD serves as the adapter.
 */
import { existsSync, readdirSync } from 'node:fs';
import { GpuError } from '../core/errors';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function systemHasVulkanDriver(): boolean {
  for (const dir of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d']) {
    if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json'))) return true;
  }
  return false;
}

export async function nodeGpu(): Promise<GPU> {
  if (!process.env.VK_ICD_FILENAMES && !systemHasVulkanDriver() && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new GpuError(`The 'webgpu' package (Dawn for Node) could not load: ${(e as Error).message}. Run npm ci.`);
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]) as GPU;
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new GpuError('No WebGPU adapter in Node: install a Vulkan driver, or `apt-get install libvulkan1 chromium` for the SwiftShader software adapter.');
  }
  return gpu;
}
