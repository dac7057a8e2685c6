/** The CLI's filter on native stderr: Dawn's and the Vulkan drivers' own messages go, anything else stays, in any chunking. */
import { describe, expect, it } from 'vitest';
import { DawnNoiseFilter } from './dawn';

// As Dawn (npm webgpu 0.6) prints them on Debian 12 with Mesa's lavapipe listed before SwiftShader,
// and with an ICD whose library is missing; SwiftShader's complaint without XDG_RUNTIME_DIR.
const DAWN = 'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n'
  + ' - While initializing adapter (backend=BackendType::Vulkan)\n'
  + '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)\n'
  + '\n';
const LOADER = 'Warning: loader_icd_scan: Failed loading library associated with ICD JSON /x/libfoo.so. Ignoring this JSON\n'
  + 'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n    at CheckVkSuccessImpl (VulkanError.cpp:106)\n';
const SWIFTSHADER = 'error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n';
// What must get through: a crash report from native code or Node itself, and look-alikes.
const KEPT = ['Segmentation fault in dawn::native::vulkan\n', 'Error: boom\n    at main (main.ts:3)\n',
  'error: Warning: is not a model\n', 'Warnings: 3\n'];

function filtered(chunks: string[]): string {
  let out = '';
  const f = new DawnNoiseFilter((t) => { out += t; });
  for (const c of chunks) f.push(c);
  f.end();
  return out;
}

describe('DawnNoiseFilter', () => {
  const text = [DAWN, KEPT[0], SWIFTSHADER, KEPT[1], LOADER, KEPT[2], DAWN, KEPT[3]].join('');
  const expected = KEPT.join('');

  it('drops the native warnings with their continuation lines and keeps the rest', () => {
    expect(filtered([text])).toBe(expected);
  });

  it('gives the same result however the pipe splits the text', () => {
    expect(filtered([...text])).toBe(expected);
    for (const size of [3, 7, 50]) expect(filtered(text.match(new RegExp(`[^]{1,${size}}`, 'g'))!)).toBe(expected);
  });

  it('passes on a last line without its newline when the stream ends', () => {
    expect(filtered(['Aborted (core dumped)'])).toBe('Aborted (core dumped)');
    expect(filtered([DAWN.trimEnd()])).toBe('');
  });
});
