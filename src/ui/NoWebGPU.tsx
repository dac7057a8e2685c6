import { ENABLE_WEBGPU_HELP } from '../core/webgpu-help';

export function NoWebGPU() {
  return (
    <div className="card nowebgpu" role="alert" data-testid="no-webgpu">
      <h2>This browser does not offer WebGPU</h2>
      <p>The studio runs every model on your own GPU through WebGPU, and nothing leaves your machine. {ENABLE_WEBGPU_HELP}</p>
      <ul>
        <li>Chrome / Edge 113 or newer on Windows, macOS or ChromeOS: WebGPU is on by default.</li>
        <li>Linux: start Chrome with <code>--enable-unsafe-webgpu --enable-features=Vulkan</code>.</li>
        <li>Check <code>chrome://gpu</code> for “WebGPU: Hardware accelerated”.</li>
      </ul>
    </div>
  );
}
