/**
 * WebGPU in Node through Dawn (npm `webgpu`), so the CLI runs the studio's own WGSL kernels.
 * Without a GPU driver, Chromium's SwiftShader Vulkan ICD serves as the adapter.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { GpuError } from '../core/errors';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A render node means a real GPU with a kernel driver; without one, Mesa's ICDs (lavapipe is too old for Dawn) are no use. */
function hasGpuDevice(): boolean {
  return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
}

export async function nodeGpu(): Promise<GPU> {
  if (!process.env.VK_ICD_FILENAMES && !hasGpuDevice() && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  // SwiftShader's WSI probing complains on stderr without it; the CLI never presents a surface.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
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
