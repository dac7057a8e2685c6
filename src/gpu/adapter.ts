/** Finding an adapter and making a device, in the browser or in Node (Dawn). */
import { GpuError } from '../core/errors';
import { GpuContext, type AdapterSummary } from './context';
import { ENABLE_WEBGPU_HELP } from '../core/webgpu-help';

const WANTED: string[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export { ENABLE_WEBGPU_HELP } from '../core/webgpu-help';

export async function createGpuContext(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<GpuContext> {
  if (!gpu) throw new GpuError(ENABLE_WEBGPU_HELP);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuError(`No WebGPU adapter was offered. ${ENABLE_WEBGPU_HELP}`);
  const requiredFeatures = WANTED.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'studio',
    requiredFeatures,
    // Ask for the adapter's own storage limits: weights of real models pass the 128 MiB default.
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 10),
    },
  });
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const wgsl = [...((gpu as GPU & { wgslLanguageFeatures?: Set<string> }).wgslLanguageFeatures ?? [])];
  const features = [...device.features].sort();
  const summary: AdapterSummary = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallback: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
      ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter
      ?? /swiftshader|llvmpipe|lavapipe/i.test(`${info?.vendor} ${info?.architecture} ${info?.description}`)),
    features,
    wgslFeatures: wgsl.sort(),
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
    hasTimestamps: device.features.has('timestamp-query'),
    hasSubgroups: device.features.has('subgroups' as GPUFeatureName),
    hasF16: device.features.has('shader-f16'),
    hasDot4I8: wgsl.includes('packed_4x8_integer_dot_product'),
  };
  if (/swiftshader/i.test(`${summary.vendor} ${summary.architecture} ${summary.description}`)) summary.isFallback = true;
  const ctx = new GpuContext(device, summary);
  // Dawn in Node frees its instance when the GPU object is collected, taking the device with it:
  // the context holds the objects it came from for as long as it lives.
  ctx.keepAlive = [gpu, adapter];
  return ctx;
}
