/**
 * WebGPU in Node through Dawn (npm `webgpu`), so the CLI runs the studio's own WGSL kernels.
 * Without a GPU driver, Chromium's SwiftShader Vulkan ICD serves as the adapter. Dawn and the
 * Vulkan drivers write their warnings straight to file descriptor 2, out of Node's reach; the CLI
 * runs its work in a child process whose own messages travel on descriptor 3, and passes the
 * child's descriptor 2 through `DawnNoiseFilter`.
 */
import { tmpdir } from 'node:os';
import { GpuError } from '../core/errors';
import { hasGpuDevice, swiftshaderIcd } from '../../scripts/prereqs.mjs';

/** Points Vulkan at SwiftShader where there is no GPU (and the user chose no ICD); says which driver Dawn will get. */
export function configureVulkan(): string {
  // SwiftShader's WSI probing prints "error: XDG_RUNTIME_DIR is invalid" without it; the CLI never presents a surface.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  if (process.platform !== 'linux') return 'the system\'s WebGPU backend';
  if (process.env.VK_ICD_FILENAMES) return `the Vulkan driver(s) in VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`;
  if (hasGpuDevice()) return 'the system\'s Vulkan drivers (a GPU device node is present)';
  // Mesa's lavapipe, the other software driver, lacks features Dawn requires.
  const icd = swiftshaderIcd();
  if (!icd) return 'no Vulkan driver: no GPU device node and no SwiftShader ICD';
  process.env.VK_ICD_FILENAMES = icd;
  return `SwiftShader (${icd}), as there is no GPU device node`;
}

export async function nodeGpu(): Promise<GPU> {
  configureVulkan();
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
    throw new GpuError('No WebGPU adapter in Node: install a Vulkan driver, or `apt-get install libvulkan1 chromium` for the SwiftShader software adapter (npm run cli -- --verbose shows the drivers\' own messages).');
  }
  return gpu;
}

// Lines Dawn's logger (`Warning: ...`, `Info: ...`; it relays the Vulkan loader's messages too), the
// loader itself and Mesa/SwiftShader drivers print; a Dawn message continues on indented lines
// (" - While ...", "    at ...") and a blank one.
const NOISE = [
  /^(Warning|Info|Debug): /,
  /^(ERROR|WARNING|INFO|DEBUG):\s*\[ ?Loader Message ?\]/,
  /^WARNING: lavapipe is not a conformant/,
  /^(MESA|Mesa|radv|ANV)[-: ]/,
  /^error: XDG_RUNTIME_DIR is invalid/,
];

/**
 * Passes the native libraries' stderr through to `write`, line by line, minus their warnings.
 * It sees only what bypasses Node's process.stderr (the CLI's own output travels apart), so
 * anything else there, a crash report say, goes through.
 */
export class DawnNoiseFilter {
  private pending = '';
  private inMessage = false; // inside a dropped multi-line message
  constructor(private readonly write: (text: string) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    let cut: number;
    while ((cut = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, cut + 1));
      this.pending = this.pending.slice(cut + 1);
    }
  }

  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  private line(piece: string): void {
    const text = piece.replace(/\n$/, '');
    if (NOISE.some((re) => re.test(text))) { this.inMessage = true; return; }
    if (this.inMessage && (text.trim() === '' || /^\s/.test(text))) return;
    this.inMessage = false;
    this.write(piece);
  }
}
