/** How to get WebGPU, said where it is missing: by the page (which never loads the GPU code) and by the engine. */
export const ENABLE_WEBGPU_HELP =
  'WebGPU is not available in this browser. Use a recent Chrome or Edge (113+); on Linux start it with ' +
  '--enable-unsafe-webgpu (or enable chrome://flags/#enable-unsafe-webgpu), and serve the page from http://localhost or https.';
